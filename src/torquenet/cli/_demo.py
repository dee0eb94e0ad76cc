"""``torquenet demo``: the built-in default job (restoration of a perturbed skyrmion lattice)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from torquenet.runs import DemoConfig, run_demo


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo",
        help="restore a perturbed skyrmion lattice on 96 x 96 with the shipped model",
        description="LLG with the shipped CNN torque model from a perturbed skyrmion-lattice "
        "ansatz (paper Fig. 7), then the long-time stability run (Fig. 8). "
        "Writes trajectories, snapshots, S(q), peak intensity and topological charge vs time, "
        "summary.txt/json. Re-running resumes.",
    )
    p.add_argument("--out", default="torquenet-demo", help="output directory")
    p.add_argument("--L", type=int, default=DemoConfig.L, help="lattice size (multiple of 12)")
    p.add_argument(
        "--steps",
        type=int,
        default=DemoConfig.restoration_steps,
        help="LLG steps of the restoration stage (dt = 0.1)",
    )
    p.add_argument(
        "--stability-steps",
        type=int,
        default=DemoConfig.stability_steps,
        help="steps of the long-time stability stage after the restoration (0: skip; the "
        "default makes the whole run 5x the training trajectories' duration)",
    )
    p.add_argument("--save-every", type=int, default=DemoConfig.save_every, help="frame interval")
    p.add_argument("--seed", type=int, default=DemoConfig.seed, help="seed of the perturbation")
    p.add_argument("--model", default=None, help="model file (default: the shipped model)")
    p.add_argument("--device", default=DemoConfig.device, help="cpu | cuda | auto")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = DemoConfig(
        L=args.L,
        restoration_steps=args.steps,
        stability_steps=args.stability_steps,
        save_every=args.save_every,
        seed=args.seed,
        model_file=args.model if args.model is not None else DemoConfig.model_file,
        device=args.device,
    )
    summary = run_demo(args.out, config, show_progress=True)
    print((Path(args.out) / "summary.txt").read_text(), end="")
    verdicts = [
        summary[s]["final"]["is_skyrmion_lattice"]
        for s in ("restoration", "stability")
        if s in summary
    ]
    print(json.dumps({"skyrmion_lattice_at_end": all(verdicts)}))
    return 0
