"""Pieces shared by subcommands: loading spins, solver flags -> SolverConfig."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

import numpy as np

from torquenet._validation import check_spins
from torquenet.config import from_mapping, read_yaml
from torquenet.solvers import SOLVER_KINDS, SolverConfig


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
        "--config", default=None, help="YAML with a SolverConfig (keys: kind, model, ed, ...)"
    )
    parser.add_argument(
        "--twists", type=int, default=None, help="k: average ED over k x k boundary twists"
    )
    parser.add_argument("--kT", type=float, default=None, help="electron temperature")
    parser.add_argument("--device", default=None, help="cpu | cuda | auto")


def solver_config_from_args(args: argparse.Namespace) -> SolverConfig:
    """SolverConfig from --config, overridden by explicit flags."""
    config = (
        from_mapping(SolverConfig, read_yaml(args.config), args.config)
        if args.config
        else SolverConfig()
    )
    if args.solver is not None:
        config = replace(config, kind=args.solver)
    if args.kT is not None:
        config = replace(config, model=replace(config.model, electron_temperature=args.kT))
    if args.twists is not None:
        config = replace(config, ed=replace(config.ed, num_twists=args.twists))
    if args.device is not None:
        config = replace(config, ed=replace(config.ed, device=args.device))
    return config
