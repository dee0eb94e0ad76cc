"""Trajectory-level agreement: rerun the initial state of exact runs with a model, frame by frame.

For every exact trajectory file, the model integrates the same initial state with the same
dt, damping and temperature-free dynamics (an exact run at T > 0 is compared with a T = 0 model
run, as in the paper) and the two are compared at every saved step: the mean angle between the
spins, the Bragg weight of the six +-Q_eta (fraction of sum_q S(q)), and the numbers of
skyrmions / antiskyrmions.  This is stricter than the ensemble comparison of ``torquenet
compare``: chaotic coarsening makes runs from random starts diverge eventually even for a
perfect model, while relaxing skyrmion lattices should stay on the exact path.

Usage: .venv/bin/python studies/trajectory_agreement.py RUN.h5 [RUN.h5 ...] [--model FILE]
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace

import numpy as np
import torch

from torquenet.config import from_mapping
from torquenet.data import read_trajectory
from torquenet.dynamics import LLGParams, run_llg
from torquenet.ml import CNNSolver
from torquenet.observables import skyrmion_lattice_order
from torquenet.pretrained import default_model_path


def compare_run(path: str, solver: CNNSolver, every: int) -> list[str]:
    run = read_trajectory(path)
    config = json.loads(run.attributes["config"])
    # the run's dynamics (dt, damping, H_ext), without noise
    llg = replace(from_mapping(LLGParams, config["llg"], f"{path}: llg"), temperature=0.0)
    model_frames = {}

    def observe(step, spins, result):
        model_frames[step] = spins.copy()

    run_llg(run.spins[0], solver, llg, None, int(run.steps[-1]), observer=observe)
    rows = []
    for k in range(0, len(run.steps), every):
        step, exact = int(run.steps[k]), run.spins[k]
        model = model_frames[step]
        angle = np.degrees(np.arccos(np.clip(np.sum(exact * model, axis=-1), -1.0, 1.0)))
        a, b = skyrmion_lattice_order(exact), skyrmion_lattice_order(model)
        rows.append(
            f"| {path.split('/')[-1]} | {run.times[k]:g} | {angle.mean():.2f} | "
            f"{a['bragg_weight']:.4f} / {b['bragg_weight']:.4f} | "
            f"{a['skyrmions']}, {a['antiskyrmions']} / {b['skyrmions']}, {b['antiskyrmions']} |"
        )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("runs", nargs="+", help="exact trajectory files (.h5)")
    ap.add_argument("--model", default=None, help="model file (default: the shipped model)")
    ap.add_argument("--every", type=int, default=4, help="report every k-th saved frame")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    solver = CNNSolver.from_file(args.model or default_model_path())
    print(
        "| run | t | mean angle exact vs model (deg) | Bragg weight exact / model | "
        "(N-, N+) exact / model |"
    )
    print("|---|---|---|---|---|")
    for path in args.runs:
        for row in compare_run(path, solver, args.every):
            print(row, flush=True)


if __name__ == "__main__":
    main()
