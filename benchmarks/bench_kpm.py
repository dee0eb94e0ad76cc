"""KPM accuracy and cost: torque convergence vs ED, linear scaling, crossover with ED.

Usage:
    .venv/bin/python benchmarks/bench_kpm.py --sections convergence scaling crossover
    .venv/bin/python benchmarks/bench_kpm.py --report-only

Each section stores its measurements in benchmarks/results/kpm.json (so sections can run as
separate processes); every run rewrites benchmarks/results/kpm.md from all stored measurements.
Accuracy is the relative RMS error of the *torque* (the field component perpendicular to the
spin, 5-13% of the field on LLG frames) against ED on the same periodic lattice.  Timings are
wall-clock seconds of one field evaluation after compilation, with the torch thread count and
load average noted: the machine is shared, so compare numbers within one table only.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).parent))
from _timing import markdown_table  # noqa: E402

from torquenet import EDParams, EDSolver, SDModelParams  # noqa: E402
from torquenet.solvers import KPMParams, KPMSolver  # noqa: E402
from torquenet.textures import random_spins, skyrmion_lattice  # noqa: E402

RESULTS = Path(__file__).parent / "results"
KT_VALUES = (0.05, 0.02, 0.01)
#: Moments at which the Chebyshev truncation is negligible next to the probing error, per kT
#: (truncation error < 1e-5 of the torque; see the moments table).
CONVERGED_MOMENTS = {0.05: 400, 0.02: 800, 0.01: 1600}
MOMENT_SWEEP = (100, 200, 300, 400, 800, 1600)
JACKSON_SWEEP = (400, 1600)
DISTANCES_L24 = (2, 3, 4, 6, 8, 12, 24)
DISTANCES_L48 = (12, 16, 24)
SCALING_SIZES = (24, 48, 96, 192)
SCALING_MOMENTS = 300
ED_SIZES = (12, 24, 36)


def torque(fields: np.ndarray, spins: np.ndarray) -> np.ndarray:
    return fields - (fields * spins).sum(-1, keepdims=True) * spins


def torque_error(fields: np.ndarray, reference: np.ndarray, spins: np.ndarray) -> float:
    diff = torque(fields, spins) - torque(reference, spins)
    return float(np.sqrt((diff**2).sum() / (torque(reference, spins) ** 2).sum()))


def textures(L: int) -> np.ndarray:
    """The two test textures: random (seeded) and the skyrmion-lattice ansatz."""
    return np.stack([random_spins(L, np.random.default_rng(L)), skyrmion_lattice(L)])


def conditions() -> str:
    load = os.getloadavg()[0]
    return f"torch {torch.__version__}, {torch.get_num_threads()} threads, load {load:.1f}"


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def log(*args: object) -> None:
    print(*args, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------- sections
def convergence(store: dict) -> None:
    """Torque error vs ED on L = 24 (moments, kernels, distances) and L = 48 (distances)."""
    rows = store.setdefault("convergence", [])
    done = {(r["L"], r["kT"], r["moments"], r["distance"], r["kernel"], r["R"]) for r in rows}

    def measure(L, kT, spins, ed, moments, distance, kernel="dirichlet", R=1):
        key = (L, kT, moments, distance, kernel, R)
        if key in done:
            return
        settings = KPMParams(
            num_moments=moments, probing_distance=distance, kernel=kernel, num_random_vectors=R
        )
        res, seconds = timed(lambda: KPMSolver(SDModelParams(electron_temperature=kT), settings)
                             .compute(spins))  # fmt: skip
        errors = [torque_error(res.fields[b], ed.fields[b], spins[b]) for b in range(2)]
        rows.append(dict(L=L, kT=kT, moments=moments, distance=distance, kernel=kernel, R=R,
                         random=errors[0], skyrmion=errors[1], seconds=seconds))  # fmt: skip
        done.add(key)
        log("convergence", rows[-1])
        save(store)

    for L, distances in ((24, DISTANCES_L24), (48, DISTANCES_L48)):
        spins = textures(L)
        ed = {}
        for kT in KT_VALUES:
            ed[kT], seconds = timed(lambda kT=kT, spins=spins: EDSolver(
                SDModelParams(electron_temperature=kT)).compute(spins))  # fmt: skip
            log(f"ED L={L} kT={kT}: {seconds:.1f} s")
        # One probe-vector count (one compiled shape) at a time; torch.compile keeps at most 8
        # shapes per kernel, so forget the previous ones before moving on.
        for d in distances:
            torch._dynamo.reset()
            for kT in KT_VALUES:
                measure(L, kT, spins, ed[kT], CONVERGED_MOMENTS[kT], d)
                if d == L:
                    for M in MOMENT_SWEEP:
                        measure(L, kT, spins, ed[kT], M, d)
                    for M in JACKSON_SWEEP:
                        measure(L, kT, spins, ed[kT], M, d, kernel="jackson")
                if d == 12 and L == 24 and kT == 0.05:  # same 288 vectors: 4 sets at d = 6
                    measure(L, kT, spins, ed[kT], CONVERGED_MOMENTS[kT], 6, R=4)


def large_lattice(store: dict) -> None:
    """Probing error on L = 96: the textures of L = 48 tiled 2 x 2, whose exact fields are those of
    the 48 x 48 cell averaged over 2 x 2 boundary twists (tests/physics/test_ed.py)."""
    rows = store.setdefault("large", [])
    done = {r["distance"] for r in rows}
    cell = textures(48)
    spins = np.tile(cell, (1, 2, 2, 1))
    ed, seconds = timed(lambda: EDSolver(SDModelParams(), EDParams(num_twists=2)).compute(cell))
    log(f"ED 48 x 48 with 2 x 2 twists: {seconds:.1f} s")
    reference = np.tile(ed.fields, (1, 2, 2, 1))
    for d in (24, 48):
        if d in done:
            continue
        torch._dynamo.reset()
        settings = KPMParams(num_moments=CONVERGED_MOMENTS[0.05], probing_distance=d)
        res, seconds = timed(lambda settings=settings: KPMSolver(SDModelParams(), settings)
                             .compute(spins))  # fmt: skip
        errors = [torque_error(res.fields[b], reference[b], spins[b]) for b in range(2)]
        rows.append(dict(L=96, kT=0.05, distance=d, moments=settings.num_moments,
                         random=errors[0], skyrmion=errors[1], seconds=seconds))  # fmt: skip
        log("large", rows[-1])
        save(store)


def scaling(store: dict) -> None:
    """Time per evaluation with M = 300: d = 24 at L = 24 .. 192 (fixed probe count), and the
    default d = 48 at L = 96; float32 and float64."""
    rows = store.setdefault("scaling", [])
    done = {(r["L"], r["dtype"], r["distance"]) for r in rows}
    runs = [(L, 24) for L in SCALING_SIZES] + [(96, 48)]
    for dtype in ("float32", "float64"):
        for L, distance in runs:
            if (L, dtype, distance) in done:
                continue
            spins = random_spins(L, np.random.default_rng(0))
            torch._dynamo.reset()  # at most 8 compiled shapes per kernel
            # Compile on a short series: the kernels depend on shapes, not on the moments.
            short = KPMParams(num_moments=4, probing_distance=distance, dtype=dtype)
            warm = KPMSolver(SDModelParams(), short)
            _, compile_seconds = timed(lambda warm=warm, spins=spins: warm.compute(spins))
            settings = KPMParams(num_moments=SCALING_MOMENTS, probing_distance=distance,
                                 dtype=dtype)  # fmt: skip
            solver = KPMSolver(SDModelParams(), settings)
            repeats = 2 if L * L * distance**2 <= 96 * 96 * 24**2 else 1  # shared machine
            seconds = min(
                timed(lambda solver=solver, spins=spins: solver.compute(spins))[1]
                for _ in range(repeats)
            )
            rows.append(dict(L=L, dtype=dtype, distance=distance, seconds=seconds,
                             repeats=repeats, first_call=compile_seconds,
                             operations=solver.operation_count(L),
                             probes=solver.probes(L).shape[-1], moments=settings.num_moments,
                             conditions=conditions()))  # fmt: skip
            log("scaling", rows[-1])
            save(store)


def ed_timing(store: dict) -> None:
    """ED time per evaluation (one texture) up to L = 36, the base of the N^3 fit."""
    rows = store.setdefault("ed", [])
    done = {r["L"] for r in rows}
    solver = EDSolver(SDModelParams())
    for L in ED_SIZES:
        if L in done:
            continue
        spins = random_spins(L, np.random.default_rng(0))
        solver.compute(spins)  # builds the cached hopping matrix
        best = min(timed(lambda spins=spins: solver.compute(spins))[1] for _ in range(2))
        rows.append(dict(L=L, seconds=best, conditions=conditions()))
        log("ed", rows[-1])
        save(store)


# ---------------------------------------------------------------------------- report
def convergence_tables(rows: list[dict]) -> str:
    out = []
    moment_rows = [r for r in rows if r["L"] == 24 and r["distance"] == 24]
    if moment_rows:
        out.append(
            "### Truncation: error vs num_moments (L = 24, every site probed: no probing error)\n\n"
            "Relative RMS torque error vs ED, random / skyrmion-lattice texture.  Dirichlet = "
            "plain truncated series (the default); Jackson = Jackson-damped.\n"
        )
        header = ["kernel", "M"] + [f"kT = {kT}" for kT in KT_VALUES]
        table = []
        for kernel in ("dirichlet", "jackson"):
            for M in sorted({r["moments"] for r in moment_rows if r["kernel"] == kernel}):
                cells = []
                for kT in KT_VALUES:
                    hit = [r for r in moment_rows
                           if (r["kernel"], r["moments"], r["kT"]) == (kernel, M, kT)]  # fmt: skip
                    cells.append(_pair(hit[0]) if hit else "-")
                table.append([kernel, M, *cells])
        out.append(markdown_table(header, table))
    for L in (24, 48):
        dist_rows = [r for r in rows if r["L"] == L and r["kernel"] == "dirichlet"
                     and r["moments"] == CONVERGED_MOMENTS[r["kT"]]]  # fmt: skip
        if not dist_rows:
            continue
        out.append(
            f"### Probing: error vs probing distance (L = {L}, M = "
            + ", ".join(f"{CONVERGED_MOMENTS[kT]} at kT = {kT}" for kT in KT_VALUES)
            + ")\n\nRelative RMS torque error vs ED, random / skyrmion-lattice texture; "
            "d = L probes every site (exact trace).  Probe vectors per texture: 2 d^2 R (the cost; "
            "d = 6 with R = 4 costs the same as d = 12 with R = 1).\n"
        )
        header = ["d", "R", "probe vectors"] + [f"kT = {kT}" for kT in KT_VALUES]
        table = []
        keys = sorted({(r["distance"], r["R"]) for r in dist_rows})
        for d, R in keys:
            cells = []
            for kT in KT_VALUES:
                hit = [r for r in dist_rows if (r["distance"], r["R"], r["kT"]) == (d, R, kT)]
                cells.append(_pair(hit[0]) if hit else "-")
            table.append([d, R, 2 * min(d, L) ** 2 * (1 if d >= L else R), *cells])
        out.append(markdown_table(header, table))
    return "\n\n".join(out)


def large_table(rows: list[dict]) -> str:
    head = (
        "### Probing on L = 96 (kT = 0.05, M = 400)\n\n"
        "The two L = 48 textures tiled 2 x 2 (48-periodic textures on the 96 x 96 torus); the "
        "reference is ED of the 48 x 48 cell averaged over 2 x 2 boundary twists, which equals "
        "ED of the tiled lattice.\n"
    )
    table = [[r["distance"], 2 * r["distance"] ** 2, _pair(r)]
             for r in sorted(rows, key=lambda r: r["distance"])]  # fmt: skip
    header = ["d", "probe vectors", "random / skyrmion"]
    return head + "\n" + markdown_table(header, table)


def _pair(row: dict) -> str:
    return f"{_pct(row['random'])} / {_pct(row['skyrmion'])}"


def _pct(x: float) -> str:
    if x >= 1.0:
        return f"{100 * x:.0f}%"
    return f"{100 * x:.2g}%" if x >= 1e-4 else f"{x:.1e}"


def scaling_table(rows: list[dict]) -> str:
    out = [
        f"### Time per field evaluation, M = {SCALING_MOMENTS}, d = 24, compiled\n\n"
        "One texture; 1152 probe vectors at every L (d = 24 colours; the colouring, not the "
        "lattice, sets the count, so the cost per site is fixed).  Best of 2 runs (1 at L = 192). "
        "'first call' is the compile run (4 moments).  Throughput: the operation count "
        "1.5 M nnz(H) P (complex multiply-adds; nnz(H) = 28 N) per second.\n"
    ]
    header = ["dtype", "L", "N", "time (s)", "first call (s)", "Gop/s", "exponent, all L",
              "exponent, L >= 48"]  # fmt: skip
    table = []
    for dtype in ("float32", "float64"):
        sel = sorted((r for r in rows if r["dtype"] == dtype and r["distance"] == 24),
                     key=lambda r: r["L"])  # fmt: skip
        if len(sel) < 3:
            continue
        n = np.array([r["L"] ** 2 for r in sel], dtype=float)
        t = np.array([r["seconds"] for r in sel])
        slope_all = np.polyfit(np.log(n), np.log(t), 1)[0]
        slope_big = np.polyfit(np.log(n[1:]), np.log(t[1:]), 1)[0]
        for k, r in enumerate(sel):
            table.append([dtype, r["L"], r["L"] ** 2, r["seconds"], r["first_call"],
                          r["operations"] / r["seconds"] / 1e9,
                          f"{slope_all:.3f}" if k == 0 else "",
                          f"{slope_big:.3f}" if k == 0 else ""])  # fmt: skip
    out.append(markdown_table(header, table))
    loads = [float(r["conditions"].rsplit("load ", 1)[1]) for r in rows]
    threads = sorted({r["conditions"].split(", ")[1] for r in rows})
    out.append(
        f"Conditions: torch {torch.__version__}, {', '.join(threads)}, 1-minute load average "
        f"{min(loads):.1f}-{max(loads):.1f} during the runs (a shared 2-core machine)."
    )
    return "\n\n".join(out)


def crossover_table(store: dict) -> str:
    ed = sorted(store.get("ed", []), key=lambda r: r["L"])
    kpm = store.get("scaling", [])
    if not ed or not kpm:
        return ""
    big = ed[-1]
    coefficient = big["seconds"] / (big["L"] ** 2) ** 3  # t_ED = c N^3 through the largest L

    def t_ed(L: int) -> float:
        measured = [r["seconds"] for r in ed if r["L"] == L]
        return measured[0] if measured else coefficient * (L**2) ** 3

    sizes = ", ".join(str(r["L"]) for r in ed)
    times = ", ".join(f"{r['seconds']:.3g} s" for r in ed)
    out = [
        "### ED vs KPM\n\n"
        f"ED (one texture, same threads) measured at L = {sizes}: {times}; beyond, "
        f"t_ED = c N^3 with c = {coefficient:.3g} s, through L = {big['L']} (the L = 24 -> 36 "
        "ratio is N^3 to within the noise).  Torque error from the accuracy tables at "
        "kT = 0.05 (random / skyrmion).\n"
    ]
    header = ["L", "d", "torque error", "ED (s)", "KPM float64 (s)", "KPM float32 (s)",
              "ED / KPM64", "ED / KPM32"]  # fmt: skip
    errors = {r["distance"]: _pair(r) + " (L = 96)" for r in store.get("large", [])}
    table = []
    for r64 in sorted((r for r in kpm if r["dtype"] == "float64"),
                      key=lambda r: (r["distance"], r["L"])):  # fmt: skip
        L, d = r64["L"], r64["distance"]
        r32 = [r for r in kpm if (r["L"], r["distance"], r["dtype"]) == (L, d, "float32")]
        ted = t_ed(L)
        error = "exact" if d >= L else errors.get(d, "-")
        table.append([L, d, error, f"{ted:.3g}" + ("" if L <= big["L"] else " (fit)"),
                      r64["seconds"], r32[0]["seconds"] if r32 else "-", ted / r64["seconds"],
                      ted / r32[0]["seconds"] if r32 else "-"])  # fmt: skip
    out.append(markdown_table(header, table))
    for dtype in ("float64", "float32"):
        sel = [r for r in kpm if r["dtype"] == dtype and r["L"] >= 48 and r["distance"] == 24]
        if not sel:
            continue
        per_site = np.median([r["seconds"] / r["L"] ** 2 for r in sel])  # t_KPM = k N
        for distance, factor in ((24, 1), (48, 4)):
            n_cross = np.sqrt(per_site * factor / coefficient)
            out.append(
                f"- {dtype}, d = {distance} ({2 * distance**2} probe vectors): KPM (t = "
                f"{per_site * factor:.3g} s x N) is cheaper than ED above N = {n_cross:.0f} "
                f"sites, L = {np.sqrt(n_cross):.0f}"
            )
    return "\n\n".join(out)


def report(store: dict) -> str:
    parts = [
        "# KPM benchmarks (generated by benchmarks/bench_kpm.py)\n\n"
        "s-d model defaults (t1 = 1, t3 = -0.85, J = 1, mu = -3.5).  Error = relative RMS error "
        "of the torque vs ED on the same periodic lattice."
    ]
    if store.get("convergence"):
        parts.append("## 1. Accuracy\n\n" + convergence_tables(store["convergence"]))
    if store.get("large"):
        parts.append(large_table(store["large"]))
    if store.get("scaling"):
        parts.append("## 2. Linear scaling\n\n" + scaling_table(store["scaling"]))
    cross = crossover_table(store)
    if cross:
        parts.append("## 3. Crossover with ED\n\n" + cross)
    return "\n\n".join(parts) + "\n"


STORE = RESULTS / "kpm.json"


def save(store: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    STORE.write_text(json.dumps(store, indent=1))


def load_all() -> dict:
    """Every stored measurement: kpm.json and the kpm_*.json of sections run separately."""
    merged: dict = {}
    for path in sorted(RESULTS.glob("kpm*.json")):
        for key, rows in json.loads(path.read_text()).items():
            merged.setdefault(key, []).extend(rows)
    return merged


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sections", nargs="*", default=["ed", "convergence", "scaling"],
                    choices=["ed", "convergence", "large", "scaling"])  # fmt: skip
    ap.add_argument("--store", default="kpm.json", help="results/ file for this run's data")
    ap.add_argument("--report-only", action="store_true")
    ap.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch threads (default: torch's choice).  On a shared machine 1 thread avoids "
        "OpenMP spin-waiting against other jobs, which inflates multi-threaded timings 10x",
    )
    args = ap.parse_args()
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    global STORE
    STORE = RESULTS / args.store
    store = json.loads(STORE.read_text()) if STORE.is_file() else {}
    sections = {"ed": ed_timing, "convergence": convergence, "large": large_lattice,
                "scaling": scaling}  # fmt: skip
    if not args.report_only:
        for section in args.sections:
            sections[section](store)
    text = report(load_all())
    (RESULTS / "kpm.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
