"""Phase energies of an energy solver against an exact one: can it rank the ordered phases?

An energy model that is to drive Monte Carlo or decide which phase is stable must get the
*differences* of the grand potential between competing states right; a constant offset per site
(which a model trained on Omega per site of small cells may carry) is irrelevant.  The
reference states are the ones the triangular s-d model's phase diagram is about, on the 12 x 12
cell: the ferromagnet, the coplanar spiral at Q1, the conical spiral at Q1 with m_z = 0.17 (the
exact optimum at kT = 0.05) and the triple-Q skyrmion-lattice ansatz of Eq. (13) with the exact
optimum's parameters (A = 0.673, M = 0.134, phi = 1.561).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from torquenet._typing import FieldSolver
from torquenet.textures import (
    SkyrmionLatticeAnsatz,
    ferromagnet,
    nesting_wavevectors,
    skyrmion_lattice,
    spiral,
)

__all__ = ["PHASE_CELL", "PhaseEnergies", "compare_phase_energies", "reference_phases"]

#: The cell of the reference phases (the skyrmion lattice needs L divisible by 12).
PHASE_CELL = 12


def reference_phases(L: int = PHASE_CELL) -> dict[str, NDArray[np.float64]]:
    """The four competing states on the L x L lattice (L divisible by 12), by name."""
    q1 = nesting_wavevectors()[0]
    return {
        "ferromagnet": ferromagnet(L),
        "coplanar spiral Q1": spiral(L, q1),
        "conical spiral Q1 (m_z = 0.17)": spiral(L, q1, cone_angle=float(np.arcsin(0.17))),
        "skyrmion-lattice ansatz": skyrmion_lattice(
            L, SkyrmionLatticeAnsatz(amplitude=0.673, magnetization=0.134, phase=1.561)
        ),
    }


@dataclass(frozen=True)
class PhaseEnergies:
    """Omega per site (t1, electronic, no Zeeman term) of each state, exact and by the model."""

    names: tuple[str, ...]
    exact: NDArray[np.float64]
    model: NDArray[np.float64]

    @property
    def offset(self) -> float:
        """The common offset removed: the mean of model - exact."""
        return float(np.mean(self.model - self.exact))

    @property
    def residuals(self) -> NDArray[np.float64]:
        """model - exact - offset, per state."""
        return self.model - self.exact - self.offset

    @property
    def max_residual(self) -> float:
        return float(np.abs(self.residuals).max())

    @property
    def same_order(self) -> bool:
        """Whether the model orders the states by energy exactly as the exact solver does."""
        return list(np.argsort(self.exact)) == list(np.argsort(self.model))

    def table(self) -> str:
        """A markdown table: state, exact, model - offset, residual."""
        lines = ["| state | exact | model - offset | residual |", "|---|---|---|---|"]
        for name, e, m, r in zip(self.names, self.exact, self.model, self.residuals, strict=True):
            lines.append(f"| {name} | {e:.6f} | {m - self.offset:.6f} | {r:+.2e} |")
        return "\n".join(lines)


def compare_phase_energies(
    model: FieldSolver,
    exact: FieldSolver,
    states: dict[str, NDArray[np.float64]] | None = None,
) -> PhaseEnergies:
    """Omega per site of ``states`` (default :func:`reference_phases`) by both solvers.

    Both must return ``grand_potential`` (an energy model, ED, KPM).  ValueError otherwise.
    """
    states = reference_phases() if states is None else states
    names = tuple(states)
    values = []
    for solver in (exact, model):
        per_site = []
        for name in names:
            spins = states[name]
            omega = solver.compute(spins).grand_potential
            if omega is None:
                raise ValueError(f"{solver!r} returns no grand potential: it has no energy")
            per_site.append(omega / (spins.shape[0] * spins.shape[1]))
        values.append(np.array(per_site))
    return PhaseEnergies(names, values[0], values[1])
