"""Symmetry augmentation: exact against the lattice module and against the physics (ED)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

from tests.helpers import random_rotation
from tests.ml.conftest import TINY_L, ed_torques
from torquenet.lattice import TriangularLattice
from torquenet.ml import (
    NUM_POINT_GROUP_OPERATIONS,
    augment_pairs,
    haar_rotations,
    point_group_gather_indices,
    transform_pairs,
)
from torquenet.textures import random_spins

#: ED fields of a 6 x 6 lattice are accurate to ~1e-14 (eigh of a 72 x 72 matrix); a symmetry
#: applied exactly then agrees to that, while a wrong site map or rotation gives O(1e-2) errors.
ATOL_ED_SYMMETRY = 1e-10

#: Orthogonality of float64 rotation matrices built from a normalised quaternion.
ATOL_ROTATION = 1e-12


def channels_first(x: np.ndarray) -> torch.Tensor:
    """(..., L, L, 3) numpy -> (batch, 3, L, L) float64 tensor."""
    return torch.from_numpy(np.ascontiguousarray(x)).reshape(-1, *x.shape[-3:]).permute(0, 3, 1, 2)


def sites_last(x: torch.Tensor) -> np.ndarray:
    return x.permute(0, 2, 3, 1).numpy()


@pytest.mark.parametrize("op_index", range(NUM_POINT_GROUP_OPERATIONS))
def test_augmentation_maps_a_true_pair_to_a_true_pair(op_index, rng):
    """ED(g R S) == g R ED_perp(S) for a Haar rotation R and each D6 element g (6 x 6, float64)."""
    spins = random_spins(TINY_L, rng)
    torques = ed_torques(spins)
    rotation = torch.from_numpy(random_rotation(rng))[None]
    new_spins, new_torques = transform_pairs(
        channels_first(spins),
        channels_first(torques),
        rotation,
        torch.tensor([op_index]),
    )
    new_spins_np = sites_last(new_spins)[0]
    assert_allclose(
        sites_last(new_torques)[0], ed_torques(new_spins_np), rtol=0, atol=ATOL_ED_SYMMETRY
    )
    # the transformed texture is genuinely different (the test is not vacuous)
    assert np.abs(new_spins_np - spins).max() > 0.1


def test_the_physics_check_detects_typical_bugs(rng):
    """Negative controls: the ED comparison fails for an inverted site map or rotation."""
    spins = random_spins(TINY_L, rng)
    torques = ed_torques(spins)
    rotation = torch.from_numpy(random_rotation(rng))[None]
    g, g_inverse = torch.tensor([1]), torch.tensor([5])  # R60 and R300
    moved_spins, _ = transform_pairs(channels_first(spins), channels_first(spins), rotation, g)
    expected = ed_torques(sites_last(moved_spins)[0])
    _, inverted_map = transform_pairs(
        channels_first(spins), channels_first(torques), rotation, g_inverse
    )
    _, inverted_rotation = transform_pairs(
        channels_first(spins), channels_first(torques), rotation.transpose(1, 2), g
    )
    for wrong in (inverted_map, inverted_rotation):
        assert np.abs(sites_last(wrong)[0] - expected).max() > 1e3 * ATOL_ED_SYMMETRY


@pytest.mark.parametrize("L", [1, 4, 6, 7])
def test_site_maps_equal_the_lattice_module(L, rng):
    lattice = TriangularLattice(L)
    field = rng.standard_normal((L, L, 3))
    identity = torch.eye(3, dtype=torch.float64)[None]
    for g, op in enumerate(lattice.point_group):
        moved, _ = transform_pairs(
            channels_first(field), channels_first(field), identity, torch.tensor([g])
        )
        np.testing.assert_array_equal(sites_last(moved)[0], lattice.apply_point_group(field, op))
    assert point_group_gather_indices(L).shape == (12, L * L)


def test_haar_rotations_are_rotations_with_haar_moments():
    rot = haar_rotations(20000, torch.Generator().manual_seed(0))
    eye = torch.eye(3, dtype=torch.float64).expand_as(rot)
    assert torch.allclose(rot @ rot.transpose(1, 2), eye, rtol=0, atol=ATOL_ROTATION)
    assert torch.allclose(torch.linalg.det(rot), torch.ones(20000, dtype=torch.float64))
    # Haar measure on SO(3): E[R] = 0 and E[R_ab^2] = 1/3.  Standard errors are ~0.004 for
    # 20000 draws; a bias toward the identity (e.g. small-angle sampling) fails by > 0.1.
    assert rot.mean(0).abs().max() < 0.02
    assert ((rot**2).mean(0) - 1 / 3).abs().max() < 0.02


def test_augment_pairs_is_seeded_and_uses_all_operations():
    spins = torch.nn.functional.normalize(torch.randn(64, 3, 5, 5), dim=1)
    a = augment_pairs(spins, spins, torch.Generator().manual_seed(3))
    b = augment_pairs(spins, spins, torch.Generator().manual_seed(3))
    c = augment_pairs(spins, spins, torch.Generator().manual_seed(4))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[0], c[0])
    assert a[0].dtype == torch.float32
    # spin lengths are preserved in float32
    assert (a[0].norm(dim=1) - 1).abs().max() < 1e-6


def test_transform_pairs_rejects_bad_shapes():
    with pytest.raises(ValueError, match="torques must have the shape of spins"):
        transform_pairs(
            torch.zeros(1, 3, 4, 4), torch.zeros(1, 3, 5, 5), torch.eye(3)[None], torch.tensor([0])
        )
