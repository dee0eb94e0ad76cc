"""``torquenet mc``: Metropolis Monte Carlo with a learned energy model to an HDF5 trajectory."""

from __future__ import annotations

import argparse
import logging
from dataclasses import replace

from torquenet.cli._common import output_file, run_resumable
from torquenet.config import from_mapping, read_yaml, save_config
from torquenet.runs import INIT_KINDS, MonteCarloConfig, StepProgressBar, run_monte_carlo

logger = logging.getLogger(__name__)

_DEFAULTS = MonteCarloConfig()


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "mc",
        help="Metropolis Monte Carlo with an energy model (exp(-E/T) sampling, annealing)",
        description="Sample exp(-E/T), E = Omega_model - H_ext . sum S, with single-spin "
        "Metropolis moves of a learned energy model (architecture 'energy'); sites farther "
        "apart than twice the model's site-energy radius are updated together, so every energy "
        "difference is exact for the model.  Anneals through --temperatures "
        "(--sweeps-per-temperature each) and writes frames every --save-every sweeps in the "
        "trajectory schema (steps = sweeps).  Checkpointed: rerun the same command to resume.",
    )
    p.add_argument("--out", required=True, help="output trajectory (.h5)")
    p.add_argument(
        "--model",
        default=None,
        help="energy model file (default: from --config, else the shipped energy model)",
    )
    p.add_argument("--config", default=None, help="YAML of a MonteCarloConfig; flags override it")
    p.add_argument("--L", type=int, default=None, help=f"lattice size (default {_DEFAULTS.L})")
    p.add_argument(
        "--init",
        default=None,
        help=f"initial state: one of {', '.join(INIT_KINDS)} or a .npy / trajectory file",
    )
    p.add_argument(
        "--temperatures",
        type=float,
        nargs="+",
        default=None,
        help=f"annealing schedule (t1; default {list(_DEFAULTS.temperatures)})",
    )
    p.add_argument(
        "--sweeps-per-temperature",
        type=int,
        default=None,
        help=f"sweeps at each temperature (default {_DEFAULTS.sweeps_per_temperature})",
    )
    p.add_argument("--step-size", type=float, default=None, help="proposal width (default 0.5)")
    p.add_argument("--save-every", type=int, default=None, help="sweeps between saved frames")
    p.add_argument("--checkpoint-every", type=int, default=None, help="sweeps between checkpoints")
    p.add_argument("--seed", type=int, default=None, help="seed of the run")
    p.add_argument(
        "--external-field",
        type=float,
        nargs=3,
        default=None,
        metavar=("HX", "HY", "HZ"),
        help="H_ext (t1; default 0 0 0.005)",
    )
    p.add_argument("--device", default=None, help="cpu | cuda | auto")
    p.add_argument("--overwrite", action="store_true", help="discard an existing run")
    p.set_defaults(func=run)


def config_from_args(args: argparse.Namespace) -> MonteCarloConfig:
    """MonteCarloConfig from --config overridden by the flags (the CLI's Python mirror)."""
    config = (
        from_mapping(MonteCarloConfig, read_yaml(args.config), args.config)
        if args.config
        else MonteCarloConfig()
    )
    flags = {
        "L": args.L,
        "init": args.init,
        "temperatures": tuple(args.temperatures) if args.temperatures else None,
        "sweeps_per_temperature": args.sweeps_per_temperature,
        "step_size": args.step_size,
        "save_every": args.save_every,
        "checkpoint_every": args.checkpoint_every,
        "seed": args.seed,
        "external_field": tuple(args.external_field) if args.external_field else None,
    }
    config = replace(config, **{k: v for k, v in flags.items() if v is not None})
    cnn = config.cnn
    if args.model is not None:
        cnn = replace(cnn, model_file=args.model)
    if args.device is not None:
        cnn = replace(cnn, device=args.device)
    return replace(config, cnn=cnn)


def run(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    out = output_file(args.out, ".h5", overwrite=True)  # run_monte_carlo resumes or refuses
    out.parent.mkdir(parents=True, exist_ok=True)

    def job(bar: StepProgressBar) -> None:
        run_monte_carlo(config, out, progress=bar, overwrite=args.overwrite)

    if run_resumable(job, out, "Metropolis"):
        return 130
    save_config(config, out.with_suffix(".config.yaml"))
    logger.info("wrote Monte Carlo trajectory %s", out)
    return 0
