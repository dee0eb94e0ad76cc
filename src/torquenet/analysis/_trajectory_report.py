"""What a physicist looks at in LLG trajectories: S(q, t), Bragg peaks, skyrmions, energy, pictures.

``analyze_trajectories(paths, out_dir)`` is the Python mirror of ``torquenet analyze``: it reads
one or more trajectory files (an ensemble of runs with the same save times), averages the spin
structure factor of paper Eq. (12) over the runs, and writes the paper's Fig. 5 (S(q, t) panels
over the Brillouin zone), Fig. 8 (intensity at the six +-Q_eta vs time), Figs. 6-7 (real-space
snapshots), the topological charge and skyrmion count vs time, the energy vs time when the files
hold it, an optional GIF, and every number behind the figures in ``numbers.json`` / ``.csv``.

Normalisation of S(q) (from :func:`torquenet.observables.structure_factor`)::

    S(q) = | (1/N) sum_i S_i exp(i q . r_i) |^2   on the L x L grid q = (m1 b1 + m2 b2) / L,

so that sum_q S(q) = (1/N) sum_i |S_i|^2 = 1 for unit spins (Parseval): a ferromagnet has
S(0) = 1, a coplanar spiral 1/2 at each of +-Q, and the total weight at the six +-Q_eta is the
fraction of the spin "intensity" in the skyrmion-lattice Bragg peaks.  Run averages keep this
normalisation.
"""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from torquenet._validation import check_int
from torquenet.analysis._ensembles import (
    EnsembleStructureFactor,
    ensemble_structure_factor,
    plot_time_series,
)
from torquenet.analysis._figures import pyplot, save_figure
from torquenet.analysis._momentum import plot_structure_factor, skyrmion_peak_indices
from torquenet.analysis._snapshots import plot_texture
from torquenet.config import save_config
from torquenet.data import Trajectory, read_trajectory
from torquenet.lattice import TriangularLattice
from torquenet.observables import solid_angles

logger = logging.getLogger(__name__)

#: One sentence on the S(q) normalisation, written into every numbers file.
STRUCTURE_FACTOR_NORMALISATION = (
    "S(q) = |(1/N) sum_i S_i exp(i q.r_i)|^2 (paper Eq. 12) on the L x L grid "
    "q = (m1 b1 + m2 b2)/L, averaged over runs; sum_q S(q) = 1 for unit spins (Parseval), "
    "a ferromagnet has S(0) = 1 and a coplanar spiral S(+-Q) = 1/2"
)

#: Save times of different runs must agree to this (units of t0): they are step * dt products of
#: the same floats, so anything beyond rounding means the runs were saved on different schedules.
TIME_MATCH_ATOL = 1e-9


@dataclass(frozen=True)
class AnalysisConfig:
    """What ``torquenet analyze`` draws.

    Parameters
    ----------
    times : tuple of float, optional
        Times (units of t0) of the S(q) panels and snapshots; each is taken at the nearest saved
        frame.  None: ``num_panels`` frames evenly spaced from the first to the last.
    num_panels : int
        Number of panels when ``times`` is None.
    snapshot_run : int
        Which run (0-based, in the order given) the real-space snapshots and the movie show.
    log_structure_factor : bool
        Draw S(q) on a logarithmic colour scale (shows the diffuse ring at early times).
    movie : bool
        Also write ``movie.gif`` of the snapshot run (needs the pillow writer of matplotlib).
    movie_max_frames : int
        Upper bound on the number of movie frames (saved frames are strided to fit).
    movie_fps : int
        Frames per second of the movie.
    figure_formats : tuple of str
        File formats of every figure (matplotlib names; PDF is the slow one).
    """

    times: tuple[float, ...] | None = None
    num_panels: int = 4
    snapshot_run: int = 0
    log_structure_factor: bool = False
    movie: bool = False
    movie_max_frames: int = 200
    movie_fps: int = 10
    figure_formats: tuple[str, ...] = ("png", "pdf")

    def __post_init__(self) -> None:
        if self.times is not None:
            times = tuple(float(t) for t in self.times)
            if not times:
                raise ValueError("times must name at least one time, got ()")
            object.__setattr__(self, "times", times)
        check_int("num_panels", self.num_panels, minimum=1)
        check_int("snapshot_run", self.snapshot_run, minimum=0)
        check_int("movie_max_frames", self.movie_max_frames, minimum=1)
        check_int("movie_fps", self.movie_fps, minimum=1)
        formats = tuple(self.figure_formats)
        if not formats or any(f not in ("png", "pdf", "svg") for f in formats):
            raise ValueError(
                f"figure_formats must be a non-empty subset of ('png', 'pdf', 'svg'), got "
                f"{self.figure_formats!r}"
            )
        object.__setattr__(self, "figure_formats", formats)


#: Axis label of the Bragg-peak intensity (paper Fig. 8), with its normalisation.
PEAK_LABEL = r"$\overline{S}(\pm\mathbf{Q}_\eta)$  (normalised: $\Sigma_\mathbf{q} S = 1$)"


# ----------------------------------------------------------------------------- skyrmion count
def _triangle_adjacency(L: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Pairs of elementary triangles that share an edge (each pair once), from lattice.triangles."""
    triangles = TriangularLattice(L).triangles
    edges = np.concatenate(
        [np.sort(triangles[:, [a, b]], axis=1) for a, b in ((0, 1), (1, 2), (2, 0))]
    )
    owner = np.tile(np.arange(len(triangles)), 3)
    key = edges[:, 0] * (L * L) + edges[:, 1]
    order = np.argsort(key, kind="stable")
    key, owner = key[order], owner[order]
    shared = key[1:] == key[:-1]  # on the torus every edge borders exactly two triangles
    return owner[:-1][shared], owner[1:][shared]


def count_skyrmions(spins: NDArray[np.float64]) -> tuple[int, int]:
    """Number of topological objects of charge -1 and of charge +1 in a texture (L, L, 3).

    Elementary triangles are grouped into clusters of edge-connected triangles whose solid
    angles have the same sign; each cluster carries the charge n_c = sum Omega / 4 pi, rounded to
    the nearest integer.  The counts are the summed |n_c| of the negative and of the positive
    clusters.  The skyrmions of the ideal lattice (paper Eq. 13) touch and form one cluster of
    charge -L^2/24, which counts as L^2/24 skyrmions; isolated skyrmions and antiskyrmions (the
    two vorticities of paper Sec. IV B) are counted separately, and random spin noise, whose
    clusters carry fractional charge, mostly rounds to zero.

    Returns
    -------
    (num_negative, num_positive) : tuple of int

    Examples
    --------
    >>> from torquenet.textures import skyrmion_lattice
    >>> count_skyrmions(skyrmion_lattice(12))
    (6, 0)
    """
    L = spins.shape[-2]
    first, second = _triangle_adjacency(L)
    omega = solid_angles(spins)
    counts = []
    for sign in (-1.0, 1.0):
        member = sign * omega > 0
        keep = member[first] & member[second]
        n = len(omega)
        graph = coo_matrix((np.ones(int(keep.sum())), (first[keep], second[keep])), shape=(n, n))
        num_clusters, label = connected_components(graph, directed=False)
        charge = np.bincount(label, weights=np.where(member, omega, 0.0), minlength=num_clusters)
        counts.append(int(np.sum(np.rint(np.abs(charge) / (4 * np.pi)))))
    return counts[0], counts[1]


# ----------------------------------------------------------------------------- ensembles
@dataclass(frozen=True)
class EnsembleSummary:
    """Per-run time series of an ensemble of trajectories, read one file at a time.

    Attributes
    ----------
    paths : tuple of Path
    structure_factor : EnsembleStructureFactor
        Run-averaged S(q, t) (T, L, L) and the per-run +-Q_eta intensities (R, T).
    topological_charge, magnetization_z : ndarray, shape (R, T)
    energy_per_site : ndarray, shape (R, T), or None
        E / N (t1), when every file stores /energy.
    skyrmion_counts : ndarray, shape (R, T, 2), or None
        :func:`count_skyrmions` of every frame (charge -1, charge +1), when requested.
    kept_run : Trajectory or None
        The one run kept whole (snapshots, movie).
    """

    paths: tuple[Path, ...]
    structure_factor: EnsembleStructureFactor
    topological_charge: NDArray[np.float64]
    magnetization_z: NDArray[np.float64]
    energy_per_site: NDArray[np.float64] | None
    skyrmion_counts: NDArray[np.float64] | None
    kept_run: Trajectory | None

    @property
    def times(self) -> NDArray[np.float64]:
        return self.structure_factor.times

    @property
    def L(self) -> int:
        return int(self.structure_factor.mean.shape[-1])

    @property
    def num_runs(self) -> int:
        return len(self.paths)


def _check_member(run: Trajectory, path: Path, reference: Trajectory, first: Path, what: str):
    if run.L != reference.L:
        raise ValueError(
            f"{what} {str(path)!r} has L = {run.L}, but {str(first)!r} has "
            f"L = {reference.L}; an ensemble needs one lattice size"
        )
    same_times = run.num_frames == reference.num_frames and np.allclose(
        run.times, reference.times, rtol=0, atol=TIME_MATCH_ATOL
    )
    if not same_times:
        raise ValueError(
            f"{what} {str(path)!r} is saved at {run.num_frames} times "
            f"{_describe_times(run.times)}, but {str(first)!r} at {reference.num_frames} "
            f"times {_describe_times(reference.times)}; an ensemble needs matching save times"
        )


def summarize_ensemble(
    paths: Sequence[str | Path],
    *,
    what: str = "trajectory",
    keep_run: int | None = None,
    count: bool = False,
) -> EnsembleSummary:
    """Read trajectory files forming one ensemble (same L and save times), one at a time.

    Only one run's spins are in memory at once (plus ``keep_run``), so ensembles of many long
    runs on large lattices can be analysed.

    Raises
    ------
    ValueError
        No paths, ``keep_run`` out of range, or runs with different L, number of frames or save
        times (both files named).
    """
    paths = tuple(Path(p) for p in paths)
    if not paths:
        raise ValueError(f"need at least one {what} file")
    if keep_run is not None and not 0 <= keep_run < len(paths):
        raise ValueError(f"run {keep_run} was requested but only {len(paths)} run(s) were given")
    reference = kept = None
    total, peaks, charge, mz, energy, counts = None, [], [], [], [], []
    for n, path in enumerate(paths):
        run = read_trajectory(path)
        if reference is None:
            reference = run
        _check_member(run, path, reference, paths[0], what)
        single = ensemble_structure_factor([run.spins], run.times)
        total = single.mean if total is None else total + single.mean
        if single.peak_per_run is not None:
            peaks.append(single.peak_per_run[0])
        charge.append(run.topological_charge)
        mz.append(run.magnetization[:, 2])
        energy.append(None if run.energy is None else run.energy / (run.L * run.L))
        if count:
            counts.append([count_skyrmions(s) for s in run.spins])
        if n == keep_run:
            kept = run
    has_energy = all(e is not None for e in energy)
    return EnsembleSummary(
        paths=paths,
        structure_factor=EnsembleStructureFactor(
            times=reference.times,
            mean=total / len(paths),
            peak_per_run=np.array(peaks) if peaks else None,
        ),
        topological_charge=np.stack(charge),
        magnetization_z=np.stack(mz),
        energy_per_site=np.stack(energy) if has_energy else None,
        skyrmion_counts=np.array(counts, dtype=float) if count else None,
        kept_run=kept,
    )


def _describe_times(times: NDArray[np.float64]) -> str:
    return f"t = {times[0]:g}..{times[-1]:g}" if len(times) else "(none)"


def frame_indices(
    times: NDArray[np.float64], requested: Sequence[float] | None, num_panels: int
) -> list[int]:
    """Indices of the saved frames nearest to ``requested`` times (or evenly spaced ones).

    Examples
    --------
    >>> frame_indices(np.array([0.0, 0.5, 1.0, 1.5]), [0.6, 1.5], 4)
    [1, 3]
    >>> frame_indices(np.array([0.0, 0.5, 1.0, 1.5]), None, 3)
    [0, 2, 3]
    """
    if requested is None:
        picks = np.linspace(0, len(times) - 1, min(num_panels, len(times)))
        return sorted({int(round(p)) for p in picks})
    spacing = float(np.max(np.diff(times))) if len(times) > 1 else 0.0
    out = []
    for t in requested:
        if not times[0] - spacing <= t <= times[-1] + spacing:
            raise ValueError(
                f"requested time {t:g} lies outside the saved times "
                f"{times[0]:g}..{times[-1]:g} (units of t0)"
            )
        out.append(int(np.argmin(np.abs(times - t))))
    return out


def mean_and_error(per_run: NDArray[np.float64]) -> tuple[NDArray, NDArray]:
    """Mean over runs (axis 0) and its standard error (ddof = 1; zeros for a single run)."""
    mean = per_run.mean(axis=0)
    if len(per_run) < 2:
        return mean, np.zeros_like(mean)
    return mean, per_run.std(axis=0, ddof=1) / np.sqrt(len(per_run))


def dominant_wavevectors(
    mean_structure_factor: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Momentum of the largest S(q != 0) at every time, folded into the first Brillouin zone.

    Parameters
    ----------
    mean_structure_factor : ndarray, shape (T, L, L)

    Returns
    -------
    q : ndarray, shape (T, 2)
        Cartesian momentum (units of 1/a) of the maximum, the image closest to Gamma.
    at_nesting : ndarray of bool, shape (T,)
        Whether the maximum sits on one of the six +-Q_eta (always False when L % 12 != 0).
    """
    L = mean_structure_factor.shape[-1]
    lattice = TriangularLattice(L)
    flat = mean_structure_factor.reshape(len(mean_structure_factor), -1).copy()
    flat[:, 0] = -np.inf  # q = 0 is the magnetisation, not a modulation
    best = np.argmax(flat, axis=1)
    m1, m2 = np.divmod(best, L)
    q = lattice.momenta[m1, m2]
    b = lattice.reciprocal_vectors
    shifts = np.array([n1 * b[0] + n2 * b[1] for n1 in (-1, 0, 1) for n2 in (-1, 0, 1)])
    images = q[:, None, :] + shifts[None]
    q = images[np.arange(len(q)), np.argmin(np.linalg.norm(images, axis=-1), axis=1)]
    peaks = set(skyrmion_peak_indices(L)) if L % 12 == 0 else set()
    at_nesting = np.array([(int(a), int(c)) in peaks for a, c in zip(m1, m2)], dtype=bool)
    return q, at_nesting


# ----------------------------------------------------------------------------- figures
def plot_structure_factor_row(
    panels: Sequence[tuple[NDArray[np.float64], str]],
    *,
    axes: Sequence[Any] | None = None,
    log: bool = False,
    vmax: Sequence[float | None] | None = None,
) -> Any:
    """S(q) maps side by side (paper Fig. 5), each (L, L) with its title.  Returns the Figure."""
    plt = pyplot()
    if axes is None:
        fig, axes = plt.subplots(
            1, len(panels), figsize=(4.6 * len(panels), 4.2), layout="constrained", squeeze=False
        )
        axes = axes[0]
    for n, ((sq, title), ax) in enumerate(zip(panels, axes)):
        plot_structure_factor(
            sq, ax=ax, title=title, log=log, vmax=None if vmax is None else vmax[n]
        )
    return axes[0].figure


def _plot_topology(times, charge, negative, positive) -> Any:
    plt = pyplot()
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7, 6), sharex=True, layout="constrained")
    plot_time_series(times, {"topological charge Q": charge}, ylabel="Q", ax=top)
    top.set_xlabel("")
    top.set_title("topological charge (sum of triangle solid angles / 4$\\pi$)")
    plot_time_series(
        times,
        {"charge -1 objects": negative, "charge +1 objects": positive},
        ylabel="number per run",
        ax=bottom,
    )
    bottom.set_title("skyrmion count: clusters of same-sign solid angle, charge rounded")
    return fig


def _write_movie(run: Trajectory, path: Path, config: AnalysisConfig) -> Path:
    """GIF of the texture of one run (S_z colour, in-plane arrows) through its saved frames."""
    plt = pyplot()
    from matplotlib import animation
    from matplotlib.collections import PolyCollection
    from matplotlib.quiver import Quiver

    if not animation.writers.is_available("pillow"):
        raise RuntimeError(
            "--movie needs matplotlib's pillow writer (pip install pillow); it is not available"
        )
    stride = max(1, int(np.ceil(run.num_frames / config.movie_max_frames)))
    frames = list(range(0, run.num_frames, stride))
    first = run.spins[frames[0]]
    ax = plot_texture(first, title=f"t = {run.times[frames[0]]:g} $t_0$")
    fig = ax.figure
    cells = next(c for c in ax.collections if type(c) is PolyCollection)
    arrows = next(c for c in ax.collections if isinstance(c, Quiver))
    # The arrow sites, recovered from the arrow positions (r = i a1 + j a2), and the arrow scale
    # plot_texture chose for the first frame (its largest in-plane spin).
    lattice = TriangularLattice(run.L)
    ij = np.rint(np.column_stack([arrows.X, arrows.Y]) @ np.linalg.inv(lattice.primitive_vectors))
    i, j = ij[:, 0].astype(int), ij[:, 1].astype(int)
    scale = float(np.max(np.linalg.norm(first[..., :2], axis=-1))) or 1.0

    def update(n: int) -> list[Any]:
        spins = run.spins[frames[n]]
        cells.set_array(spins[..., 2].ravel())
        arrows.set_UVC(spins[i, j, 0] / scale, spins[i, j, 1] / scale)
        q = run.topological_charge[frames[n]]
        ax.set_title(f"t = {run.times[frames[n]]:g} $t_0$,  Q = {q:+.2f}")
        return [cells, arrows]

    movie = animation.FuncAnimation(fig, update, frames=len(frames), blit=False)
    movie.save(path, writer=animation.PillowWriter(fps=config.movie_fps), dpi=80)
    plt.close(fig)
    return path


# ----------------------------------------------------------------------------- the report
def analyze_trajectories(
    paths: Sequence[str | Path], out_dir: str | Path, config: AnalysisConfig | None = None
) -> dict[str, Any]:
    """Analyse an ensemble of trajectory files; write figures, ``numbers.json`` and ``.csv``.

    Parameters
    ----------
    paths : sequence of path
        Trajectory files (:mod:`torquenet.data.schema`) with the same L and save times; the
        structure factor is averaged over them (paper Eq. 12: average over initial conditions).
    out_dir : path
        Output directory (created).
    config : AnalysisConfig, optional

    Returns
    -------
    dict
        The content of ``numbers.json``: per-time series (``series``), the panel times, the
        values at the last time (``final``) and the files written.

    Notes
    -----
    Files written: ``structure_factor_panels`` (Fig. 5), ``peak_intensity`` (Fig. 8; only when
    L % 12 == 0, where the +-Q_eta lie on the momentum grid), ``topology`` (charge and skyrmion
    count), ``energy`` (when every file holds /energy), ``snapshots`` (Figs. 6-7), each as PNG
    and PDF; ``structure_factor.npz`` (times, momenta, run-averaged S(q, t));
    ``numbers.json``, ``numbers.csv``, ``analysis_config.yaml`` and, on request, ``movie.gif``.
    The normalisation of S(q) is :data:`STRUCTURE_FACTOR_NORMALISATION`.  Errors are standard
    errors of the mean over runs (zero for a single run).

    Examples
    --------
    >>> numbers = analyze_trajectories(["run1.h5", "run2.h5"], "analysis",
    ...                                AnalysisConfig(times=(0.0, 50.0, 500.0)))  # doctest: +SKIP
    >>> numbers["final"]["peak_intensity_mean"]  # doctest: +SKIP
    """
    config = config or AnalysisConfig()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    summary = summarize_ensemble(paths, keep_run=config.snapshot_run, count=True)
    times, L = summary.times, summary.L
    picks = frame_indices(times, config.times, config.num_panels)
    series = _series(summary)
    written = _draw_report(summary, series, picks, out, config)
    np.savez_compressed(
        out / "structure_factor.npz",
        times=times,
        momenta=TriangularLattice(L).momenta,
        structure_factor=summary.structure_factor.mean,
    )
    written.append(out / "structure_factor.npz")
    numbers = {
        "files": [str(p) for p in paths],
        "num_runs": summary.num_runs,
        "L": L,
        "num_frames": len(times),
        "structure_factor_normalisation": STRUCTURE_FACTOR_NORMALISATION,
        "errors": "standard error of the mean over runs (0 for a single run)",
        "panel_times": [float(times[k]) for k in picks],
        "final": {name: values[-1] for name, values in series.items()},
        "series": series,
    }
    _write_csv(out / "numbers.csv", series)
    save_config(config, out / "analysis_config.yaml")
    written += [out / "numbers.csv", out / "analysis_config.yaml", out / "numbers.json"]
    numbers["files_written"] = sorted(str(p.relative_to(out)) for p in written)
    (out / "numbers.json").write_text(json.dumps(numbers, indent=1) + "\n")
    logger.info("analysed %d run(s) of L = %d; wrote %s", summary.num_runs, L, out)
    return numbers


def _series(summary: EnsembleSummary) -> dict[str, list]:
    """Every per-time number of the report, as JSON-ready lists."""
    ensemble = summary.structure_factor
    series: dict[str, Any] = {"time": ensemble.times}
    if ensemble.peak_per_run is not None:
        mean, err = ensemble.peak_mean_and_error()
        series["peak_intensity_mean"], series["peak_intensity_error"] = mean, err
        series["peak_weight_fraction"] = 6 * mean  # share of sum_q S(q) = 1 in the six peaks
    q, at_nesting = dominant_wavevectors(ensemble.mean)
    series["dominant_qx"], series["dominant_qy"] = q[:, 0], q[:, 1]
    series["dominant_q_abs"] = np.linalg.norm(q, axis=1)
    series["dominant_at_nesting_vector"] = at_nesting
    per_run = {
        "topological_charge": summary.topological_charge,
        "num_negative_objects": summary.skyrmion_counts[..., 0],
        "num_positive_objects": summary.skyrmion_counts[..., 1],
        "magnetization_z": summary.magnetization_z,
        "energy_per_site": summary.energy_per_site,
    }
    for name, values in per_run.items():
        if values is not None:
            series[f"{name}_mean"], series[f"{name}_error"] = mean_and_error(values)
    return {k: np.asarray(v).tolist() for k, v in series.items()}


def _draw_report(
    summary: EnsembleSummary, series, picks, out: Path, config: AnalysisConfig
) -> list[Path]:
    times, num_runs = summary.times, summary.num_runs
    written: list[Path] = []
    label = f"{num_runs} runs" if num_runs > 1 else "1 run"
    panels = [(summary.structure_factor.mean[k], f"t = {times[k]:g} $t_0$") for k in picks]
    fig = plot_structure_factor_row(panels, log=config.log_structure_factor)
    fig.suptitle(f"spin structure factor, mean of {label}, L = {summary.L}")
    written += save_figure(fig, out / "structure_factor_panels", config.figure_formats)
    arr = {k: np.asarray(v) for k, v in series.items()}
    if "peak_intensity_mean" in arr:
        ax = plot_time_series(
            times,
            {
                "mean of S(q) at the six $\\pm\\mathbf{Q}_\\eta$": (
                    arr["peak_intensity_mean"],
                    arr["peak_intensity_error"],
                )
            },
            ylabel=PEAK_LABEL,
            title=f"Bragg-peak intensity ({label}"
            + (", band: standard error)" if num_runs > 1 else ")"),
        )
        written += save_figure(ax.figure, out / "peak_intensity", config.figure_formats)
    else:
        logger.warning("L = %d is not a multiple of 12: no +-Q_eta peak intensity", summary.L)
    fig = _plot_topology(
        times,
        (arr["topological_charge_mean"], arr["topological_charge_error"]),
        (arr["num_negative_objects_mean"], arr["num_negative_objects_error"]),
        (arr["num_positive_objects_mean"], arr["num_positive_objects_error"]),
    )
    written += save_figure(fig, out / "topology", config.figure_formats)
    if "energy_per_site_mean" in arr:
        ax = plot_time_series(
            times,
            {"E / N": (arr["energy_per_site_mean"], arr["energy_per_site_error"])},
            ylabel=r"energy per site $E/N$ ($t_1$)",
            title="total energy (electrons + Zeeman)",
        )
        written += save_figure(ax.figure, out / "energy", config.figure_formats)
    run = summary.kept_run
    num_rows = -(-len(picks) // 3)  # at most three pictures per row
    num_cols = -(-len(picks) // num_rows)
    fig, axes = pyplot().subplots(
        num_rows,
        num_cols,
        figsize=(5.6 * num_cols, 4.4 * num_rows),
        layout="constrained",
        squeeze=False,
    )
    for ax in axes.ravel()[len(picks) :]:
        ax.set_visible(False)
    for k, ax in zip(picks, axes.ravel()):
        plot_texture(
            run.spins[k],
            ax=ax,
            title=f"t = {times[k]:g} $t_0$, Q = {run.topological_charge[k]:+.2f}",
        )
    fig.suptitle(f"run {config.snapshot_run}: colour $S_z$, arrows in-plane spin $(S_x, S_y)$")
    written += save_figure(fig, out / "snapshots", config.figure_formats)
    if config.movie:
        written.append(_write_movie(run, out / "movie.gif", config))
    return written


def _write_csv(path: Path, series: dict[str, list]) -> None:
    names = list(series)
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(names)
        for row in zip(*(series[n] for n in names)):
            writer.writerow([repr(v) if isinstance(v, float) else v for v in row])
