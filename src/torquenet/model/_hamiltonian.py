"""The s-d Hamiltonian of a spin texture as a dense matrix.

Basis ordering: index 2 * site + spin, site = i * L + j, spin 0 = up, 1 = down (along z).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from torquenet.lattice import TriangularLattice
from torquenet.model._params import SDModelParams

#: Pauli matrices, shape (3, 2, 2): ``PAULI[a]`` is sigma^a (a = x, y, z) in the basis
#: (spin up, spin down) along z.
PAULI = np.array([[[0, 1], [1, 0]], [[0, -1j], [1j, 0]], [[1, 0], [0, -1]]], dtype=np.complex128)


def hopping_matrix(
    lattice: TriangularLattice, params: SDModelParams, twist: tuple[float, float] = (0.0, 0.0)
) -> NDArray[np.complex128]:
    """Spin-diagonal hopping part -sum_ij t_ij c^dag_i c_j, shape (2N, 2N).

    Parameters
    ----------
    twist : (theta1, theta2)
        Boundary twist: a bond crossing the boundary w1 times along a1 and w2 times along a2
        picks up the phase exp(i (theta1 w1 + theta2 w2)).  Averaging over the k x k grid
        theta = 2 pi m / k gives the fields of the texture tiled k x k times.
    """
    lattice.check_supports_shells(params.num_shells)
    n = lattice.num_sites
    h_site = np.zeros((n, n), dtype=np.complex128)
    for shell, t in enumerate(params.hopping, start=1):
        if t == 0.0:
            continue
        bonds = lattice.bonds(shell)
        phase = np.exp(1j * (bonds.winding @ np.asarray(twist, dtype=np.float64)))
        # H[target, source] = -t e^{i theta.w}: hopping source -> target.
        np.add.at(h_site, (bonds.target, bonds.source), -t * phase)
    return np.kron(h_site, np.eye(2))


def sd_coupling_blocks(spins: NDArray[np.float64], sd_coupling: float) -> NDArray[np.complex128]:
    """On-site 2x2 blocks -J S_i . sigma, shape (..., N, 2, 2) for spins (..., L, L, 3)."""
    flat = spins.reshape(*spins.shape[:-3], -1, 3)
    return -sd_coupling * np.einsum("...a,abc->...bc", flat, PAULI)


def build_hamiltonian(
    lattice: TriangularLattice,
    params: SDModelParams,
    spins: NDArray[np.float64],
    twist: tuple[float, float] = (0.0, 0.0),
) -> NDArray[np.complex128]:
    """Dense s-d Hamiltonian, shape (..., 2N, 2N), for spins (..., L, L, 3)."""
    h0 = hopping_matrix(lattice, params, twist)
    h = np.broadcast_to(h0, (*spins.shape[:-3], *h0.shape)).copy()
    add_sd_coupling(h, spins, params.sd_coupling)
    return h


def add_sd_coupling(h: NDArray, spins: NDArray[np.float64], sd_coupling: float) -> None:
    """Add the on-site blocks -J S . sigma to dense Hamiltonians ``h`` (..., 2N, 2N) in place."""
    blocks = sd_coupling_blocks(spins, sd_coupling)
    n = blocks.shape[-3]
    idx = 2 * np.arange(n)
    for a in range(2):
        for b in range(2):
            h[..., idx + a, idx + b] += blocks[..., a, b]
