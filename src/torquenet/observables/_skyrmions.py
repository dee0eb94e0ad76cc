"""Skyrmions in a texture: their number and sign, the six Bragg peaks, the lattice-order verdict.

Pure functions of spins on the periodic triangular lattice (no I/O, no plotting).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from torquenet.lattice import TriangularLattice
from torquenet.observables._observables import solid_angles, structure_factor, topological_charge
from torquenet.textures import nesting_wavevectors


def _triangle_adjacency(L: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Pairs of elementary triangles that share an edge (each pair once), from lattice.triangles."""
    triangles = TriangularLattice(L).triangles
    edges = np.concatenate(
        [np.sort(triangles[:, [a, b]], axis=1) for a, b in ((0, 1), (1, 2), (2, 0))]
    )
    owner = np.tile(np.arange(len(triangles)), 3)
    key = edges[:, 0] * (L * L) + edges[:, 1]
    order = np.argsort(key, kind="stable")
    key, owner = key[order], owner[order]
    shared = key[1:] == key[:-1]  # on the torus every edge borders exactly two triangles
    return owner[:-1][shared], owner[1:][shared]


def count_skyrmions(spins: NDArray[np.float64]) -> tuple[int, int]:
    """Number of topological objects of charge -1 and of charge +1 in a texture (L, L, 3).

    Elementary triangles are grouped into clusters of edge-connected triangles whose solid
    angles have the same sign; each cluster carries the charge n_c = sum Omega / 4 pi, rounded to
    the nearest integer.  The counts are the summed |n_c| of the negative and of the positive
    clusters.  The skyrmions of the ideal lattice (paper Eq. 13) touch and form one cluster of
    charge -L^2/24, which counts as L^2/24 skyrmions; isolated skyrmions and antiskyrmions (the
    two vorticities of paper Sec. IV B) are counted separately, and random spin noise, whose
    clusters carry fractional charge, mostly rounds to zero.

    Returns
    -------
    (num_negative, num_positive) : tuple of int

    Examples
    --------
    >>> from torquenet.textures import skyrmion_lattice
    >>> count_skyrmions(skyrmion_lattice(12))
    (6, 0)
    """
    L = spins.shape[-2]
    first, second = _triangle_adjacency(L)
    omega = solid_angles(spins)
    counts = []
    for sign in (-1.0, 1.0):
        member = sign * omega > 0
        keep = member[first] & member[second]
        n = len(omega)
        graph = coo_matrix((np.ones(int(keep.sum())), (first[keep], second[keep])), shape=(n, n))
        num_clusters, label = connected_components(graph, directed=False)
        charge = np.bincount(label, weights=np.where(member, omega, 0.0), minlength=num_clusters)
        counts.append(int(np.sum(np.rint(np.abs(charge) / (4 * np.pi)))))
    return counts[0], counts[1]


def skyrmion_peak_indices(L: int) -> list[tuple[int, int]]:
    """Grid indices (m1, m2) of the six wave vectors +-Q_eta (needs L divisible by 12)."""
    lattice = TriangularLattice(L)
    try:
        return [lattice.momentum_index(s * q) for q in nesting_wavevectors() for s in (1, -1)]
    except ValueError as exc:
        raise ValueError(
            f"the +-Q_eta peaks (|Q| = pi/3) lie on the momentum grid only for L divisible by "
            f"12; got L = {L}"
        ) from exc


def peak_intensity(structure_factor: NDArray[np.float64]) -> NDArray[np.float64]:
    """Mean of S(q) over the six +-Q_eta, shape (...,) for S of shape (..., L, L)."""
    idx = skyrmion_peak_indices(structure_factor.shape[-1])
    return np.mean([structure_factor[..., m1, m2] for m1, m2 in idx], axis=0)


def skyrmion_lattice_order(spins: NDArray[np.float64]) -> dict[str, Any]:
    """How close a texture (L, L, 3) is to the ideal skyrmion lattice (L divisible by 12).

    Returns
    -------
    dict
        ``ideal_skyrmions`` (L^2 / 24), ``topological_charge``, ``skyrmions`` and
        ``antiskyrmions`` (:func:`count_skyrmions`), ``bragg_weight`` (the
        fraction of sum_q S(q) in the six +-Q_eta; the ideal ansatz has 0.954),
        ``bragg_peaks_dominate`` (the six largest S(q), q != 0, are exactly the +-Q_eta) and
        ``is_skyrmion_lattice`` (peaks dominate, and the texture holds the ideal number of
        objects of one sign and none of the other).
    """
    L = spins.shape[-2]
    sq = structure_factor(spins)  # sum_q S(q) = 1 for unit spins (Parseval)
    peaks = {tuple(int(i) for i in p) for p in skyrmion_peak_indices(L)}
    ranked = sq.copy()
    ranked[0, 0] = -np.inf
    top = np.argsort(ranked, axis=None)[::-1][:6]
    top6 = {tuple(int(i) for i in np.unravel_index(k, sq.shape)) for k in top}
    negative, positive = count_skyrmions(spins)
    ideal = L * L // 24
    dominate = top6 == peaks
    one_sign = (negative, positive) in ((ideal, 0), (0, ideal))
    return {
        "ideal_skyrmions": ideal,
        "topological_charge": float(np.round(topological_charge(spins), 6)),
        "skyrmions": negative,
        "antiskyrmions": positive,
        "bragg_weight": float(6 * peak_intensity(sq)),
        "bragg_peaks_dominate": bool(dominate),
        "is_skyrmion_lattice": bool(dominate and one_sign),
    }
