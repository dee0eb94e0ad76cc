"""Time per ED field evaluation vs the bare Hermitian eigensolvers on the same matrix.

Usage: .venv/bin/python benchmarks/bench_ed.py [--sizes 12 24 36 48] [--budget 180]
Prints a markdown table for BENCHMARKS.md.  All timings of one size come from one run, so the
ratios are meaningful on a shared, noisy machine.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).parent))
from _timing import best_time, markdown_table  # noqa: E402

from torquenet import EDSolver, SDModelParams, TriangularLattice  # noqa: E402
from torquenet.model import build_hamiltonian  # noqa: E402
from torquenet.textures import random_spins  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", type=int, nargs="+", default=[12, 24, 36, 48])
    ap.add_argument(
        "--budget",
        type=float,
        default=180.0,
        help="skip sizes whose predicted cost exceeds this many seconds",
    )
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    params = SDModelParams()
    solver = EDSolver(params)
    rows = []
    last = None
    for L in args.sizes:
        n = 2 * L * L
        if last is not None:
            predicted = 3 * last[1] * (n / last[0]) ** 3
            if predicted > args.budget:
                print(f"skip L={L}: predicted {predicted:.0f} s > budget", file=sys.stderr)
                continue
        spins = random_spins(L, rng)
        h = build_hamiltonian(TriangularLattice(L), params, spins)
        ht = torch.from_numpy(h)
        solver.compute(spins)  # builds the cached hopping matrix outside the timing
        t_solver = best_time(lambda spins=spins: solver.compute(spins))
        t_torch = best_time(lambda ht=ht: torch.linalg.eigh(ht))
        t_numpy = best_time(lambda h=h: np.linalg.eigh(h))
        fastest = min(t_torch, t_numpy)
        rows.append([L, n, t_solver, t_torch, t_numpy, f"{100 * (t_solver / fastest - 1):+.1f}%"])
        print(rows[-1], file=sys.stderr, flush=True)
        last = (n, t_solver)
    print(
        f"ED field evaluation, torch {torch.__version__}, {torch.get_num_threads()} threads, "
        f"{time.strftime('%Y-%m-%d')}\n"
    )
    print(
        markdown_table(
            [
                "L",
                "matrix n = 2L^2",
                "EDSolver.compute (s)",
                "torch eigh (s)",
                "numpy eigh (s)",
                "overhead vs fastest eigh",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()
