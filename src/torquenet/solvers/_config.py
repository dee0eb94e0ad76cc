"""Which field solver, with which settings: the typed config shared by the CLI and run drivers.

The physics (:class:`~torquenet.model.SDModelParams`) is not part of it: a run config holds the
s-d parameters once and hands them to the solver factory
(:func:`torquenet.runs.build_solver`), so the dynamics, the labelling solver and the model file
cannot disagree about them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from torquenet.solvers._ed import EDParams
from torquenet.solvers._kpm import KPMParams

#: Values of ``SolverConfig.kind``: exact diagonalisation, the kernel polynomial method, a
#: learned model.
SOLVER_KINDS = ("ed", "kpm", "cnn")


@dataclass(frozen=True)
class LearnedModelParams:
    """Settings of the learned solver (kind "cnn"): a model file from ``torquenet train``.

    Parameters
    ----------
    model_file : str
        Path of the model file; "" means the model shipped with torquenet
        (:func:`torquenet.pretrained.resolve_model_file`).  Loading refuses a model trained for
        other s-d parameters than the run's.
    device : str
        "cpu", "cuda", "cuda:N" or "auto".
    max_memory : int or None
        Memory budget (bytes) of one forward pass; larger lattices are evaluated tile by tile
        with a halo of the network's receptive radius (identical fields to float32 rounding).
        None: the default budget (:data:`torquenet.ml.DEFAULT_MAX_MEMORY`, 256 MiB, or
        one smallest tile's need where a deep network's halo asks for more).
    dtype : str
        "float32" (the training precision; default) or "float64" (a double-precision copy of
        the network, for energy differences and derivative checks).
    """

    model_file: str = ""
    device: str = "cpu"
    max_memory: int | None = None
    dtype: str = "float32"

    def __post_init__(self) -> None:
        if self.dtype not in ("float32", "float64"):
            raise ValueError(f"cnn.dtype must be 'float32' or 'float64', got {self.dtype!r}")


@dataclass(frozen=True)
class SolverConfig:
    """Which field solver to use, with which settings.

    Parameters
    ----------
    kind : str
        One of SOLVER_KINDS.
    ed : EDParams
        Settings used when kind == "ed".
    kpm : KPMParams
        Settings used when kind == "kpm".
    cnn : LearnedModelParams
        Settings used when kind == "cnn".
    """

    kind: str = "ed"
    ed: EDParams = field(default_factory=EDParams)
    kpm: KPMParams = field(default_factory=KPMParams)
    cnn: LearnedModelParams = field(default_factory=LearnedModelParams)

    def __post_init__(self) -> None:
        if self.kind not in SOLVER_KINDS:
            raise ValueError(f"solver kind must be one of {SOLVER_KINDS}, got {self.kind!r}")

    @property
    def settings(self) -> EDParams | KPMParams | LearnedModelParams:
        """The settings of the chosen kind."""
        return getattr(self, self.kind)
