"""A texture tiled k x k times is the k x k twist average of its cell (Bloch's theorem)."""

from __future__ import annotations

import numpy as np
import pytest

from torquenet import KPMParams, KPMSolver, SDModelParams
from torquenet.solvers import EDParams, EDSolver, SupercellSolver
from torquenet.textures import random_spins

pytestmark = pytest.mark.usefixtures("single_thread")


def test_supercell_ed_equals_twisted_ed_for_fields_and_grand_potential():
    spins = random_spins(6, np.random.default_rng(3))
    twisted = EDSolver(settings=EDParams(num_twists=3)).compute(spins)
    tiled = SupercellSolver(EDSolver(), 3).compute(spins)
    np.testing.assert_allclose(tiled.fields, twisted.fields, atol=1e-10)
    assert tiled.grand_potential == pytest.approx(twisted.grand_potential, rel=1e-12)


def test_supercell_kpm_sees_the_twisted_system_and_batches():
    """Exact probing (d = the supercell side) of the tiled texture gives the twisted ED fields
    to the Chebyshev truncation; a batch gives each texture's own result."""
    spins = random_spins(6, np.random.default_rng(4))
    twisted = EDSolver(settings=EDParams(num_twists=2)).compute(spins)
    kpm = KPMSolver(SDModelParams(), KPMParams(num_moments=400, probing_distance=12, compile=False))
    tiled = SupercellSolver(kpm, 2)
    error = np.linalg.norm(tiled.compute(spins).fields - twisted.fields)
    assert error / np.linalg.norm(twisted.fields) < 1e-4
    batch = np.stack([spins, random_spins(6, np.random.default_rng(5))])
    np.testing.assert_allclose(
        tiled.compute(batch).fields[0], tiled.compute(spins).fields, atol=1e-12
    )


def test_begin_step_reaches_a_fresh_probe_solver_and_bad_inputs_are_named():
    spins = random_spins(6, np.random.default_rng(6))
    kpm = KPMSolver(
        SDModelParams(),
        KPMParams(num_moments=60, probing_distance=2, compile=False, fresh_probes=True),
    )
    tiled = SupercellSolver(kpm, 2)
    tiled.begin_step(1, 0)
    a = tiled.compute(spins).fields
    tiled.begin_step(1, 1)
    assert not np.allclose(a, tiled.compute(spins).fields)
    SupercellSolver(EDSolver(), 2).begin_step(0, 0)  # no-op for solvers without per-step state
    with pytest.raises(ValueError, match="repeats"):
        SupercellSolver(EDSolver(), 0)
    with pytest.raises(TypeError, match="FieldSolver"):
        SupercellSolver(object(), 2)
