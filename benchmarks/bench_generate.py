"""Wall time of ensemble generation with 1 vs 2 worker processes, and the projected cost of a
shipped config.

Usage: .venv/bin/python benchmarks/bench_generate.py [--config default] [--trajectories 4]
       [--steps 100]
Runs a reduced copy of the config (fewer, shorter trajectories; same L, solver and sampling)
with --workers 1 and 2 in one run, prints a markdown table and the projection to the full config
(cost scales with trajectories x steps).
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _timing import markdown_table  # noqa: E402

from torquenet.config import load_config  # noqa: E402
from torquenet.data import resolve_config_path  # noqa: E402
from torquenet.runs import GenerateConfig, generate  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--config", default="default")
    ap.add_argument("--trajectories", type=int, default=4)
    ap.add_argument("--steps", type=int, default=100)
    args = ap.parse_args()
    full = load_config(resolve_config_path(args.config, "data"), GenerateConfig)
    half = args.trajectories // 2
    reduced = dataclasses.replace(
        full,
        num_random=half,
        num_skyrmion=args.trajectories - half,
        num_steps=args.steps,
        validation_fraction=0.5,
    )
    rows = []
    times = {}
    for workers in (1, 2):
        directory = Path(tempfile.mkdtemp())
        start = time.perf_counter()
        generate(reduced, directory, workers=workers)
        times[workers] = time.perf_counter() - start
        shutil.rmtree(directory)
        rows.append(
            [workers, args.trajectories, args.steps, times[workers], times[1] / times[workers]]
        )
        print(rows[-1], file=sys.stderr, flush=True)
    scale = (
        (full.num_random + full.num_skyrmion) * full.num_steps / (args.trajectories * args.steps)
    )
    print(
        f"Generation of a reduced `{args.config}` config (L = {full.L}, sampling "
        f"{full.sampling}, solver {full.solver.kind} with {full.solver.ed.num_twists}^2 twists), "
        f"{time.strftime('%Y-%m-%d')}\n"
    )
    print(
        markdown_table(["workers", "trajectories", "steps each", "wall (s)", "speed-up vs 1"], rows)
    )
    print(
        f"\nProjected wall time of the full `{args.config}` config "
        f"({full.num_random + full.num_skyrmion} x {full.num_steps} steps) with 2 workers: "
        f"{times[2] * scale / 60:.0f} min (x{scale:.0f} the reduced run)."
    )


if __name__ == "__main__":
    main()
