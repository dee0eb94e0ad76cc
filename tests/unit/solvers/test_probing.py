"""Unit checks of the lattice colourings and probe vectors."""

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

from torquenet.lattice import TriangularLattice
from torquenet.solvers._probing import colouring_period, probe_vectors, sublattice_colouring

ATOL_EXACT = 1e-14


def _min_same_colour_distance(L, colours):
    lat = TriangularLattice(L)
    pos = lat.positions.reshape(-1, 2)
    flat = colours.ravel()
    images = np.array([(m, n) for m in (-1, 0, 1) for n in (-1, 0, 1)]) @ (
        L * lat.primitive_vectors
    )
    best = np.inf
    for i in range(L * L):
        same = np.flatnonzero((flat == flat[i]) & (np.arange(L * L) != i))
        if same.size:
            d = pos[same, None, :] - pos[i] + images[None]
            best = min(best, np.sqrt((d**2).sum(-1)).min())
    return best


@pytest.mark.parametrize("L, distance", [(12, 2), (12, 3), (12, 4), (12, 6)])
def test_same_colour_sites_are_exactly_the_distance_apart(L, distance):
    k = colouring_period(L, distance)
    colours = sublattice_colouring(L, k)
    assert colours.max() + 1 == k * k
    assert np.bincount(colours.ravel()).min() == (L // k) ** 2
    assert _min_same_colour_distance(L, colours) == pytest.approx(distance, abs=1e-12)


def test_distance_at_least_L_gives_every_site_its_own_colour():
    assert colouring_period(6, 6) == 6 and colouring_period(6, 100) == 6
    assert len(np.unique(sublattice_colouring(6, 6))) == 36


def test_non_dividing_distance_is_an_error_listing_the_valid_ones():
    with pytest.raises(ValueError, match=r"probing_distance = 5 does not divide L = 12.*"):
        colouring_period(12, 5)
    with pytest.raises(ValueError, match=r"\[1, 2, 3, 4, 6, 12\]"):
        colouring_period(12, 8)


def test_random_probes_resolve_the_identity_only_across_colours():
    """sum_r r r^dag = 1 on the diagonal, 0 between colours or spins, |xi|=1 phases within."""
    L, k, R = 6, 3, 2
    colours = sublattice_colouring(L, k)
    r = probe_vectors(colours, R, torch.Generator().manual_seed(1))
    assert r.shape == (L, L, 4, 2 * k * k * R)
    z = (r[:, :, 0::2] + 1j * r[:, :, 1::2]).reshape(2 * L * L, -1).numpy()  # index 2*site+spin
    gram = z @ z.conj().T / R
    assert_allclose(np.diag(gram), 1.0, rtol=0, atol=ATOL_EXACT)
    site = np.arange(2 * L * L) // 2
    spin = np.arange(2 * L * L) % 2
    col = colours.ravel()[site]
    allowed = (col[:, None] == col[None, :]) & (spin[:, None] == spin[None, :])
    assert np.abs(gram[~allowed]).max() <= ATOL_EXACT
    off = gram[allowed & ~np.eye(2 * L * L, dtype=bool)]
    assert np.abs(off).max() > 0.1  # random cross terms do exist within a colour
    assert_allclose(np.abs(z[z != 0]), 1.0, rtol=0, atol=ATOL_EXACT)


def test_full_colouring_gives_deterministic_unit_vectors():
    L = 6
    r1 = probe_vectors(sublattice_colouring(L, L), 3, torch.Generator().manual_seed(1))
    r2 = probe_vectors(sublattice_colouring(L, L), 1, torch.Generator().manual_seed(2))
    assert torch.equal(r1, r2)
    z = (r1[:, :, 0::2] + 1j * r1[:, :, 1::2]).reshape(2 * L * L, -1).numpy()
    assert_allclose(z @ z.conj().T, np.eye(2 * L * L), rtol=0, atol=0)
