"""Physics checks of the KPM solver against ED.

Accuracy is measured on the torque, the field component perpendicular to the spin (5-13% of the
field on LLG frames, docs/facts.md), as the relative RMS error over all sites.
"""

import logging

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

from tests.helpers import random_rotation, rotate_spin
from torquenet import EDSolver, SDModelParams, TriangularLattice
from torquenet.runs import build_solver
from torquenet.solvers import KPMParams, KPMSolver, SolverConfig
from torquenet.textures import random_spins, skyrmion_lattice

# Every site probed deterministically and M = 600 at kT = 0.05: the series of omega is converged
# to |c_m| ~ 1e-11 (measured torque error 4e-12 at M = 800); the acceptance bound is 1e-6.
RTOL_EXACT_TORQUE = 1e-6
# Omega of 144 sites ~ -100: same truncation, times the number of levels.
ATOL_EXACT_OMEGA = 1e-6
# The accuracy target at the default settings and default kT.
RTOL_DEFAULT_TORQUE = 1e-2
# Central differences of Omega_est with step 1e-4: truncation h^2 |Omega'''| ~ 1e-8, rounding
# 1e-16 * |Omega| / h ~ 1e-11.  Omega_est is a polynomial in the spins, so FD must match to that.
FD_STEP = 1e-4
ATOL_FD = 1e-6
# Global spin rotations commute with probes built per (colour, spin): U^dag P U = P exactly, so
# even random-phase fields rotate exactly, up to float64 rounding in ~M/2 recursion steps.
ATOL_SYMMETRY = 1e-10
# complex64 vs complex128: measured relative torque difference 3-6e-6 (float32 eps 6e-8, times
# the field/torque ratio ~20, accumulated over ~150 recursion steps).
RTOL_FLOAT32_TORQUE = 5e-5
# kT = 0, Jackson kernel, M = 4000: the kink of omega is smeared over pi a / M ~ 5e-3 t1; with
# ~5 levels per t1 on 6 x 6 sites the smeared Omega is off by ~1e-4 (measured 4e-4).
ATOL_ZERO_TEMPERATURE_OMEGA = 1e-3


def torque(fields, spins):
    return fields - (fields * spins).sum(-1, keepdims=True) * spins


def relative_torque_error(fields, reference, spins):
    diff = torque(fields, spins) - torque(reference, spins)
    return float(np.sqrt((diff**2).sum() / (torque(reference, spins) ** 2).sum()))


def kpm(params=None, **settings):
    settings.setdefault("compile", False)
    return KPMSolver(params or SDModelParams(), KPMParams(**settings))


@pytest.fixture
def textures_12(rng):
    return np.stack([random_spins(12, rng), skyrmion_lattice(12)])


def test_exact_probing_with_many_moments_equals_ed(textures_12):
    params = SDModelParams()
    ed = EDSolver(params).compute(textures_12)
    res = kpm(params, num_moments=600, probing_distance=12).compute(textures_12)
    for b in range(2):
        err = relative_torque_error(res.fields[b], ed.fields[b], textures_12[b])
        assert err <= RTOL_EXACT_TORQUE
    assert_allclose(res.grand_potential, ed.grand_potential, rtol=0, atol=ATOL_EXACT_OMEGA)


def test_error_falls_with_num_moments(textures_12):
    params = SDModelParams(electron_temperature=0.02)
    ed = EDSolver(params).compute(textures_12[0])
    errors = [
        relative_torque_error(
            kpm(params, num_moments=M, probing_distance=12).compute(textures_12[0]).fields,
            ed.fields,
            textures_12[0],
        )
        for M in (100, 200, 400)
    ]
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] < 1e-2 < errors[0]


def test_error_falls_with_probing_distance(textures_12):
    params = SDModelParams()
    spins = textures_12[0]
    ed = EDSolver(params).compute(spins)
    errors = [
        relative_torque_error(
            kpm(params, num_moments=300, probing_distance=d).compute(spins).fields,
            ed.fields,
            spins,
        )
        for d in (2, 3, 6, 12)
    ]
    assert errors[0] > errors[1] > errors[2] > errors[3]
    assert errors[3] <= RTOL_DEFAULT_TORQUE  # d = 12 = L: every site probed


def test_fields_are_minus_gradient_of_the_estimated_omega(rng):
    """With random phases, Omega_est is a smooth function of the spins and H = -dOmega_est/dS."""
    spins = random_spins(6, rng)
    solver = kpm(num_moments=120, probing_distance=3, seed=7)
    fields = solver.compute(spins).fields
    for site in [(0, 0), (2, 5), (4, 1)]:
        axis = rng.standard_normal(3)

        def omega(theta, site=site, axis=axis):
            s = spins.copy()
            s[site] = rotate_spin(s[site], axis, theta)
            return solver.compute(s).grand_potential

        fd = (omega(FD_STEP) - omega(-FD_STEP)) / (2 * FD_STEP)
        expected = -fields[site] @ np.cross(axis / np.linalg.norm(axis), spins[site])
        assert abs(fd - expected) <= ATOL_FD


@pytest.mark.parametrize("distance", [3, 6])
def test_global_spin_rotation_rotates_fields_exactly(distance, rng):
    solver = kpm(num_moments=150, probing_distance=distance)
    spins = random_spins(6, rng)
    rot = random_rotation(rng)
    res = solver.compute(np.stack([spins, spins @ rot.T]))
    assert_allclose(res.fields[1], res.fields[0] @ rot.T, rtol=0, atol=ATOL_SYMMETRY)
    assert abs(res.grand_potential[1] - res.grand_potential[0]) <= ATOL_SYMMETRY * 100


def test_translations_commute_with_deterministic_probing(rng):
    L = 6
    lat = TriangularLattice(L)
    spins = random_spins(L, rng)
    solver = kpm(num_moments=150, probing_distance=L)
    shifted = solver.compute(lat.translate(spins, (2, 5))).fields
    assert_allclose(shifted, lat.translate(solver.compute(spins).fields, (2, 5)), atol=1e-12)


def test_batch_equals_individual_and_blocks_of_probes(rng, monkeypatch):
    solver = kpm(num_moments=100, probing_distance=3)
    batch = np.stack([random_spins(6, rng) for _ in range(3)])
    res = solver.compute(batch)
    for b in range(3):
        single = solver.compute(batch[b])
        assert_allclose(res.fields[b], single.fields, rtol=0, atol=1e-12)
        assert abs(res.grand_potential[b] - single.grand_potential) <= 1e-10
    # cache blocks of at most 5 columns: the 18 probes of each texture go in 6 blocks of 3
    monkeypatch.setattr("torquenet.solvers._kpm.CACHE_BLOCK_BYTES", 5 * 36 * 4 * 8)
    monkeypatch.setattr("torquenet.solvers._kpm.SIMD_BYTES", 8)  # one float64 lane
    monkeypatch.setattr("torquenet.solvers._kpm.MIN_BLOCK_COLUMNS", 1)
    blocks = list(solver._blocks(3, 6, 18))
    assert len(blocks) == 18 and {b[1].stop - b[1].start for b in blocks} == {3}
    blocked = solver.compute(batch)
    assert_allclose(blocked.fields, res.fields, rtol=0, atol=1e-12)


def test_float32_agrees_with_float64(rng):
    spins = random_spins(12, rng)
    f64 = kpm(num_moments=300, probing_distance=6).compute(spins).fields
    f32 = kpm(num_moments=300, probing_distance=6, dtype="float32").compute(spins).fields
    assert relative_torque_error(f32, f64, spins) <= RTOL_FLOAT32_TORQUE


def test_zero_temperature_converges_with_the_jackson_kernel(rng):
    params = SDModelParams(electron_temperature=0.0)
    spins = random_spins(6, rng)
    ed = EDSolver(params).compute(spins)
    errors, omega_errors = [], []
    for M in (250, 1000, 4000):
        res = kpm(params, num_moments=M, probing_distance=6, kernel="jackson").compute(spins)
        errors.append(relative_torque_error(res.fields, ed.fields, spins))
        omega_errors.append(abs(res.grand_potential - ed.grand_potential))
    assert errors[0] > errors[1] > errors[2]
    assert omega_errors[2] < omega_errors[0]
    assert omega_errors[2] <= ATOL_ZERO_TEMPERATURE_OMEGA


def test_build_solver_and_protocol():
    solver = build_solver(SolverConfig(kind="kpm", kpm=KPMParams(num_moments=50, compile=False)))
    assert isinstance(solver, KPMSolver) and solver.provides_energy


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"num_moments": 1}, "num_moments must be >= 2"),
        ({"probing_distance": 0}, "probing_distance must be >= 1"),
        ({"kernel": "lorentz"}, "kernel must be one of"),
        ({"dtype": "float16"}, "dtype must be one of"),
        ({"num_random_vectors": 2.0}, "num_random_vectors must be an integer"),
        ({"compile": "yes"}, "compile must be a bool"),
    ],
)
def test_bad_settings_raise_with_the_name(kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        KPMParams(**kwargs)


def test_bad_lattice_and_spins_raise(rng):
    solver = kpm(num_moments=50, probing_distance=4)
    with pytest.raises(ValueError, match="does not divide L = 6"):
        solver.compute(random_spins(6, rng))
    with pytest.raises(ValueError, match="too small"):
        solver.compute(random_spins(4, rng))
    with pytest.raises(ValueError, match="unit vectors"):
        solver.compute(2 * random_spins(8, rng))


def test_unconverged_series_is_reported(caplog):
    with caplog.at_level(logging.WARNING, logger="torquenet.solvers._kpm"):
        kpm(SDModelParams(electron_temperature=0.01), num_moments=400)
    assert "not converged with 400 moments" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="torquenet.solvers._kpm"):
        kpm(num_moments=300)
    assert caplog.text == ""


@pytest.mark.slow
def test_default_settings_meet_one_percent_at_L24(rng):
    """Defaults (M = 300, probing distance 48 >= L: every site probed, compiled) vs ED."""
    spins = np.stack([random_spins(24, rng), skyrmion_lattice(24)])
    params = SDModelParams()
    ed = EDSolver(params).compute(spins)
    solver = KPMSolver(params)
    assert solver.settings.compile
    res = solver.compute(spins)
    for b in range(2):
        assert relative_torque_error(res.fields[b], ed.fields[b], spins[b]) <= RTOL_DEFAULT_TORQUE


@pytest.mark.slow
def test_compiled_kernels_equal_eager(rng):
    spins = random_spins(12, rng)
    eager = kpm(num_moments=200, probing_distance=6).compute(spins)
    compiled = kpm(num_moments=200, probing_distance=6, compile=True).compute(spins)
    assert_allclose(compiled.fields, eager.fields, rtol=0, atol=1e-12)


@pytest.mark.gpu
def test_cuda_matches_cpu(rng):
    assert torch.cuda.is_available()
    spins = random_spins(12, rng)
    cpu = kpm(num_moments=200, probing_distance=6).compute(spins)
    for compile_kernels in (False, True):
        gpu = kpm(
            num_moments=200, probing_distance=6, device="cuda", compile=compile_kernels
        ).compute(spins)
        assert_allclose(gpu.fields, cpu.fields, rtol=0, atol=1e-10)
        assert abs(gpu.grand_potential - cpu.grand_potential) <= 1e-8
