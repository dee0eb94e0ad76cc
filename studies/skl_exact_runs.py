"""Exact LLG runs from a perturbed skyrmion lattice on 12 x 12 (4 x 4 twist-averaged ED).

The references of ``studies/trajectory_agreement.py`` for skyrmion-lattice starts (the CLI's
``simulate`` has no flags for the perturbation strengths).  ~7 CPU-min per 400 steps.

Usage:
    .venv/bin/python studies/skl_exact_runs.py OUT.h5 --steps 400 --noise 0.15 0.3 0.2 --seed 0
"""

from __future__ import annotations

import argparse

import torch

from torquenet.dynamics import LLGParams
from torquenet.runs import SimulationConfig, StepProgressBar, simulate
from torquenet.solvers import EDParams, SolverConfig
from torquenet.textures import SkyrmionPerturbation


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("out")
    ap.add_argument("--steps", type=int, default=400)
    ap.add_argument(
        "--noise",
        type=float,
        nargs=3,
        default=(0.15, 0.3, 0.2),
        metavar=("PHASE", "AMPLITUDE", "MAGNETIZATION"),
    )
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--twists", type=int, default=4)
    args = ap.parse_args()
    torch.set_num_threads(1)
    config = SimulationConfig(
        L=12,
        init="skl-perturbed",
        num_steps=args.steps,
        save_every=20,
        checkpoint_every=40,
        seed=args.seed,
        save_fields=False,
        llg=LLGParams(),
        solver=SolverConfig(kind="ed", ed=EDParams(num_twists=args.twists)),
        perturbation=SkyrmionPerturbation(*args.noise),
    )
    bar = StepProgressBar()
    try:
        simulate(config, args.out, progress=bar)
    finally:
        bar.close()


if __name__ == "__main__":
    main()
