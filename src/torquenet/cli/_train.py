"""``torquenet train``: fit the CNN torque model to generated datasets."""

from __future__ import annotations

import argparse
import json
from dataclasses import replace

from torquenet.config import load_config
from torquenet.data import builtin_config_names, resolve_config_path
from torquenet.ml import TrainConfig, train_on_directory


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train",
        help="train the CNN torque model on a generated dataset",
        description="Train with Eq. (11) loss, SO(3) x D6 augmentation, Adam and reduce-on-"
        "plateau; checkpoints every epoch and resumes. Multi-process: "
        "torchrun --nproc-per-node N -m torquenet train ...",
    )
    p.add_argument(
        "--config",
        default="default",
        help=f"YAML file or shipped config name {builtin_config_names('train')}",
    )
    p.add_argument(
        "--data",
        required=True,
        nargs="+",
        help="dataset directory from `torquenet generate`; several (same physics and L) are "
        "trained on together",
    )
    p.add_argument("--out", required=True, help="run directory (checkpoints, logs, model file)")
    p.add_argument("--epochs", type=int, default=None, help="override the config's epochs")
    p.add_argument("--device", default=None, help="cpu | cuda | auto")
    p.add_argument("--seed", type=int, default=None, help="override the config's seed")
    p.add_argument(
        "--initial-model",
        default=None,
        help="start from this model file (same architecture, or a narrower equivariant "
        "network that is widened without changing its output)",
    )
    p.add_argument(
        "--no-resume", action="store_true", help="refuse to continue an existing run in --out"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = load_config(resolve_config_path(args.config, "train"), TrainConfig)
    overrides = {
        k: v
        for k, v in (
            ("epochs", args.epochs),
            ("device", args.device),
            ("seed", args.seed),
            ("initial_model", args.initial_model),
        )
        if v is not None
    }
    config = replace(config, **overrides)
    result = train_on_directory(
        config, args.data, args.out, resume=not args.no_resume, show_progress=True
    )
    print(
        json.dumps(
            {
                "model": str(result.model_path),
                "best_epoch": result.best_epoch,
                "best_val_loss": result.best_val_loss,
                "epochs_completed": result.epochs_completed,
                "stopped_early": result.stopped_early,
            },
            indent=2,
        )
    )
    return 0
