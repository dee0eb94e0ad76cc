"""Cost and memory of the learned field solver vs lattice size: untiled (before) vs tiled.

Usage: .venv/bin/python benchmarks/bench_scaling.py [--sizes 96 256 512 1024 2048] [--threads 2]
       [--omp-wait-policy passive] [--out benchmarks/results/scaling.md]

Writes the markdown table to benchmarks/results/scaling.md (and prints it).  Every (L, mode)
is measured in a fresh subprocess, so its peak resident set size (VmHWM of /proc/self/status)
is its own; the modes of one L run back to back, and everything comes from one run, so the
ratios are meaningful on a shared, noisy machine.

Modes, both with the shipped model (``torquenet.pretrained.default_model_path()``):

- ``before``: ``CNNSolver.compute`` as it was before tiled inference (the whole lattice in one
  forward pass, float64 -> permuted float32 -> float64 conversions), reproduced below;
- ``after``: ``CNNSolver.compute`` now, with the default memory budget (256 MiB): untiled
  while the lattice fits it (L <= 325 for this model), tiled above.

Columns: seconds per field evaluation (best of 3, or the first call when it takes > 5 s), one
LLG step (``sib_step`` with ``LLGParams()``: two field evaluations and the integrator), spin-
steps per second (L^2 / step time), cost per spin-step relative to L = 96 of the same mode, and
the peak RSS of the subprocess (with its baseline after import and model load).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results" / "scaling.md"
MODES = ("before", "after")
TARGET_RELATIVE_COST = 1.5  # cost per spin-step at L = 1024 within 1.5x of L = 96
TARGET_SPIN_STEPS = 2e5  # spin-steps per second on 2 cores
TARGET_PEAK_RSS = 2**30  # bytes at L = 1024
NOTES_HEADING = "## Notes"  # kept from an existing results file when the table is rewritten


def _status_bytes(key: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(key)


def _before_compute(solver, spins):
    """CNNSolver.compute before tiled inference (git b1453b9), for the comparison."""
    import numpy as np
    import torch

    from torquenet import FieldResult
    from torquenet.observables import perpendicular_part

    spins = np.asarray(spins, dtype=np.float64)  # random unit spins of the benchmark
    batch_shape = spins.shape[:-3]
    L = spins.shape[-2]
    flat = spins.reshape(-1, L, L, 3)
    out = np.empty_like(flat)
    with torch.inference_mode():
        for start in range(0, len(flat), solver.batch_size):
            chunk = torch.from_numpy(flat[start : start + solver.batch_size])
            x = chunk.permute(0, 3, 1, 2).to(device=solver.device, dtype=torch.float32)
            y = solver.model(x).permute(0, 2, 3, 1).to(device="cpu", dtype=torch.float64)
            out[start : start + len(chunk)] = y.numpy()
    out = perpendicular_part(out, flat)
    return FieldResult(fields=out.reshape(*batch_shape, L, L, 3), grand_potential=None)


class _Before:
    """The solver with its compute as before tiled inference."""

    def __init__(self, solver) -> None:
        self.solver = solver

    def compute(self, spins):
        return _before_compute(self.solver, spins)


def worker(L: int, mode: str, threads: int) -> dict:
    """Measure one (L, mode) in this process; returns the numbers as a dict."""
    import numpy as np
    import torch

    torch.set_num_threads(threads)
    from torquenet.dynamics import LLGParams, sib_step, solver_field_function
    from torquenet.ml import CNNSolver
    from torquenet.pretrained import default_model_path
    from torquenet.textures import random_spins

    solver = CNNSolver.from_file(default_model_path())
    params = LLGParams()
    field_solver = _Before(solver) if mode == "before" else solver
    compute = field_solver.compute
    spins = random_spins(L, np.random.default_rng(0))
    baseline = _status_bytes("VmRSS")
    times = []
    for _ in range(3):
        start = time.perf_counter()
        compute(spins)
        times.append(time.perf_counter() - start)
        if times[0] > 5.0:
            break
    field_fn = solver_field_function(field_solver, params.external_field)  # as run_llg does
    start = time.perf_counter()
    sib_step(spins, field_fn, params, None)
    step = time.perf_counter() - start
    plan = solver.tile_plan(L)
    return {
        "L": L,
        "mode": mode,
        "eval_s": min(times[1:]) if len(times) > 1 else times[0],
        "step_s": step,
        "baseline_rss": baseline,
        "peak_rss": _status_bytes("VmHWM"),
        "tiles": (
            f"{plan.tiles_per_side}^2 x {plan.tile_size} (+{plan.halo})"
            if mode == "after" and plan.tiled
            else "untiled"
        ),
    }


def _run_worker(L: int, mode: str, threads: int, policy: str) -> dict:
    env = dict(os.environ)
    if policy:
        env["OMP_WAIT_POLICY"] = policy.upper()
    cmd = [sys.executable, __file__, "--worker", str(L), mode, "--threads", str(threads)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode:
        raise RuntimeError(f"worker L={L} {mode} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _mb(x: float) -> str:
    return f"{x / 2**20:.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[96, 256, 512, 1024, 2048])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--omp-wait-policy",
        default="passive",
        help="OMP_WAIT_POLICY of the workers ('' keeps the environment's); passive stops "
        "OpenMP threads spin-waiting for a descheduled partner on a shared machine",
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--worker", nargs=2, metavar=("L", "MODE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(int(args.worker[0]), args.worker[1], args.threads)))
        return

    import numpy as np
    import torch

    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    rows = []
    for L in args.sizes:
        for mode in MODES:
            r = _run_worker(L, mode, args.threads, args.omp_wait_policy)
            print(json.dumps(r), flush=True)
            rows.append(r)
    load_after = os.getloadavg()[0]
    wall = time.perf_counter() - started

    per_spin = {(r["mode"], r["L"]): r["step_s"] / r["L"] ** 2 for r in rows}
    lines = [
        "# Learned field solver vs lattice size: untiled (before) vs tiled (after)",
        "",
        f"`.venv/bin/python benchmarks/bench_scaling.py --sizes {' '.join(map(str, args.sizes))}"
        f" --threads {args.threads} --omp-wait-policy '{args.omp_wait_policy}'`, "
        f"{datetime.date.today()}, torch {torch.__version__} with {args.threads} threads, "
        f"numpy {np.__version__}, Python {platform.python_version()}, "
        f"OMP_WAIT_POLICY={args.omp_wait_policy.upper() or os.environ.get('OMP_WAIT_POLICY', '')}"
        f", {os.cpu_count()} CPUs, 1-minute load average {load_before:.2f} before / "
        f"{load_after:.2f} after (shared machine), {wall:.0f} s in all.",
        "",
        "Shipped model (equivariant, bond basis K = 3, halo radius 12), random texture, "
        "`LLGParams()`; every row a fresh subprocess.  `before`: the whole lattice in one "
        "forward pass (the code before tiled inference); `after`: `CNNSolver` now, default "
        "budget 256 MiB (tiles: count x interior side (+ halo)).  Relative cost: seconds per "
        "spin-step over that of L = 96 in the same mode.",
        "",
        "| L | mode | tiles | s / evaluation | s / LLG step | spin-steps / s | "
        "cost / spin-step vs L = 96 | peak RSS MB (baseline) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        ref = per_spin.get((r["mode"], args.sizes[0]))
        rel = per_spin[(r["mode"], r["L"])] / ref if ref else float("nan")
        lines.append(
            f"| {r['L']} | {r['mode']} | {r['tiles']} | {r['eval_s']:.3g} | {r['step_s']:.3g} | "
            f"{r['L'] ** 2 / r['step_s']:.3g} | {rel:.2f} | {_mb(r['peak_rss'])} "
            f"({_mb(r['baseline_rss'])}) |"
        )
    after = {r["L"]: r for r in rows if r["mode"] == "after"}
    if 1024 in after and args.sizes[0] == 96:
        r = after[1024]
        rel = per_spin[("after", 1024)] / per_spin[("after", 96)]
        rate = 1024**2 / r["step_s"]
        lines += [
            "",
            "Targets at L = 1024 (`after`):",
            "",
            f"- cost per spin-step within {TARGET_RELATIVE_COST}x of L = 96: {rel:.2f}x, "
            f"{'met' if rel <= TARGET_RELATIVE_COST else 'NOT met'};",
            f"- >= {TARGET_SPIN_STEPS:.0e} spin-steps/s: {rate:.3g}, "
            f"{'met' if rate >= TARGET_SPIN_STEPS else 'NOT met'};",
            f"- peak RSS <= 1 GB: {_mb(r['peak_rss'])} MB, "
            f"{'met' if r['peak_rss'] <= TARGET_PEAK_RSS else 'NOT met'}.",
        ]
    text = "\n".join(lines) + "\n"
    # hand-written analysis below the generated table survives a re-run
    old = args.out.read_text() if args.out.is_file() else ""
    if NOTES_HEADING in old:
        text += "\n" + old[old.index(NOTES_HEADING) :]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
