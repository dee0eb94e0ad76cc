"""Pieces shared by subcommands: loading spins, physics and solver flags -> FieldsConfig."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

import numpy as np

from torquenet._validation import check_spins
from torquenet.config import from_mapping, read_yaml
from torquenet.runs import FieldsConfig
from torquenet.solvers import SOLVER_KINDS


def load_spins(path: str | Path) -> np.ndarray:
    """Read unit spins (L, L, 3) from a .npy file with clear errors."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"spin file {str(path)!r} does not exist")
    try:
        spins = np.load(path, allow_pickle=False)
    except (ValueError, OSError) as exc:
        raise ValueError(f"spin file {str(path)!r} is not a readable .npy array: {exc}") from exc
    return check_spins(spins, name=f"spins in {path}")


def add_solver_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags shared by every subcommand that evaluates fields."""
    parser.add_argument(
        "--solver",
        choices=SOLVER_KINDS,
        default=None,
        help="field solver (default: from --config, else ed)",
    )
    parser.add_argument(
        "--config",
        default=None,
        help="YAML with the physics and the solver: keys model (SDModelParams: hopping, "
        "sd_coupling, chemical_potential, electron_temperature) and solver (SolverConfig: kind, "
        "ed, kpm, cnn); flags override it",
    )
    parser.add_argument(
        "--twists", type=int, default=None, help="k: average ED over k x k boundary twists"
    )
    parser.add_argument("--kT", type=float, default=None, help="electron temperature")
    parser.add_argument("--device", default=None, help="cpu | cuda | auto (of the chosen solver)")
    parser.add_argument(
        "--model",
        default=None,
        help="model file from `torquenet train` (with --solver cnn; default: the shipped model)",
    )
    kpm = parser.add_argument_group("KPM solver (--solver kpm; see KPMParams)")
    kpm.add_argument("--num-moments", type=int, default=None, help="Chebyshev moments M")
    kpm.add_argument(
        "--probing-distance",
        type=int,
        default=None,
        help="minimum distance of sites sharing a probe vector (must divide L; >= L is exact)",
    )
    kpm.add_argument(
        "--num-random-vectors",
        type=int,
        default=None,
        help="random-phase probes per (colour, spin) pair",
    )
    kpm.add_argument("--kpm-seed", type=int, default=None, help="seed of the probe phases")
    kpm.add_argument(
        "--no-compile",
        dest="kpm_compile",
        action="store_const",
        const=False,
        default=None,
        help="run the KPM kernels eagerly (no torch.compile; quicker start, slower steps)",
    )


def fields_config_from_args(args: argparse.Namespace) -> FieldsConfig:
    """FieldsConfig (physics + solver) from --config, overridden by explicit flags."""
    config = (
        from_mapping(FieldsConfig, read_yaml(args.config), args.config)
        if args.config
        else FieldsConfig()
    )
    model, solver = config.model, config.solver
    kind = args.solver if args.solver is not None else solver.kind
    cnn = replace(solver.cnn, model_file=args.model) if args.model is not None else solver.cnn
    if args.model is not None and kind != "cnn":
        raise ValueError(f"--model needs --solver cnn (solver is {kind!r})")
    solver = replace(solver, kind=kind, cnn=cnn)
    if args.kT is not None:
        model = replace(model, electron_temperature=args.kT)
    if args.twists is not None:
        solver = replace(solver, ed=replace(solver.ed, num_twists=args.twists))
    kpm_flags = {
        "num_moments": args.num_moments,
        "probing_distance": args.probing_distance,
        "num_random_vectors": args.num_random_vectors,
        "seed": args.kpm_seed,
        "compile": args.kpm_compile,
    }
    kpm_changes = {key: value for key, value in kpm_flags.items() if value is not None}
    if kpm_changes and solver.kind != "kpm":
        raise ValueError(
            f"KPM options {sorted(kpm_changes)} need --solver kpm (solver is {solver.kind!r})"
        )
    if kpm_changes:
        solver = replace(solver, kpm=replace(solver.kpm, **kpm_changes))
    if args.device is not None:
        solver = replace(solver, **{solver.kind: replace(solver.settings, device=args.device)})
    return FieldsConfig(model=model, solver=solver)
