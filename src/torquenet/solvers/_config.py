"""Choosing and building a FieldSolver from a typed config (shared by CLI and data generation)."""

from __future__ import annotations

from dataclasses import dataclass, field

from torquenet._typing import FieldSolver
from torquenet.model import SDModelParams
from torquenet.solvers._ed import EDParams, EDSolver

SOLVER_KINDS = ("ed",)


@dataclass(frozen=True)
class SolverConfig:
    """Which field solver to use, for which s-d model, with which settings.

    Parameters
    ----------
    kind : str
        One of SOLVER_KINDS.
    model : SDModelParams
        The physics.
    ed : EDParams
        Settings used when kind == "ed".
    """

    kind: str = "ed"
    model: SDModelParams = field(default_factory=SDModelParams)
    ed: EDParams = field(default_factory=EDParams)

    def __post_init__(self) -> None:
        if self.kind not in SOLVER_KINDS:
            raise ValueError(f"solver kind must be one of {SOLVER_KINDS}, got {self.kind!r}")


def build_solver(config: SolverConfig) -> FieldSolver:
    """Instantiate the FieldSolver described by ``config``."""
    if config.kind == "ed":
        return EDSolver(config.model, config.ed)
    raise AssertionError(f"unhandled solver kind {config.kind!r}")  # guarded in __post_init__


def compute_fields(spins, config: SolverConfig | None = None):
    """Python mirror of ``torquenet fields``: FieldResult for spins (L, L, 3) or (B, L, L, 3)."""
    return build_solver(config or SolverConfig()).compute(spins)
