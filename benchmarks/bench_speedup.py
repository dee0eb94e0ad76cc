"""Time per LLG step with the shipped model vs KPM vs ED at L = 48, 96, 192.

Usage: .venv/bin/python benchmarks/bench_speedup.py [--threads 2] [--ed-max-L 48] [--kpm-max-L 96]
Writes benchmarks/results/speedup.md (and prints it).  Everything is measured in one run, so the
ratios mean something on a shared machine.

What is timed
- model: ``run_llg`` with the shipped CNN solver, whole SIB steps (two field evaluations, the
  Cayley rotations, H_ext, the integrity guard), best of a few repeats after a warm-up;
- KPM (default settings: M = 300, d = 48, float64, compiled; and the 4x cheaper, 15x less accurate
  d = 24 float32) and ED (one torch eigh): one field evaluation, after a compile warm-up for KPM
  (4 moments).  An LLG step costs two evaluations plus integrator work that is < 5% of one
  model forward (BENCHMARKS.md, LLG integrator overhead), so their step time is 2 x one evaluation.
- beyond ``--ed-max-L`` / ``--kpm-max-L``: fitted, ED as c N^3 through the largest measured L,
  KPM as c N through it (exponent 0.99-1.12 measured in benchmarks/results/kpm.md).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).parent))
from _timing import best_time, markdown_table  # noqa: E402

from torquenet import EDSolver, KPMParams, KPMSolver, SDModelParams  # noqa: E402
from torquenet.dynamics import LLGParams, run_llg  # noqa: E402
from torquenet.ml import CNNSolver  # noqa: E402
from torquenet.pretrained import default_model_path  # noqa: E402
from torquenet.textures import SkyrmionPerturbation, skyrmion_lattice  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "speedup.md"
SIZES = (48, 96, 192)


def texture(L: int) -> np.ndarray:
    return skyrmion_lattice(
        L, perturbation=SkyrmionPerturbation(0.15, 0.3, 0.2), rng=np.random.default_rng(0)
    )


def model_step_seconds(solver: CNNSolver, L: int, steps: int) -> float:
    spins = texture(L)
    run_llg(spins, solver, LLGParams(), None, 2)  # warm-up
    return best_time(lambda: run_llg(spins, solver, LLGParams(), None, steps), repeats=2) / steps


def kpm_eval_seconds(L: int, params: KPMParams) -> float:
    spins = texture(L)
    warm = replace(params, num_moments=4)
    KPMSolver(SDModelParams(), warm).compute(spins)  # torch.compile warm-up at this shape
    solver = KPMSolver(SDModelParams(), params)
    start = time.perf_counter()
    solver.compute(spins)
    return time.perf_counter() - start


def ed_eval_seconds(L: int) -> float:
    spins = texture(L)
    solver = EDSolver(SDModelParams())
    start = time.perf_counter()
    solver.compute(spins)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--ed-max-L", type=int, default=48)
    ap.add_argument("--kpm-max-L", type=int, default=96)
    ap.add_argument("--model-steps", type=int, default=10)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    solver = CNNSolver.from_file(default_model_path())
    kpm_settings = {
        "KPM M = 300, d = 48, float64 (default)": KPMParams(probing_distance=48),
        "KPM M = 300, d = 24, float32": KPMParams(probing_distance=24, dtype="float32"),
    }
    measured: dict[str, dict[int, float]] = {"model": {}, "ED": {}}
    fitted: dict[str, set[int]] = {"ED": set()}
    for name in kpm_settings:
        measured[name], fitted[name] = {}, set()
    for L in SIZES:
        measured["model"][L] = model_step_seconds(solver, L, args.model_steps)
        print(f"L = {L}: model {measured['model'][L]:.4g} s/step", flush=True)
        if L <= args.ed_max_L:
            measured["ED"][L] = 2 * ed_eval_seconds(L)
            print(f"L = {L}: ED {measured['ED'][L]:.4g} s/step", flush=True)
        for name, params in kpm_settings.items():
            if L <= args.kpm_max_L:
                measured[name][L] = 2 * kpm_eval_seconds(L, params)
                print(f"L = {L}: {name} {measured[name][L]:.4g} s/step", flush=True)
    for name, exponent in (("ED", 3), *((n, 1) for n in kpm_settings)):
        ref = max(measured[name])
        for L in SIZES:
            if L not in measured[name]:
                measured[name][L] = measured[name][ref] * (L / ref) ** (2 * exponent)
                fitted[name].add(L)
    default_kpm = next(iter(kpm_settings))
    rows = []
    for L in SIZES:
        model = measured["model"][L]
        row: list[object] = [L, L * L, f"{model:.4g}", f"{1e6 * model / L**2:.3g}"]
        for name in (*kpm_settings, "ED"):
            t = measured[name][L]
            tag = " (fit)" if L in fitted[name] else ""
            row += [f"{t:.4g}{tag}", f"{t / model:.3g}x"]
        rows.append(row)
    header = ["L", "N", "model s/step", "model us/site/step"]
    for name in (*kpm_settings, "ED"):
        header += [f"{name} s/step", "speed-up"]
    load = os.getloadavg()[0]
    text = (
        "## LLG step time: shipped model vs KPM vs ED\n\n"
        f"`.venv/bin/python benchmarks/bench_speedup.py --threads {args.threads}`; torch "
        f"{torch.__version__}, {args.threads} thread(s), 1-minute load average {load:.1f} at the "
        f"end; model {default_model_path().name} ({solver.model.config}).  KPM/ED step = 2 field "
        "evaluations (measured once each); (fit): ED ~ N^3, KPM ~ N from the largest measured "
        "L.\n\n"
        + markdown_table(header, rows)
        + f"\n\nTarget: >= 1000x over KPM at L = 96 with the default KPM settings: "
        f"{measured[default_kpm][96] / measured['model'][96]:.0f}x.\n"
    )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
