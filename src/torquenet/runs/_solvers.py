"""The solver factory: a FieldSolver from a typed SolverConfig and the s-d parameters.

This is the one place where the exact solvers and the learned one meet, so the layers below
(solvers, dynamics, data) never import :mod:`torquenet.ml`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from numpy.typing import NDArray

from torquenet._typing import FieldResult, FieldSolver
from torquenet.ml import CNNSolver
from torquenet.model import SDModelParams
from torquenet.pretrained import resolve_model_file
from torquenet.solvers import EDSolver, KPMSolver, SolverConfig


@dataclass(frozen=True)
class FieldsConfig:
    """What ``torquenet fields`` evaluates: the s-d model and the solver (its ``--config`` file).

    Parameters
    ----------
    model : SDModelParams
        The physics.
    solver : SolverConfig
        Which solver, with which settings.
    """

    model: SDModelParams = field(default_factory=SDModelParams)
    solver: SolverConfig = field(default_factory=SolverConfig)


def build_solver(config: SolverConfig, model: SDModelParams | None = None) -> FieldSolver:
    """Instantiate the FieldSolver described by ``config`` for the s-d model ``model``.

    Parameters
    ----------
    config : SolverConfig
    model : SDModelParams, optional
        The physics (default: ``SDModelParams()``).  A learned model is refused unless it was
        trained for exactly these parameters.
    """
    model = SDModelParams() if model is None else model
    if not isinstance(config, SolverConfig):
        raise TypeError(f"config must be a SolverConfig, got {type(config).__name__}")
    if not isinstance(model, SDModelParams):
        raise TypeError(f"model must be SDModelParams, got {type(model).__name__}")
    if config.kind == "ed":
        return EDSolver(model, config.ed)
    if config.kind == "kpm":
        return KPMSolver(model, config.kpm)
    if config.kind == "cnn":
        path = resolve_model_file(config.cnn.model_file)
        return CNNSolver.from_file(path, model, device=config.cnn.device)
    raise AssertionError(f"unhandled solver kind {config.kind!r}")  # guarded in SolverConfig


def compute_fields(spins: NDArray, config: FieldsConfig | None = None) -> FieldResult:
    """Python mirror of ``torquenet fields``: FieldResult for spins (L, L, 3) or (B, L, L, 3)."""
    config = FieldsConfig() if config is None else config
    return build_solver(config.solver, config.model).compute(spins)
