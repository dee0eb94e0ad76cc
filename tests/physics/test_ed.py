"""Physics checks of the exact-diagonalisation solver."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from tests.helpers import random_rotation, rotate_spin
from torquenet import EDParams, EDSolver, SDModelParams, TriangularLattice
from torquenet.model import band_energy, build_hamiltonian, fermi_function, grand_potential_terms
from torquenet.textures import ferromagnet, random_spins

# Central differences with step 1e-4 on Omega ~ 10: truncation ~ h^2 |Omega'''| ~ 1e-8,
# rounding ~ 1e-16 * 10 / 1e-4 ~ 1e-11.  The acceptance bound is 1e-6.
FD_STEP = 1e-4
ATOL_FD = 1e-6
# Symmetry operations permute/rotate exactly; only eigen-solver rounding remains.
ATOL_SYMMETRY = 1e-10
ATOL_EXACT = 1e-12

KT_VALUES = [0.05, 0.0]


def omega_reference(spins, params):
    """Independent oracle: Omega from eigenvalues only (numpy), spins need not be unit."""
    h = build_hamiltonian(TriangularLattice(spins.shape[0]), params, spins)
    eps = np.linalg.eigvalsh(h)
    return grand_potential_terms(eps, params.chemical_potential, params.electron_temperature).sum()


@pytest.mark.parametrize("kT", KT_VALUES)
def test_fields_are_minus_gradient_of_omega_in_all_components(kT, rng):
    params = SDModelParams(electron_temperature=kT)
    spins = random_spins(6, rng)
    fields = EDSolver(params).compute(spins).fields
    worst = 0.0
    for site in [(0, 0), (2, 3), (5, 1), (4, 4)]:
        for a in range(3):

            def omega(x, site=site, a=a):
                s = spins.copy()
                s[site][a] += x
                return omega_reference(s, params)

            fd = -(omega(FD_STEP) - omega(-FD_STEP)) / (2 * FD_STEP)
            worst = max(worst, abs(fd - fields[site][a]))
    assert worst <= ATOL_FD


@pytest.mark.parametrize("kT", KT_VALUES)
def test_torque_matches_derivative_of_solver_omega_along_the_sphere(kT, rng):
    """Rotating S_i by angle theta about axis n changes Omega by -theta H_i.(n x S_i)."""
    params = SDModelParams(electron_temperature=kT)
    solver = EDSolver(params)
    spins = random_spins(6, rng)
    fields = solver.compute(spins).fields
    for site in [(1, 2), (3, 5)]:
        axis = rng.standard_normal(3)
        axis /= np.linalg.norm(axis)

        def omega(theta, site=site, axis=axis):
            s = spins.copy()
            s[site] = rotate_spin(s[site], axis, theta)
            return solver.compute(s).grand_potential

        fd = (omega(FD_STEP) - omega(-FD_STEP)) / (2 * FD_STEP)
        expected = -fields[site] @ np.cross(axis, spins[site])
        assert abs(fd - expected) <= ATOL_FD


def test_solver_omega_equals_reference(rng):
    params = SDModelParams()
    spins = random_spins(6, rng)
    assert (
        abs(EDSolver(params).compute(spins).grand_potential - omega_reference(spins, params))
        <= ATOL_EXACT * 100
    )


@pytest.mark.parametrize("num_twists", [1, 2])
def test_global_spin_rotation_rotates_fields(num_twists, rng):
    solver = EDSolver(SDModelParams(), EDParams(num_twists=num_twists))
    spins = random_spins(6, rng)
    rot = random_rotation(rng)
    res = solver.compute(spins)
    res_rot = solver.compute(spins @ rot.T)
    assert_allclose(res_rot.fields, res.fields @ rot.T, rtol=0, atol=ATOL_SYMMETRY)
    assert abs(res_rot.grand_potential - res.grand_potential) <= ATOL_SYMMETRY


def test_point_group_and_translations_commute_with_the_solver(rng):
    L = 6
    lat = TriangularLattice(L)
    solver = EDSolver(SDModelParams())
    spins = random_spins(L, rng)
    fields = solver.compute(spins).fields
    moved = [lat.apply_point_group(spins, op) for op in lat.point_group]
    shifts = [(a, b) for a in range(L) for b in range(L)]
    moved += [lat.translate(spins, s) for s in shifts]
    out = solver.compute(np.stack(moved)).fields  # batched over all 12 + 36 images
    for k, op in enumerate(lat.point_group):
        assert_allclose(out[k], lat.apply_point_group(fields, op), rtol=0, atol=ATOL_SYMMETRY)
    for k, s in enumerate(shifts):
        assert_allclose(out[12 + k], lat.translate(fields, s), rtol=0, atol=ATOL_SYMMETRY)


def test_batch_equals_individual(rng):
    solver = EDSolver(SDModelParams())
    batch = np.stack([random_spins(6, rng) for _ in range(3)])
    res = solver.compute(batch)
    for b in range(3):
        single = solver.compute(batch[b])
        assert_allclose(res.fields[b], single.fields, rtol=0, atol=ATOL_EXACT)
        assert abs(res.grand_potential[b] - single.grand_potential) <= ATOL_EXACT * 100


def test_zero_coupling_spectrum_is_the_analytic_band(rng):
    L = 6
    params = SDModelParams(sd_coupling=0.0)
    eps = EDSolver(params).spectrum(random_spins(L, rng))[0]
    analytic = band_energy(TriangularLattice(L).momenta.reshape(-1, 2), params)
    assert_allclose(eps, np.sort(np.repeat(analytic, 2)), rtol=0, atol=ATOL_EXACT)


@pytest.mark.parametrize("kT", KT_VALUES)
def test_ferromagnet_bands_split_by_J_and_field_matches_closed_form(kT):
    L = 6
    params = SDModelParams(sd_coupling=0.8, electron_temperature=kT)
    direction = np.array([1.0, -2.0, 0.5]) / np.linalg.norm([1.0, -2.0, 0.5])
    spins = ferromagnet(L, direction)
    solver = EDSolver(params)
    band = band_energy(TriangularLattice(L).momenta.reshape(-1, 2), params)
    J = params.sd_coupling
    eps = solver.spectrum(spins)[0]
    assert_allclose(eps, np.sort(np.concatenate([band - J, band + J])), rtol=0, atol=ATOL_EXACT)
    mu = params.chemical_potential
    n_parallel = fermi_function(band - J, mu, kT).mean()
    n_antiparallel = fermi_function(band + J, mu, kT).mean()
    expected = J * (n_parallel - n_antiparallel) * direction
    fields = solver.compute(spins).fields
    assert_allclose(fields, np.broadcast_to(expected, fields.shape), rtol=0, atol=ATOL_EXACT)


def test_twist_average_equals_tiled_lattice(rng):
    k, L = 2, 6
    params = SDModelParams()
    spins = random_spins(L, rng)
    twisted = EDSolver(params, EDParams(num_twists=k)).compute(spins)
    tiled = EDSolver(params).compute(np.tile(spins, (k, k, 1)))
    assert_allclose(np.tile(twisted.fields, (k, k, 1)), tiled.fields, rtol=0, atol=ATOL_SYMMETRY)
    assert abs(twisted.grand_potential * k * k - tiled.grand_potential) <= ATOL_SYMMETRY


def test_bad_spins_raise_clear_errors(rng):
    solver = EDSolver(SDModelParams())
    with pytest.raises(ValueError, match=r"shape \(L, L, 3\)"):
        solver.compute(np.ones((6, 6, 2)))
    with pytest.raises(ValueError, match="unit vectors"):
        solver.compute(2 * random_spins(6, rng))
    bad = random_spins(6, rng)
    bad[1, 1, 0] = np.nan
    with pytest.raises(ValueError, match="NaN or inf"):
        solver.compute(bad)
    with pytest.raises(ValueError, match="too small"):
        solver.compute(random_spins(4, rng))
