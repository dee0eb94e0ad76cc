"""Radial moments of S(q): ring radius, width and the characteristic length of the modulation."""

from __future__ import annotations

import numpy as np
import pytest

from torquenet.analysis import folded_momentum_norms, power_law_fit, ring_moments
from torquenet.lattice import TriangularLattice
from torquenet.observables import structure_factor
from torquenet.textures import skyrmion_lattice


def spiral(L: int, m: tuple[int, int], phases=None) -> np.ndarray:
    """Coplanar spiral at the grid momentum q = (m1 b1 + m2 b2) / L (phase per site optional)."""
    lattice = TriangularLattice(L)
    q = lattice.momenta[m]
    angle = lattice.positions.reshape(L, L, 2) @ q
    if phases is not None:
        angle = angle + phases
    return np.stack([np.cos(angle), np.sin(angle), np.zeros_like(angle)], axis=-1)


def test_a_sharp_ring_has_the_nesting_radius_and_no_width():
    m = ring_moments(structure_factor(skyrmion_lattice(24)))
    assert m.radius[0] == pytest.approx(np.pi / 3, rel=1e-12)
    assert m.width[0] < 1e-12 and m.length[0] > 1e10


def test_two_spirals_of_equal_weight_give_the_analytic_mean_and_spread():
    L = 48
    q = folded_momentum_norms(L)
    a, b = (4, 0), (7, 0)
    spins = (spiral(L, a) + spiral(L, b)) / 2  # S(q) weights equal at +-a and +-b
    spins[..., 2] = 0.1
    spins /= np.linalg.norm(spins, axis=-1, keepdims=True)
    sq = np.zeros((L, L))
    for mm in (a, b):
        sq[mm] = sq[(-mm[0]) % L, (-mm[1]) % L] = 1.0
    m = ring_moments(sq)
    assert m.radius[0] == pytest.approx((q[a] + q[b]) / 2, rel=1e-12)
    assert m.width[0] == pytest.approx(abs(q[b] - q[a]) / 2, rel=1e-12)
    assert m.length[0] == pytest.approx(2 * np.pi / m.width[0])


def test_the_length_grows_with_the_size_of_the_ordered_domains():
    """A spiral whose phase jumps randomly between square domains of side D: the peak
    broadens by ~2 pi / D, so the length grows with D (roughly in proportion)."""
    L, rng = 96, np.random.default_rng(0)
    lengths = []
    for D in (6, 12, 24):
        blocks = rng.uniform(0, 2 * np.pi, (L // D, L // D))
        phases = np.kron(blocks, np.ones((D, D)))
        lengths.append(ring_moments(structure_factor(spiral(L, (16, 0), phases))).length[0])
    assert lengths[0] < lengths[1] < lengths[2]
    assert 1.3 < lengths[2] / lengths[1] < 3 and 1.3 < lengths[1] / lengths[0] < 3


def test_folded_norms_are_invariant_under_the_lattice_point_group():
    L = 24
    q = folded_momentum_norms(L)
    lattice = TriangularLattice(L)
    qs = lattice.momenta.reshape(-1, 2)
    rotation = np.array([[0.5, -np.sqrt(3) / 2], [np.sqrt(3) / 2, 0.5]])  # C6
    rotated = qs @ rotation.T
    # the set of folded norms is the same after a 60-degree rotation of every momentum
    b = lattice.reciprocal_vectors
    shifts = np.array([n1 * b[0] + n2 * b[1] for n1 in range(-2, 3) for n2 in range(-2, 3)])
    folded = np.linalg.norm(rotated[:, None] + shifts[None], axis=-1).min(axis=1)
    np.testing.assert_allclose(np.sort(folded), np.sort(q.ravel()), atol=1e-12)


def test_power_law_fit_recovers_the_exponent():
    t = np.geomspace(1, 100, 12)
    n, error, amplitude = power_law_fit(t, 3.0 * t**0.25)
    assert n == pytest.approx(0.25, abs=1e-12) and error < 1e-10 and amplitude == pytest.approx(3)
    noisy = 3.0 * t**0.25 * np.exp(np.random.default_rng(1).normal(0, 0.05, t.size))
    n, error, _ = power_law_fit(t, noisy)
    assert abs(n - 0.25) < 4 * error and 0 < error < 0.05


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: ring_moments(np.ones((4, 5))), r"\(T, L, L\)"),
        (lambda: ring_moments(np.ones((12, 12)), cut=0.0), "positive wave number"),
        (lambda: ring_moments(np.ones((12, 12)), cut=0.01), "no momentum"),
        (lambda: power_law_fit(np.arange(1, 3), np.ones(2)), ">= 3"),
        (lambda: power_law_fit(np.arange(0, 4), np.ones(4)), "positive"),
    ],
)
def test_bad_inputs_are_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()
