"""``torquenet simulate``: an LLG(-Langevin) trajectory to HDF5, checkpointed and resumable."""

from __future__ import annotations

import argparse
import logging
import os

from torquenet._device import resolve_device
from torquenet.cli._common import (
    add_solver_arguments,
    fields_config_from_args,
    output_file,
    run_resumable,
)
from torquenet.config import save_config
from torquenet.dynamics import NOISE_KINDS, LLGParams
from torquenet.ml import DistributedContext, setup_distributed
from torquenet.runs import (
    INIT_KINDS,
    SimulationConfig,
    StepProgressBar,
    check_domain_config,
    simulate,
    simulate_domains,
)

logger = logging.getLogger(__name__)

_DEFAULTS = SimulationConfig()
_LLG_DEFAULTS = LLGParams()


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "simulate",
        help="LLG(-Langevin) spin dynamics to an HDF5 trajectory",
        description="Integrate dS/dt = S x H_eff - alpha S x (S x H_eff) + noise with the SIB "
        "scheme (Mentink et al. 2010) and write spins, fields, energies, topological charge and "
        "magnetisation every --save-every steps to --out (HDF5).  An interrupted run (Ctrl-C, "
        "kill, crash) is resumed by running the same command again; the result is bit-for-bit "
        "that of an uninterrupted run.  Under torchrun (torchrun --nproc-per-node N -m "
        "torquenet simulate --solver cnn ...) the lattice is split into N slabs of rows, one per "
        "process, with halo exchange over torch.distributed (gloo on CPU, NCCL on CUDA); the "
        "trajectory equals the one-process run to float32 rounding.",
    )
    p.add_argument("--out", required=True, help="output trajectory (.h5)")
    p.add_argument("--L", type=int, default=_DEFAULTS.L, help="lattice size L (L x L sites)")
    p.add_argument(
        "--init",
        default=_DEFAULTS.init,
        help=f"initial state: one of {', '.join(INIT_KINDS)} (all but random need "
        "L %% 12 == 0), or a .npy (L, L, 3) / trajectory .h5 file (its last frame)",
    )
    p.add_argument("--steps", type=int, default=_DEFAULTS.num_steps, help="number of LLG steps")
    p.add_argument(
        "--dt", type=float, default=_LLG_DEFAULTS.time_step, help="time step (units of t0)"
    )
    p.add_argument(
        "--damping", type=float, default=_LLG_DEFAULTS.damping, help="Gilbert damping alpha"
    )
    p.add_argument(
        "--temperature",
        type=float,
        default=_LLG_DEFAULTS.temperature,
        help="Langevin temperature T of the spins (units of t1)",
    )
    p.add_argument(
        "--total-temperature",
        action="store_true",
        help="with --solver kpm --fresh-probes: --temperature is the total, the probe noise "
        "counting as a bath of its own (T_noise, measured on the initial state); the thermostat "
        "adds T - T_noise and T < T_noise is refused",
    )
    p.add_argument(
        "--external-field",
        type=float,
        nargs=3,
        default=_LLG_DEFAULTS.external_field,
        metavar=("HX", "HY", "HZ"),
        help="external field H_ext on the local spins (units of t1; default: %(default)s)",
    )
    p.add_argument(
        "--save-every", type=int, default=_DEFAULTS.save_every, help="save a frame every k steps"
    )
    p.add_argument(
        "--checkpoint-every",
        type=int,
        default=_DEFAULTS.checkpoint_every,
        help="write a resume point every k steps",
    )
    p.add_argument("--seed", type=int, default=_DEFAULTS.seed, help="seed (initial state, noise)")
    p.add_argument(
        "--noise",
        choices=NOISE_KINDS,
        default=_DEFAULTS.noise,
        help="Langevin noise generator: counter (normals a function of seed, step and site, so "
        "a run does not depend on the number of processes; default) or sequential (one stream, "
        "the noise of torquenet 0.1 files)",
    )
    p.add_argument(
        "--no-fields", action="store_true", help="do not store the electron fields per frame"
    )
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace an existing output and discard an unfinished run for it (without it, an "
        "unfinished run is resumed and a finished one of the same settings is left as it is)",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="run settings refused as physically absurd (a step turning spins by more than a "
        "radian, T above the field scale |J| + |H_ext|), with a warning",
    )
    add_solver_arguments(p)
    p.set_defaults(func=run)


def config_from_args(args: argparse.Namespace) -> SimulationConfig:
    """SimulationConfig from the flags (physics and solver flags as in ``torquenet fields``)."""
    fields = fields_config_from_args(args)
    return SimulationConfig(
        L=args.L,
        init=args.init,
        num_steps=args.steps,
        save_every=args.save_every,
        checkpoint_every=args.checkpoint_every,
        seed=args.seed,
        noise=args.noise,
        temperature_includes_probe_noise=args.total_temperature,
        save_fields=not args.no_fields,
        model=fields.model,
        llg=LLGParams(
            time_step=args.dt,
            damping=args.damping,
            temperature=args.temperature,
            external_field=tuple(args.external_field),
        ),
        solver=fields.solver,
    )


def _launched_by_torchrun() -> bool:
    """Whether torchrun (torch.distributed.run) started this process: it sets these variables."""
    return all(name in os.environ for name in ("WORLD_SIZE", "RANK", "LOCAL_RANK"))


def _process_group(config: SimulationConfig) -> DistributedContext | None:
    """Under torchrun: check that the config can be split, join the process group (gloo on the
    CPU, NCCL on CUDA; also a world of one) and return this process's place in it; else None."""
    if not _launched_by_torchrun():
        return None
    check_domain_config(config, int(os.environ["WORLD_SIZE"]))
    return setup_distributed(resolve_device(config.solver.cnn.device), single_process_group=True)


def run(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    out = output_file(args.out, ".h5", overwrite=True)  # existence: simulate() resumes or refuses
    context = _process_group(config)
    if context is None or context.is_main:
        out.parent.mkdir(parents=True, exist_ok=True)

    def job(bar: StepProgressBar) -> None:
        if context is not None:
            simulate_domains(
                config,
                out,
                progress=bar if context.is_main else None,
                overwrite=args.overwrite,
                force=args.force,
                context=context,
            )
        else:
            simulate(config, out, progress=bar, overwrite=args.overwrite, force=args.force)

    if run_resumable(job, out, "LLG"):
        return 130
    if context is None or context.is_main:
        save_config(config, out.with_suffix(".config.yaml"))
        logger.info("wrote trajectory %s", out)
    return 0
