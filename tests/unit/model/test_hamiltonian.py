import numpy as np
from numpy.testing import assert_allclose

from torquenet.lattice import TriangularLattice
from torquenet.model import SDModelParams, build_hamiltonian
from torquenet.textures import random_spins

ATOL_EXACT = 1e-14


def test_hamiltonian_is_hermitian_with_and_without_twist(rng):
    lat = TriangularLattice(6)
    spins = random_spins(6, rng)
    for twist in [(0.0, 0.0), (0.3, -1.1)]:
        h = build_hamiltonian(lat, SDModelParams(), spins, twist)
        assert_allclose(h, h.conj().T, rtol=0, atol=ATOL_EXACT)


def test_onsite_block_is_minus_J_s_dot_sigma(rng):
    spins = random_spins(6, rng)
    h = build_hamiltonian(TriangularLattice(6), SDModelParams(sd_coupling=0.7), spins)
    sx, sy, sz = spins[0, 1]
    block = h[2:4, 2:4]
    expected = -0.7 * np.array([[sz, sx - 1j * sy], [sx + 1j * sy, -sz]])
    assert_allclose(block, expected, rtol=0, atol=ATOL_EXACT)
