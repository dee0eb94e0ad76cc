"""Observables of spin textures: magnetisation, topological charge, structure factor."""

from __future__ import annotations

from typing import TypeVar

import numpy as np
from numpy.typing import NDArray

from torquenet.lattice import TriangularLattice

ArrayT = TypeVar("ArrayT")


def perpendicular_part(vectors: ArrayT, spins: ArrayT, axis: int = -1) -> ArrayT:
    """Component of ``vectors`` perpendicular to each spin: V - (V . S) S.

    The one implementation of this projection in torquenet, for numpy arrays and torch tensors
    alike (torch keeps autograd).  Applied to the electron fields it is the torque label of
    paper Sec. III C (T_i = S_i x H_i carries the same information; LLG depends on H only
    through this part).

    Parameters
    ----------
    vectors, spins : ndarray or torch.Tensor
        Broadcastable arrays whose ``axis`` holds the three components; ``spins`` are unit
        vectors.
    axis : int
        The component axis: -1 for torquenet's (..., 3) layout, 1 for networks' (B, 3, L, L).

    Examples
    --------
    >>> perpendicular_part(np.array([1.0, 2.0, 3.0]), np.array([0.0, 0.0, 1.0]))
    array([1., 2., 0.])
    """
    product = vectors * spins
    if isinstance(product, np.ndarray):
        along = np.sum(product, axis=axis, keepdims=True)
    else:  # torch.Tensor (not imported here: the numpy path needs no torch)
        along = product.sum(dim=axis, keepdim=True)
    return vectors - along * spins


def magnetization(spins: NDArray[np.float64]) -> NDArray[np.float64]:
    """Mean spin, shape (..., 3), for spins (..., L, L, 3)."""
    return np.mean(spins, axis=(-3, -2))


def solid_angles(spins: NDArray[np.float64]) -> NDArray[np.float64]:
    """Signed solid angle of every elementary triangle, shape (..., 2 L^2).

    Oosterom-Strackee formula for the spherical triangle (S_a, S_b, S_c):
    tan(Omega / 2) = S_a . (S_b x S_c) / (1 + S_a.S_b + S_b.S_c + S_c.S_a),
    which lies in (-2 pi, 2 pi) and sums to 4 pi times an integer on a closed surface.
    """
    L = spins.shape[-2]
    tri = TriangularLattice(L).triangles
    flat = spins.reshape(*spins.shape[:-3], L * L, 3)
    a, b, c = flat[..., tri[:, 0], :], flat[..., tri[:, 1], :], flat[..., tri[:, 2], :]
    triple = np.einsum("...i,...i->...", a, np.cross(b, c))
    denom = 1.0 + (a * b).sum(-1) + (b * c).sum(-1) + (c * a).sum(-1)
    return 2.0 * np.arctan2(triple, denom)


def topological_charge(spins: NDArray[np.float64]) -> NDArray[np.float64]:
    """Skyrmion number Q = sum of triangle solid angles / 4 pi, shape (...,).

    An integer (to rounding) for any texture on the periodic lattice in which no triangle is
    exactly degenerate; -1 per skyrmion of the default ansatz, 0 for a ferromagnet.
    """
    return solid_angles(spins).sum(axis=-1) / (4 * np.pi)


def structure_factor(spins: NDArray[np.float64]) -> NDArray[np.float64]:
    """Spin structure factor of paper Eq. (12) on the L x L momentum grid, shape (..., L, L).

    .. math::
        S(\\mathbf q) = \\Big| \\frac1N \\sum_i \\mathbf S_i
                     e^{i \\mathbf q\\cdot\\mathbf r_i} \\Big|^2

    Normalisation: sum over the grid of S(q) = (1/N) sum_i |S_i|^2 = 1 (Parseval), so a
    coplanar spiral at +-Q has S(+-Q) = 1/2 each, and a ferromagnet S(0) = 1.  Entry [m1, m2]
    belongs to q = (m1 b1 + m2 b2) / L (TriangularLattice.momenta).
    """
    # r_i . q_m = 2 pi (i m1 + j m2) / L on this grid, so (1/N) sum_i S_i e^{i q.r_i} is exactly
    # numpy's inverse 2-D DFT (which carries the 1/N).
    amplitude = np.fft.ifft2(spins, axes=(-3, -2))
    return np.sum(np.abs(amplitude) ** 2, axis=-1)
