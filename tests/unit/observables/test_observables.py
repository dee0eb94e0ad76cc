import numpy as np
import pytest
from numpy.testing import assert_allclose

from torquenet.lattice import TriangularLattice
from torquenet.observables import (
    magnetization,
    perpendicular_part,
    structure_factor,
    topological_charge,
)
from torquenet.textures import (
    SkyrmionLatticeAnsatz,
    ferromagnet,
    nesting_wavevectors,
    random_spins,
    skyrmion_lattice,
    spiral,
)

ATOL_EXACT = 1e-12


def test_ferromagnet_has_zero_charge_and_unit_magnetisation():
    s = ferromagnet(12, (0.3, 0.4, 0.5))
    assert abs(topological_charge(s)) <= ATOL_EXACT
    assert_allclose(np.linalg.norm(magnetization(s)), 1.0, rtol=0, atol=ATOL_EXACT)


@pytest.mark.parametrize("L", [12, 24])
def test_skyrmion_lattice_charge_is_minus_one_per_skyrmion(L):
    # one skyrmion per magnetic unit cell of 24 sites (two per 48-site cell)
    num_skyrmions = L * L // 24
    q = topological_charge(skyrmion_lattice(L))
    assert abs(q + num_skyrmions) <= 1e-9


def test_charge_is_an_integer_for_random_textures(rng):
    q = topological_charge(np.stack([random_spins(12, rng) for _ in range(4)]))
    assert_allclose(q, np.round(q), rtol=0, atol=1e-9)


def test_charge_flips_under_reflection_of_spin_space():
    s = skyrmion_lattice(12)
    mirrored = s * np.array([1.0, 1.0, -1.0])
    assert abs(topological_charge(mirrored) - 6.0) <= 1e-9


def test_structure_factor_of_a_spiral_peaks_at_plus_minus_q_with_half_weight_each():
    L = 24
    lat = TriangularLattice(L)
    q = nesting_wavevectors()[0]
    sq = structure_factor(spiral(L, q))
    assert_allclose(sq.sum(), 1.0, rtol=0, atol=ATOL_EXACT)  # Parseval normalisation
    plus, minus = lat.momentum_index(q), lat.momentum_index(-q)
    assert_allclose([sq[plus], sq[minus]], [0.5, 0.5], rtol=0, atol=ATOL_EXACT)


def test_structure_factor_of_skyrmion_lattice_has_six_equal_peaks_at_plus_minus_q_eta():
    L = 24
    lat = TriangularLattice(L)
    sq = structure_factor(skyrmion_lattice(L, SkyrmionLatticeAnsatz(magnetization=0.0)))
    peaks = {lat.momentum_index(s * q) for q in nesting_wavevectors() for s in (1, -1)}
    values = np.array([sq[p] for p in peaks])
    others = np.array([sq[idx] for idx in np.ndindex(L, L) if idx not in peaks and idx != (0, 0)])
    assert len(peaks) == 6
    assert values.min() > 10 * others.max()
    assert_allclose(values, values.mean(), rtol=0, atol=1e-9)


def test_structure_factor_is_translation_invariant(rng):
    s = random_spins(12, rng)
    lat = TriangularLattice(12)
    assert_allclose(
        structure_factor(lat.translate(s, (3, 5))), structure_factor(s), rtol=0, atol=ATOL_EXACT
    )


def test_skyrmion_lattice_rejects_incompatible_size():
    with pytest.raises(ValueError, match="multiple of 12; got L = 18"):
        skyrmion_lattice(18)


def test_perpendicular_part_is_one_projection_for_numpy_and_torch(rng):
    import torch

    spins = random_spins(4, rng)
    vectors = rng.standard_normal((4, 4, 3))
    perp = perpendicular_part(vectors, spins)
    assert np.abs(np.sum(perp * spins, axis=-1)).max() < 1e-15
    assert_allclose(perp + np.sum(vectors * spins, -1, keepdims=True) * spins, vectors, atol=1e-15)
    # channels-first torch tensors (B, 3, L, L), the networks' layout: the same numbers
    s = torch.from_numpy(np.moveaxis(spins, -1, 0))[None]
    v = torch.from_numpy(np.moveaxis(vectors, -1, 0))[None].requires_grad_()
    out = perpendicular_part(v, s, axis=1)
    assert np.array_equal(np.moveaxis(out[0].detach().numpy(), 0, -1), perp)
    out.sum().backward()  # differentiable: d/dV of sum(P V) is P applied to ones
    assert v.grad is not None and v.grad.shape == v.shape
