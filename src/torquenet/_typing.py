"""Shared types: the FieldSolver protocol every field engine implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from torquenet.model import SDModelParams


@dataclass(frozen=True)
class FieldResult:
    """Output of a field evaluation.

    Attributes
    ----------
    fields : ndarray, shape (..., L, L, 3), float64
        Electron-induced exchange fields H_i = J <c^dag_i sigma c_i> = -dOmega/dS_i (units of t1).
        The external field is *not* included.
    grand_potential : ndarray, shape (...,), or None
        Electronic grand potential Omega of the whole L x L cell (twist-averaged where twists are
        used), or None for solvers that do not provide energies (e.g. a learned torque model).
    """

    fields: NDArray[np.float64]
    grand_potential: NDArray[np.float64] | None = None


@runtime_checkable
class FieldSolver(Protocol):
    """Anything that maps spin textures to electron-induced exchange fields.

    ED, KPM and learned models implement it; the LLG integrator accepts any of them and never
    branches on which one it got.

    Attributes
    ----------
    params : SDModelParams
        The s-d model the solver represents (the dynamics adds ``params.external_field``).
    provides_energy : bool
        Whether :meth:`compute` fills ``grand_potential``.
    """

    params: SDModelParams
    provides_energy: bool

    def compute(self, spins: NDArray[np.float64]) -> FieldResult:
        """Fields (and energy where available) for spins of shape (L, L, 3) or (B, L, L, 3)."""
        ...
