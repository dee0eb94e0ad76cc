"""``torquenet evaluate``: accuracy and symmetry of a model on a dataset (paper Figs. 3, 4, 9)."""

from __future__ import annotations

import argparse
import json

from torquenet.analysis import EvaluationConfig, evaluate_model
from torquenet.cli._common import add_overwrite_argument, output_directory

_DEFAULTS = EvaluationConfig()


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "evaluate",
        help="benchmark a torque model on a dataset: parity, magnitude/angle, equivariance",
        description="Predict the torques of every frame of a dataset split with a model file and "
        "compare with the exact labels (t1): parity plots by start type (paper Fig. 3), "
        "magnitude and angle errors (Fig. 4), equivariance errors under SO(3) rotations and the "
        "12 D6 operations next to the prediction error (Fig. 9); all numbers in metrics.json.",
    )
    p.add_argument("--model", required=True, help="model file (.pt) written by training")
    p.add_argument("--data", required=True, help="dataset directory (torquenet generate)")
    p.add_argument("--out", required=True, help="output directory")
    add_overwrite_argument(p, "an existing report in --out")
    p.add_argument(
        "--split",
        default=_DEFAULTS.split,
        choices=["validation", "train", "all"],
        help="dataset split to evaluate",
    )
    p.add_argument(
        "--max-frames",
        type=int,
        default=_DEFAULTS.max_frames,
        help="at most N frames, shared evenly between start types (default: %(default)s)",
    )
    p.add_argument(
        "--rotations",
        type=int,
        default=_DEFAULTS.num_rotations,
        help="random SO(3) rotations in the equivariance test",
    )
    p.add_argument(
        "--equivariance-frames",
        type=int,
        default=_DEFAULTS.num_equivariance_frames,
        help="frames used for the equivariance test",
    )
    p.add_argument("--seed", type=int, default=_DEFAULTS.seed, help="seed of the rotations")
    p.add_argument("--batch-size", type=int, default=_DEFAULTS.batch_size, help="frames per pass")
    p.add_argument("--device", default=_DEFAULTS.device, help="cpu | cuda | auto")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = EvaluationConfig(
        split=args.split,
        max_frames=args.max_frames,
        num_rotations=args.rotations,
        num_equivariance_frames=args.equivariance_frames,
        seed=args.seed,
        device=args.device,
        batch_size=args.batch_size,
    )
    output_directory(args.out, "metrics.json", args.overwrite)
    metrics = evaluate_model(args.model, args.data, args.out, config)
    summary = {
        start: {k: m[k] for k in ("num_sites", "eq11_loss", "angle_deg_p50", "angle_deg_p99")}
        for start, m in {**metrics["per_start_type"], "all": metrics["all"]}.items()
    }
    equivariance = metrics["equivariance"]
    summary["equivariance_SO(3)_p50"] = equivariance["SO(3)"]["abs_error_p50"]
    summary["prediction_error_p50"] = equivariance["prediction_error_same_frames"]["abs_error_p50"]
    print(json.dumps(summary, indent=1))
    return 0
