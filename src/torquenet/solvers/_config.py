"""Choosing and building a FieldSolver from a typed config (shared by CLI and data generation)."""

from __future__ import annotations

from dataclasses import dataclass, field

from torquenet._typing import FieldSolver
from torquenet.model import SDModelParams
from torquenet.solvers._ed import EDParams, EDSolver
from torquenet.solvers._kpm import KPMParams, KPMSolver

SOLVER_KINDS = ("ed", "kpm", "cnn")


@dataclass(frozen=True)
class LearnedModelParams:
    """Settings of the learned solver (kind "cnn"): a model file from ``torquenet train``.

    Parameters
    ----------
    model_file : str
        Path of the model file; "" means the model shipped with torquenet
        (:func:`torquenet.pretrained.default_model_path`).  Loading refuses a model trained for
        other electronic parameters than ``SolverConfig.model``.
    device : str
        "cpu", "cuda", "cuda:N" or "auto".
    """

    model_file: str = ""
    device: str = "cpu"


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
    kpm : KPMParams
        Settings used when kind == "kpm".
    cnn : LearnedModelParams
        Settings used when kind == "cnn".
    """

    kind: str = "ed"
    model: SDModelParams = field(default_factory=SDModelParams)
    ed: EDParams = field(default_factory=EDParams)
    kpm: KPMParams = field(default_factory=KPMParams)
    cnn: LearnedModelParams = field(default_factory=LearnedModelParams)

    def __post_init__(self) -> None:
        if self.kind not in SOLVER_KINDS:
            raise ValueError(f"solver kind must be one of {SOLVER_KINDS}, got {self.kind!r}")


def build_solver(config: SolverConfig) -> FieldSolver:
    """Instantiate the FieldSolver described by ``config``."""
    if config.kind == "ed":
        return EDSolver(config.model, config.ed)
    if config.kind == "kpm":
        return KPMSolver(config.model, config.kpm)
    if config.kind == "cnn":
        # The one place a lower layer reaches the ml package, lazily and only on request, so
        # that data generation and dynamics build learned solvers from configs like any other.
        from torquenet.ml import CNNSolver
        from torquenet.pretrained import default_model_path

        path = config.cnn.model_file or default_model_path()
        return CNNSolver.from_file(path, config.model, device=config.cnn.device)
    raise AssertionError(f"unhandled solver kind {config.kind!r}")  # guarded in __post_init__


def compute_fields(spins, config: SolverConfig | None = None):
    """Python mirror of ``torquenet fields``: FieldResult for spins (L, L, 3) or (B, L, L, 3)."""
    return build_solver(config or SolverConfig()).compute(spins)
