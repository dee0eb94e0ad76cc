"""Coarsening after a random quench on a lattice the paper could not run (issue 18 study).

Runs (504 x 504, the shipped model, one thread each: ~3.1 s per step, so ~2500 steps, t = 250,
in a working session; the target 10^4 steps is ~9 core-hours.  Re-running a command resumes it
from its last checkpoint, as long as ``runs/`` is kept)::

    export OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE
    torquenet simulate --solver cnn --L 504 --init random --steps 10000 --save-every 100 \\
        --checkpoint-every 50 --seed 11 --no-fields --out runs/coarsening/L504_T0.h5
    torquenet simulate --solver cnn --L 504 --init random --steps 10000 --save-every 100 \\
        --checkpoint-every 50 --seed 11 --no-fields --temperature 0.001 \\
        --out runs/coarsening/L504_T0.001.h5
    .venv/bin/python studies/coarsening.py runs/coarsening/L504_T0.h5 \\
        --out runs/coarsening/report_T0 --label "T = 0"
    .venv/bin/python studies/coarsening.py runs/coarsening/L504_T0.001.h5 \\
        --out runs/coarsening/report_T0.001 --label "T = 0.001" \\
        --compare runs/coarsening/report_T0/coarsening.json

The same seed gives both runs the same random start (the noise is a separate stream), so the
two are paired.  An unfinished run (still going, or interrupted) is analysed as far as it got
(``torquenet.runs.read_unfinished``).  The script calls the package's own analysis
(``torquenet.analysis.analyze_trajectories``: S(q, t) panels, snapshots, topological charge,
skyrmion and antiskyrmion counts, the +-Q_eta peak, the ring moments of
``torquenet.analysis.ring_moments``; PNG only), a zoomed corner of the snapshots
(``plot_corner_snapshots``), then draws the coarsening figure (ring radius and width, the
length ell(t) = 2 pi / w_q on log axes with a power-law fit, object counts, six-peak weight),
and the shell-averaged ring profile S(|q|) with its contrast and half-width (``ring_profile``;
``--compare`` overlays other ensembles' ``coarsening.json``), and writes ``coarsening.json`` and
``coarsening.md`` next to it (the committed copies are in ``studies/results/coarsening/``).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from torquenet.analysis import (  # noqa: E402
    NESTING_WAVENUMBER,
    AnalysisConfig,
    analyze_trajectories,
    folded_momentum_norms,
    plot_corner_snapshots,
    power_law_fit,
)
from torquenet.data import read_trajectory, write_trajectory  # noqa: E402
from torquenet.runs import read_unfinished  # noqa: E402


def ring_profile(sq: np.ndarray, num_bins: int = 30, cut: float = 1.5) -> dict:
    """Shell-averaged S(|q|) over 0 < |q| < cut |Q| of maps (T, L, L) and, per time, the ring's
    contrast over the background (the mean of the outer shells, 1.3-1.5 |Q|: the flat weight
    the random start leaves) and its full width at half the excess, FWHM (units of |Q|; NaN
    while the peak is under 1.3 x the background, where shell noise would set it); the length
    of the coherent modulation is then 2 pi / (FWHM |Q|) = 6 / FWHM lattice constants.  The
    radial moments of ``ring_moments`` weigh that background with the ring; the half-width of
    the excess does not.  The half-maximum crossings are interpolated linearly between shells."""
    q = folded_momentum_norms(sq.shape[-1]) / NESTING_WAVENUMBER
    edges = np.linspace(0.0, cut, num_bins + 1)
    shell = np.digitize(q, edges) - 1
    inside = (q > 0) & (shell < num_bins)
    counts = np.bincount(shell[inside], minlength=num_bins)
    profile = np.stack([np.bincount(shell[inside], m[inside], num_bins) for m in sq]) / counts
    centres = 0.5 * (edges[1:] + edges[:-1])
    background = profile[:, centres > 1.3].mean(axis=1)
    peak = profile.argmax(axis=1)
    contrast = profile[np.arange(len(sq)), peak] / background
    fwhm = np.full(len(sq), np.nan)
    for k, row in enumerate(profile - background[:, None]):
        if contrast[k] < 1.3:  # no ring above the background yet
            continue
        half = 0.5 * row[peak[k]]
        low = np.nonzero(row[: peak[k]] < half)[0]
        high = np.nonzero(row[peak[k] :] < half)[0]
        if len(low) and len(high):
            i, j = low[-1], peak[k] + high[0]  # below half; the next shell inwards is above
            left = centres[i] + (half - row[i]) / (row[i + 1] - row[i]) * (centres[1] - centres[0])
            right = centres[j] - (half - row[j]) / (row[j - 1] - row[j]) * (centres[1] - centres[0])
            fwhm[k] = right - left
    return {
        "q_over_Q": centres,
        "profile": profile,
        "background": background,
        "ring_position_over_Q": centres[peak],
        "contrast": contrast,
        "fwhm_over_Q": fwhm,
        "coherence_length": 2 * np.pi / (fwhm * NESTING_WAVENUMBER),  # = 6 / FWHM (a)
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("runs", nargs="+", type=Path, help="trajectory files (one ensemble)")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--fit-from", type=float, default=10.0, help="first time of the fit")
    ap.add_argument("--times", type=float, nargs="*", default=None, help="S(q) panel times")
    ap.add_argument("--corner", type=int, default=48, help="side of the zoomed snapshots")
    ap.add_argument(
        "--scale",
        choices=("auto", "log", "linear"),
        default="log",
        help="colour scale of the S(q) panels (log: the speckle of one large run hides the ring)",
    )
    ap.add_argument("--label", default=None, help="name of this ensemble in the figures")
    ap.add_argument(
        "--compare",
        type=Path,
        nargs="*",
        default=(),
        help="coarsening.json of other ensembles (e.g. another temperature) to overlay",
    )
    args = ap.parse_args()
    label = args.label or args.runs[0].stem
    others = [json.loads(path.read_text()) for path in args.compare]
    args.out.mkdir(parents=True, exist_ok=True)
    paths = []
    unfinished = {}
    for run in args.runs:
        if run.exists():
            paths.append(run)
            continue
        # a run still going (or interrupted): analyse the frames it has saved so far
        so_far = read_unfinished(run)
        snapshot = write_trajectory(args.out / f"{run.stem}.so_far.h5", so_far)
        print(f"{run}: unfinished, {so_far.attributes['unfinished']}")
        unfinished[str(run)] = so_far.attributes["unfinished"]
        paths.append(snapshot)
    # PNG only: a PDF of 2.5e5 drawn spins takes minutes and tens of MB per figure
    config = AnalysisConfig(
        times=tuple(args.times) if args.times else None,
        structure_factor_scale=args.scale,
        figure_formats=("png",),
    )
    numbers = analyze_trajectories(paths, args.out, config)
    # the whole-lattice snapshots show domains; a corner shows the skyrmions themselves
    first = read_trajectory(paths[0])
    plot_corner_snapshots(first, args.out / "corner", size=args.corner)
    s = {k: np.asarray(v) for k, v in numbers["series"].items()}
    t = s["time"]
    ring = ring_profile(np.load(args.out / "structure_factor.npz")["structure_factor"])
    draw_profiles(ring, t, args.out / "ring_profile.png", label)
    late = (t >= args.fit_from) & np.isfinite(s["correlation_length"])
    fit = None
    if late.sum() >= 3:
        n, err, amplitude = power_law_fit(t[late], s["correlation_length"][late])
        fit = {"exponent": n, "error": err, "amplitude": amplitude, "from_time": args.fit_from}

    fig, ax = plt.subplots(2, 2, figsize=(10, 7.5))
    a = ax[0, 0]
    a.plot(t, s["ring_radius"] / NESTING_WAVENUMBER, "o-", label=f"ring radius / |Q| ({label})")
    a.plot(t, s["ring_width"] / NESTING_WAVENUMBER, "s-", label=f"ring width w_q / |Q| ({label})")
    for other in others:
        a.plot(other["times"], other["ring_radius_over_Q"], ":", label=f"radius ({other['label']})")
        a.plot(other["times"], other["ring_width_over_Q"], "--", label=f"width ({other['label']})")
    a.set_xlabel("t")
    a.set_ylim(bottom=0)
    a.legend()
    a.set_title("S(q) ring: radial moments over 0 < |q| < 1.5 |Q|")
    a = ax[0, 1]
    positive = t > 0
    a.loglog(
        t[positive], s["correlation_length"][positive], "o", label=f"ell = 2 pi / w_q ({label})"
    )
    for other in others:
        times = np.asarray(other["times"])
        a.loglog(
            times[times > 0],
            np.asarray(other["correlation_length"])[times > 0],
            "x",
            label=f"ell ({other['label']})",
        )
    if fit is not None:
        tt = t[late]
        a.loglog(
            tt,
            fit["amplitude"] * tt ** fit["exponent"],
            "-",
            label=f"fit t >= {args.fit_from:g}: n = {fit['exponent']:.3f} +- {fit['error']:.3f}",
        )
    a.set_xlabel("t")
    a.set_ylabel("ell (lattice constants)")
    a.legend()
    a.set_title("characteristic length")
    a = ax[1, 0]
    for key, name in (
        ("num_negative_objects_mean", "charge -1 objects"),
        ("num_positive_objects_mean", "charge +1 objects"),
    ):
        a.plot(t, s[key], "o-", label=f"{name} ({label})")
    for other in others:
        a.plot(
            other["times"], other["negative_objects"], ":", label=f"charge -1 ({other['label']})"
        )
        a.plot(
            other["times"], other["positive_objects"], "--", label=f"charge +1 ({other['label']})"
        )
    a.set_xlabel("t")
    a.set_ylabel("count")
    a.set_yscale("log")
    a.legend()
    a.set_title("skyrmions and antiskyrmions (opposite charge)")
    a = ax[1, 1]
    if "peak_weight_fraction" in s:
        a.plot(t, s["peak_weight_fraction"], "o-", label=f"six +-Q_eta peaks ({label})")
    a.plot(t, s["ring_weight"], "s-", label=f"whole ring region ({label})")
    for other in others:
        if other["peak_weight_fraction"]:
            a.plot(
                other["times"],
                other["peak_weight_fraction"],
                ":",
                label=f"six peaks ({other['label']})",
            )
        a.plot(other["times"], other["ring_weight"], "--", label=f"ring region ({other['label']})")
    a.set_xlabel("t")
    a.set_ylabel("share of sum_q S(q) = 1")
    a.legend()
    a.set_title("structure-factor weight")
    fig.tight_layout()
    fig.savefig(args.out / "coarsening.png", dpi=120)

    run_config = json.loads(first.attributes["config"])
    provenance = {
        k: str(first.attributes[k])
        for k in ("git_hash", "package_version")
        if k in first.attributes
    }
    defined = np.isfinite(ring["fwhm_over_Q"]) & (t > 0)
    ring_fit = None
    if defined.sum() >= 3:  # the coherence length of the ring, once it stands out
        n, err, _ = power_law_fit(t[defined], ring["coherence_length"][defined])
        ring_fit = {"exponent": n, "error": err, "from_time": float(t[defined][0])}
    summary = {
        "label": label,
        "runs": [str(p) for p in paths],
        "unfinished": unfinished,
        "L": run_config["L"],
        "llg": run_config["llg"],
        "seed": run_config["seed"],
        "provenance": provenance,
        "times": t.tolist(),
        "ring_radius_over_Q": (s["ring_radius"] / NESTING_WAVENUMBER).tolist(),
        "ring_width_over_Q": (s["ring_width"] / NESTING_WAVENUMBER).tolist(),
        "correlation_length": s["correlation_length"].tolist(),
        "negative_objects": s["num_negative_objects_mean"].tolist(),
        "positive_objects": s["num_positive_objects_mean"].tolist(),
        "peak_weight_fraction": s.get("peak_weight_fraction", np.array([])).tolist(),
        "ring_weight": s["ring_weight"].tolist(),
        "ring_contrast": ring["contrast"].tolist(),
        "ring_fwhm_over_Q": [float(w) if np.isfinite(w) else None for w in ring["fwhm_over_Q"]],
        "ring_position_over_Q": ring["ring_position_over_Q"].tolist(),
        "ring_length": [float(x) if np.isfinite(x) else None for x in ring["coherence_length"]],
        "power_law_fit": fit,
        "ring_length_fit": ring_fit,
    }
    (args.out / "coarsening.json").write_text(json.dumps(summary, indent=1))
    rows = [
        "| t | ring radius / Q | width / Q | ell | charge -1 | charge +1 | six-peak weight "
        "| ring contrast | ring FWHM / Q |"
    ]
    rows.append("|---|---|---|---|---|---|---|---|---|")
    peak = summary["peak_weight_fraction"] or [float("nan")] * len(t)
    for k in range(len(t)):
        rows.append(
            f"| {t[k]:g} | {summary['ring_radius_over_Q'][k]:.3f} | "
            f"{summary['ring_width_over_Q'][k]:.3f} | {summary['correlation_length'][k]:.1f} | "
            f"{summary['negative_objects'][k]:.0f} | {summary['positive_objects'][k]:.0f} | "
            f"{peak[k]:.2e} | {ring['contrast'][k]:.2f} | "
            + (f"{ring['fwhm_over_Q'][k]:.3f}" if np.isfinite(ring["fwhm_over_Q"][k]) else "-")
            + " |"
        )
    fit_text = (
        f"ell ~ t^n with n = {fit['exponent']:.3f} +- {fit['error']:.3f} for "
        f"t >= {fit['from_time']:g}"
        if fit
        else "too few late frames for a fit"
    )
    if ring_fit is not None:
        fit_text += (
            f"; ring coherence length 6 / FWHM ~ t^n with n = {ring_fit['exponent']:.3f} +- "
            f"{ring_fit['error']:.3f} for t >= {ring_fit['from_time']:g}"
        )
    (args.out / "coarsening.md").write_text("\n".join(rows) + f"\n\n{fit_text}\n")
    print("\n".join(rows))
    print(fit_text)


def draw_profiles(ring: dict, times: np.ndarray, path: Path, label: str) -> None:
    """S(|q|) shell averages at up to six times, over the outer-shell background."""
    fig, ax = plt.subplots(figsize=(6, 4.2))
    for k in np.unique(np.linspace(0, len(times) - 1, 6).round().astype(int)):
        profile = ring["profile"][k] / ring["background"][k]
        ax.plot(ring["q_over_Q"], profile, label=f"t = {times[k]:g}")
    ax.axvline(1.0, color="grey", ls=":", lw=1)
    ax.set_xlabel("|q| / |Q_eta|")
    ax.set_ylabel("shell mean of S(q) / background (1.3-1.5 |Q|)")
    ax.set_title(f"ring profile ({label})")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    main()
