"""Local spin-resolved Chebyshev moments: exact against dense linear algebra and against KPM."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from tests.helpers import random_rotation
from torquenet.lattice import TriangularLattice
from torquenet.model import SDModelParams
from torquenet.model._hamiltonian import PAULI, build_hamiltonian
from torquenet.solvers import (
    KPMParams,
    KPMSolver,
    exact_distance_on_torus,
    exact_probing_distance,
    local_spin_moments,
)
from torquenet.solvers._chebyshev import spectral_bounds
from torquenet.solvers._ed import twist_grid
from torquenet.textures import random_spins

PARAMS = SDModelParams()
ATOL = 1e-12


def _dense_chebyshev(spins, num_moments, twist=(0.0, 0.0)):
    """T_n(H~), n < M, of the dense H as (M, N, 2, N, 2) arrays (site, spin) x (site, spin)."""
    L = spins.shape[0]
    bounds = spectral_bounds(PARAMS)
    h = build_hamiltonian(TriangularLattice(L), PARAMS, spins, twist)
    energies, vectors = np.linalg.eigh((h - bounds.center * np.eye(len(h))) / bounds.half_width)
    angles = np.arccos(np.clip(energies, -1.0, 1.0))
    return np.array(  # T_n(x) = cos(n arccos x)
        [
            ((vectors * np.cos(n * angles)) @ vectors.conj().T).reshape(L * L, 2, L * L, 2)
            for n in range(num_moments)
        ]
    )


def _spin_trace(blocks):
    """Tr_s[sigma B] of (..., 2, 2) blocks B as (..., 3) real vectors."""
    return np.einsum("abc,...cb->...a", PAULI, blocks).real


def _dense_moments(spins, num_moments, twist=(0.0, 0.0)):
    """mu_n(i) = Tr_s[sigma <i|T_n(H~)|i>] from the eigendecomposition of the dense H."""
    L = spins.shape[0]
    sites = np.arange(L * L)
    t = _dense_chebyshev(spins, num_moments, twist)
    return _spin_trace(t[:, sites, :, sites, :]).transpose(1, 0, 2).reshape(-1, L, L, 3)


def test_moments_equal_the_diagonal_of_chebyshev_polynomials_of_the_dense_hamiltonian():
    spins = random_spins(6, np.random.default_rng(0))
    assert_allclose(local_spin_moments(spins, PARAMS, 7), _dense_moments(spins, 7), atol=ATOL)


def test_first_three_moments_are_analytic_and_along_the_local_spin():
    spins = random_spins(6, np.random.default_rng(1))
    mu = local_spin_moments(spins, PARAMS, 3)
    bounds, J = spectral_bounds(PARAMS), PARAMS.sd_coupling
    a, b = bounds.half_width, bounds.center
    assert_allclose(mu[0], 0.0, atol=ATOL)
    # <i|H~|i> = (-J S_i . sigma - b) / a, and Tr[sigma (S . sigma)] = 2 S
    assert_allclose(mu[1], -2 * J * spins / a, atol=ATOL)
    # T_2 = 2 H~^2 - 1: hops out and back carry the spin identity; the on-site square
    # (J S.sigma + b)^2 / a^2 = (J^2 + b^2 + 2 b J S.sigma) / a^2 leaves 2 x 2 b J 2 S / a^2
    assert_allclose(mu[2], 8 * b * J * spins / a**2, atol=ATOL)


def test_kpm_field_is_the_linear_combination_of_moments_it_implies():
    """H_i = -dOmega/dS_i with Omega = sum_m w_m Tr T_m(H~) gives H_i = (J/a) sum_m m w_m
    Tr_s[sigma <i|U_(m-1)(H~)|i>], and U_n = 2 (T_n + T_(n-2) + ...) (- T_0 for even n):
    an exact identity between two independent codes (KPM uses an adjoint recursion)."""
    spins = random_spins(6, np.random.default_rng(2))
    M = 24
    solver = KPMSolver(PARAMS, KPMParams(num_moments=M, probing_distance=6, compile=False))
    mu = local_spin_moments(spins, PARAMS, M - 1)
    combination = np.zeros(M - 1)
    for m, w in enumerate(solver.moment_weights):
        for k in range(m - 1, -1, -2):  # U_(m-1) in Chebyshev polynomials T_k
            combination[k] += m * w * (1.0 if k == 0 else 2.0)
    half_width = spectral_bounds(PARAMS).half_width
    field = PARAMS.sd_coupling / half_width * np.einsum("n,nijc->ijc", combination, mu)
    assert_allclose(field, solver.compute(spins).fields, atol=1e-10)


def test_moments_rotate_with_the_spins_and_move_with_the_lattice():
    rng = np.random.default_rng(3)
    spins = random_spins(6, rng)
    lattice = TriangularLattice(6)
    mu = local_spin_moments(spins, PARAMS, 6)
    rotation = random_rotation(rng)
    assert_allclose(local_spin_moments(spins @ rotation.T, PARAMS, 6), mu @ rotation.T, atol=ATOL)
    for op in lattice.point_group[1:]:
        moved = local_spin_moments(lattice.apply_point_group(spins, op), PARAMS, 6)
        assert_allclose(moved, lattice.apply_point_group(mu, op), atol=ATOL)
    shifted = local_spin_moments(lattice.translate(spins, (2, 5)), PARAMS, 6)
    assert_allclose(shifted, lattice.translate(mu, (2, 5)), atol=ATOL)


def test_probing_is_exact_up_to_the_order_its_distance_allows_and_not_beyond():
    spins = random_spins(12, np.random.default_rng(4))
    exact = local_spin_moments(spins, PARAMS, 5, probing_distance=12)
    probed = local_spin_moments(spins, PARAMS, 5, probing_distance=6)
    # same-colour sites 6 apart: spin-dependent paths of n - 1 <= 2 hops (reach 2) stay short
    assert exact_probing_distance(4, PARAMS) <= 6 < exact_probing_distance(5, PARAMS)
    assert_allclose(probed[:4], exact[:4], atol=ATOL)
    assert np.abs(probed[4] - exact[4]).max() > 1e-6


def test_default_distance_is_the_smallest_exact_divisor_of_L():
    assert exact_probing_distance(17, PARAMS) == 31  # (17 - 2) hops of reach 2, plus one
    assert exact_distance_on_torus(96, 17, PARAMS) == 32
    assert exact_distance_on_torus(48, 17, PARAMS) == 48  # no divisor in 31..47
    assert exact_distance_on_torus(12, 4, PARAMS) == 6
    assert exact_distance_on_torus(7, 17, PARAMS) == 7  # one colour per site


def test_a_batch_gives_the_moments_of_each_texture():
    rng = np.random.default_rng(5)
    batch = np.stack([random_spins(6, rng) for _ in range(3)])
    mu = local_spin_moments(batch, PARAMS, 4)
    assert mu.shape == (3, 4, 6, 6, 3)
    assert_allclose(mu[1], local_spin_moments(batch[1], PARAMS, 4), atol=ATOL)


def test_bad_input_is_refused_with_the_allowed_values():
    spins = random_spins(12, np.random.default_rng(6))
    with pytest.raises(ValueError, match="does not divide L = 12"):
        local_spin_moments(spins, PARAMS, 4, probing_distance=5)
    with pytest.raises(ValueError, match="num_moments"):
        local_spin_moments(spins, PARAMS, 0)
    with pytest.raises(ValueError, match="spins"):
        local_spin_moments(2 * spins, PARAMS, 4)


def test_twist_averaged_moments_match_the_dense_twisted_hamiltonians():
    spins = random_spins(6, np.random.default_rng(7))
    expected = np.mean([_dense_moments(spins, 5, twist) for twist in twist_grid(3)], axis=0)
    assert_allclose(local_spin_moments(spins, PARAMS, 5, num_twists=3), expected, atol=ATOL)


def test_twist_averaging_equals_tiling_the_texture():
    spins = random_spins(6, np.random.default_rng(8))
    averaged = local_spin_moments(spins, PARAMS, 9, num_twists=2)
    tiled = local_spin_moments(np.tile(spins, (2, 2, 1)), PARAMS, 9)
    assert_allclose(tiled[:, :6, :6], averaged, atol=ATOL)
    assert_allclose(tiled[:, 6:, 6:], averaged, atol=ATOL)


def test_coherent_probes_give_the_image_sum_over_the_colouring_superlattice():
    """Unit phases: sum over j = i + d (n1 a1 + n2 a2) of Tr_s[sigma <i|T_n|j>], exactly."""
    L, d, M = 6, 3, 7
    spins = random_spins(L, np.random.default_rng(9))
    t = _dense_chebyshev(spins, M)
    i1, i2 = np.divmod(np.arange(L * L), L)
    same = (i1[:, None] % d == i1[None, :] % d) & (i2[:, None] % d == i2[None, :] % d)
    blocks = np.einsum("nibjc,ij->nibc", t, same)  # sum over same-colour j of <i b|T_n|j c>
    expected = _spin_trace(blocks).reshape(M, L, L, 3)
    coherent = local_spin_moments(spins, PARAMS, M, probing_distance=d, coherent=True)
    assert_allclose(coherent, expected, atol=ATOL)
    assert np.abs(coherent[M - 1] - _dense_moments(spins, M)[M - 1]).max() > 1e-3


def test_coherent_image_sums_keep_every_symmetry_of_the_moments():
    rng = np.random.default_rng(10)
    L, d, M = 12, 4, 8
    spins = random_spins(L, rng)
    lattice = TriangularLattice(L)

    def image_sums(texture):
        return local_spin_moments(texture, PARAMS, M, probing_distance=d, coherent=True)

    mu = image_sums(spins)
    rotation = random_rotation(rng)
    assert_allclose(image_sums(spins @ rotation.T), mu @ rotation.T, atol=ATOL)
    for op in lattice.point_group[1:]:
        moved = image_sums(lattice.apply_point_group(spins, op))
        assert_allclose(moved, lattice.apply_point_group(mu, op), atol=ATOL)
    shifted = image_sums(lattice.translate(spins, (1, 2)))  # not a superlattice vector
    assert_allclose(shifted, lattice.translate(mu, (1, 2)), atol=ATOL)
    exact_distance = local_spin_moments(spins, PARAMS, 4, probing_distance=6, coherent=True)
    assert_allclose(exact_distance, local_spin_moments(spins, PARAMS, 4), atol=ATOL)
