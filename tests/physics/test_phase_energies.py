"""Phase energies: the comparison removes only a common offset, and the reference states are the
physical phases (their exact energies in the order of the s-d model's phase diagram)."""

from __future__ import annotations

import numpy as np
import pytest

from torquenet import EDParams, EDSolver, SDModelParams
from torquenet._typing import FieldResult
from torquenet.analysis import compare_phase_energies, reference_phases
from torquenet.ml import CNNSolver
from torquenet.observables import magnetization
from torquenet.pretrained import default_model_path, energy_model_path

EXACT = EDSolver(SDModelParams(), EDParams(num_twists=1))


class Shifted:
    """An energy solver: exact fields, Omega + N (c + a S_z-tilt) (a per-site offset c plus,
    with ``tilt`` != 0, an error that depends on the state)."""

    def __init__(self, offset: float, tilt: float = 0.0) -> None:
        self.offset, self.tilt, self.params = offset, tilt, EXACT.params

    def compute(self, spins):
        exact = EXACT.compute(spins)
        n = spins.shape[0] * spins.shape[1]
        extra = n * (self.offset + self.tilt * abs(magnetization(spins)[2]))
        return FieldResult(exact.fields, exact.grand_potential + extra)


def test_a_constant_offset_per_site_is_no_error():
    result = compare_phase_energies(Shifted(0.0123), EXACT)
    assert result.offset == pytest.approx(0.0123, abs=1e-12)
    assert result.max_residual < 1e-12 and result.same_order
    assert result.names == tuple(reference_phases())


def test_a_state_dependent_error_shows_in_the_residuals_and_the_order():
    result = compare_phase_energies(Shifted(0.0, tilt=-0.05), EXACT)
    # the error per site is -0.05 |m_z|; the residual is that error less its mean over states
    error = np.array([-0.05 * abs(magnetization(s)[2]) for s in reference_phases().values()])
    assert np.allclose(result.residuals, error - error.mean(), atol=1e-12)
    # the ferromagnet (|m_z| = 1) moves most, below the others: the order is broken
    assert np.argmax(np.abs(result.residuals)) == result.names.index("ferromagnet")
    assert not result.same_order


def test_the_reference_states_have_their_known_exact_energies():
    """Exact Omega per site at kT = 0.05 of the fixed (unrelaxed) reference textures: the
    ferromagnet far above the Q1 textures, the coplanar spiral the lowest of them (relaxing
    the conical spiral lowers it below, REPRODUCTION.md: these are test states, not minima)."""
    result = compare_phase_energies(Shifted(0.0), EDSolver(SDModelParams(), EDParams(4)))
    energy = dict(zip(result.names, result.exact, strict=True))
    assert energy["ferromagnet"] - energy["coplanar spiral Q1"] > 0.01
    assert min(energy, key=energy.get) == "coplanar spiral Q1"
    for name, spins in reference_phases().items():
        assert np.allclose(np.linalg.norm(spins, axis=-1), 1.0), name


def test_a_solver_without_energy_is_refused():
    with pytest.raises(ValueError, match="no grand potential"):
        compare_phase_energies(CNNSolver.from_file(default_model_path()), EXACT)


def test_the_shipped_energy_model_ranks_the_phases_like_twist_converged_ed():
    """The acceptance of the shipped energy model (its card's table): every phase within 3e-4
    per site of ED with 8 x 8 twists after one common offset, in the exact order."""
    model = CNNSolver.from_file(energy_model_path(), dtype="float64")
    result = compare_phase_energies(model, EDSolver(model.params, EDParams(num_twists=8)))
    assert result.max_residual <= 3e-4, result.table()
    assert result.same_order, result.table()
