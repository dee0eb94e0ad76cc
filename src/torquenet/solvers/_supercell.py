"""Fields of a texture repeated over a k x k supercell: the twist-averaged system of any solver.

By Bloch's theorem, the electrons of an L-periodic texture on the kL x kL torus are the
electrons of the L x L cell averaged over the k x k boundary twists theta = 2 pi (m1, m2) / k
(what :class:`~torquenet.solvers.EDParams` ``num_twists = k`` computes).  So the fields of the
cell with k x k twists equal the fields of one cell of the texture tiled k x k times, and the
cell's grand potential is the supercell's divided by k^2.  :class:`SupercellSolver` does this for
any solver, so KPM (which has no twists) can see exactly the system the twisted ED reference and
the training labels see.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from torquenet._typing import FieldResult, FieldSolver
from torquenet._validation import check_int, check_spins


class SupercellSolver:
    """``inner`` evaluated on the texture tiled ``repeats`` x ``repeats`` times; the cell's part.

    Parameters
    ----------
    inner : FieldSolver
        Any solver (e.g. a :class:`~torquenet.solvers.KPMSolver` with a probing distance that
        divides the supercell side).
    repeats : int
        k >= 1.

    Notes
    -----
    ``begin_step`` is passed on, so fresh-probe KPM keeps its per-step phases (drawn on the
    supercell).  Cost: that of ``inner`` on k^2 times the sites.

    Examples
    --------
    >>> from torquenet.solvers import EDParams, EDSolver
    >>> from torquenet.textures import random_spins
    >>> s = random_spins(6, np.random.default_rng(0))
    >>> twisted = EDSolver(settings=EDParams(num_twists=2)).compute(s)
    >>> tiled = SupercellSolver(EDSolver(), 2).compute(s)
    >>> bool(np.allclose(tiled.fields, twisted.fields, atol=1e-10))
    True
    """

    def __init__(self, inner: FieldSolver, repeats: int) -> None:
        if not hasattr(inner, "compute"):
            raise TypeError(f"inner must be a FieldSolver, got {type(inner).__name__}")
        self.inner = inner
        self.repeats = check_int("repeats", repeats, minimum=1)
        self.params = getattr(inner, "params", None)
        self.provides_energy = bool(getattr(inner, "provides_energy", False))

    def __repr__(self) -> str:
        return f"SupercellSolver({self.inner!r}, repeats={self.repeats})"

    def begin_step(self, stream: int, step: int) -> None:
        """Forwarded to ``inner`` (fresh-probe KPM), a no-op for solvers without it."""
        begin = getattr(self.inner, "begin_step", None)
        if begin is not None:
            begin(stream, step)

    def compute(self, spins: NDArray[np.float64]) -> FieldResult:
        """Fields (..., L, L, 3) of the cell and its grand potential (the supercell's / k^2)."""
        spins = check_spins(spins)
        k, L = self.repeats, spins.shape[-2]
        tiled = np.tile(spins, (1,) * (spins.ndim - 3) + (k, k, 1))
        result = self.inner.compute(tiled)
        fields = np.ascontiguousarray(result.fields[..., :L, :L, :])
        omega = None if result.grand_potential is None else result.grand_potential / k**2
        return FieldResult(fields=fields, grand_potential=omega)
