"""Cost of fresh probe phases every LLG step against one fixed set, same (M, d), one run.

Usage: .venv/bin/python benchmarks/bench_fresh_probes.py [--L 48] [--settings 150:12 150:24]
       [--threads 2] [--repeats 5] [--compile]

Times one field evaluation with the fixed probes (cached) and one with ``begin_step`` before it
(new phases drawn, the probe tensor rebuilt), alternating, best of ``--repeats``; writes the
table to benchmarks/results/fresh_probes.md.  Target: overhead <= 10%.
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
from _timing import markdown_table  # noqa: E402

from torquenet import KPMParams, KPMSolver, SDModelParams  # noqa: E402
from torquenet.textures import random_spins  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "fresh_probes.md"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--L", type=int, default=48)
    ap.add_argument("--settings", nargs="+", default=["150:12", "150:24"], metavar="M:d")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--compile", action="store_true", help="compiled kernels (slow start)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    spins = random_spins(args.L, np.random.default_rng(0))
    rows = []
    for setting in args.settings:
        M, d = (int(x) for x in setting.split(":"))
        base = KPMParams(num_moments=M, probing_distance=d, compile=args.compile)
        fixed = KPMSolver(SDModelParams(), base)
        fresh = KPMSolver(SDModelParams(), replace(base, fresh_probes=True))
        fixed.compute(spins)  # warm-up (and compilation)
        fresh.begin_step(0, 0)
        fresh.compute(spins)
        best_fixed = best_fresh = float("inf")
        for step in range(1, args.repeats + 1):
            start = time.perf_counter()
            fixed.compute(spins)
            best_fixed = min(best_fixed, time.perf_counter() - start)
            start = time.perf_counter()
            fresh.begin_step(0, step)
            fresh.compute(spins)
            best_fresh = min(best_fresh, time.perf_counter() - start)
        rows.append(
            [
                f"M = {M}, d = {d}",
                f"{fixed.probes(args.L).shape[-1]}",
                f"{best_fixed:.3g}",
                f"{best_fresh:.3g}",
                f"{100 * (best_fresh / best_fixed - 1):+.1f}%",
            ]
        )
    header = (
        f"Fresh vs fixed probes, L = {args.L}, torch {torch.__version__}, {args.threads} "
        f"threads, {'compiled' if args.compile else 'eager'}, best of {args.repeats}, "
        f"1-minute load average {os.getloadavg()[0]:.1f}, {time.strftime('%Y-%m-%d')}.\n\n"
    )
    table = markdown_table(
        ["setting", "probe vectors", "fixed: s / evaluation", "fresh: s / evaluation",
         "overhead"],
        rows,
    )  # fmt: skip
    text = header + table + "\n\nTarget: overhead <= 10%.\n"
    RESULTS.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
