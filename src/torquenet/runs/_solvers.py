"""The solver factory: a FieldSolver from a typed SolverConfig and the s-d parameters.

This is the one place where the exact solvers and the learned one meet, so the layers below
(solvers, dynamics, data) never import :mod:`torquenet.ml`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from torquenet._typing import FieldResult, FieldSolver
from torquenet._validation import check_finite
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
        return CNNSolver.from_file(
            path,
            model,
            device=config.cnn.device,
            max_memory=config.cnn.max_memory,
            dtype=config.cnn.dtype,
        )
    raise AssertionError(f"unhandled solver kind {config.kind!r}")  # guarded in SolverConfig


def compute_fields(spins: NDArray, config: FieldsConfig | None = None) -> FieldResult:
    """Python mirror of ``torquenet fields``: FieldResult for spins (L, L, 3) or (B, L, L, 3).

    Raises ValueError when the solver returns NaN or inf (e.g. a model file with NaN weights):
    a non-finite result is never handed on.
    """
    config = FieldsConfig() if config is None else config
    solver = build_solver(config.solver, config.model)
    return checked_result(solver.compute(spins), solver)


def energy_record(result: FieldResult, spins: NDArray, solver_kind: str) -> dict | None:
    """The ``F.energy.json`` record of ``torquenet fields``: Omega of the L x L cell and per
    site (t1, electronic, no Zeeman term), or None for solvers without an energy.

    For a batch (B, L, L, 3) both are lists of B numbers.
    """
    if result.grand_potential is None:
        return None
    L = int(spins.shape[-2])
    omega = np.asarray(result.grand_potential, dtype=np.float64)
    per_site = omega / (L * L)
    return {
        "grand_potential": omega.tolist(),
        "grand_potential_per_site": per_site.tolist(),
        "L": L,
        "solver": solver_kind,
        "units": "t1",
        "definition": "electronic grand potential Omega of the L x L cell (for ED with "
        "twists: the twist average), H_ext's Zeeman term not included",
    }


def checked_result(result: FieldResult, solver: FieldSolver) -> FieldResult:
    """``result`` after checking that its fields and energy are finite (ValueError otherwise)."""
    hint = f" in the output of {solver!r}; a learned model with NaN weights or an unstable setting?"
    check_finite("fields", result.fields, hint)
    if result.grand_potential is not None:
        check_finite("grand potentials", result.grand_potential, hint)
    return result
