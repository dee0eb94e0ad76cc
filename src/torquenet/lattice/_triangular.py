"""The periodic L x L triangular lattice: the only place geometry is computed.

Site (i, j) sits at r = i a1 + j a2 with a1 = (1, 0), a2 = (1/2, sqrt(3)/2) (lattice constant 1).
Every per-site array in torquenet is indexed ``array[..., i, j, :]``; the flat site index is
``i * L + j``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from torquenet._validation import check_int

SQRT3 = np.sqrt(3.0)

# 60-degree rotation and the mirror y -> -y, acting on integer lattice coordinates (n1, n2) of
# r = n1 a1 + n2 a2.  R60: a1 -> a2, a2 -> a2 - a1.  Mirror: a1 -> a1, a2 -> a1 - a2.
_ROTATION_60 = np.array([[0, -1], [1, 1]], dtype=np.int64)
_MIRROR_X = np.array([[1, 1], [0, -1]], dtype=np.int64)


@dataclass(frozen=True)
class PointGroupOperation:
    """One element of D6 acting on lattice coordinates about the site (0, 0).

    Attributes
    ----------
    name : str
        ``"R{60k}"`` for rotations by 60k degrees, ``"R{60k}M"`` for a rotation after the mirror
        y -> -y.
    integer_matrix : ndarray, shape (2, 2), int
        Acts on lattice coordinates (n1, n2): n' = integer_matrix @ n.
    cartesian_matrix : ndarray, shape (2, 2)
        The same operation on Cartesian positions r = n1 a1 + n2 a2.
    """

    name: str
    integer_matrix: NDArray[np.int64]
    cartesian_matrix: NDArray[np.float64]


@dataclass(frozen=True)
class Bonds:
    """Directed bonds of one neighbour shell: every site to each of its z neighbours.

    Attributes
    ----------
    source, target : ndarray, shape (num_sites * z,), int
        Flat site indices; each unordered pair appears once in each direction.
    winding : ndarray, shape (num_sites * z, 2), int
        How many times the bond crosses the periodic boundary along a1 and a2 (needed for
        boundary twists).
    """

    source: NDArray[np.int64]
    target: NDArray[np.int64]
    winding: NDArray[np.int64]


class TriangularLattice:
    """Periodic L x L triangular lattice.

    Parameters
    ----------
    L : int
        Linear size; the lattice has ``L * L`` sites with periodic boundaries along a1 and a2.

    Examples
    --------
    >>> lat = TriangularLattice(6)
    >>> lat.num_sites
    36
    >>> lat.neighbor_offsets(1).shape
    (6, 2)
    """

    name = "triangular"
    primitive_vectors = np.array([[1.0, 0.0], [0.5, SQRT3 / 2.0]])
    #: number of sites in each of the first three neighbour shells
    coordination = (6, 6, 6)

    def __init__(self, L: int) -> None:
        self.L = check_int("L", L, minimum=1)
        self.num_sites = self.L * self.L

    def __repr__(self) -> str:
        return f"TriangularLattice(L={self.L})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TriangularLattice) and other.L == self.L

    def __hash__(self) -> int:
        return hash(("triangular", self.L))

    @property
    def shape(self) -> tuple[int, int]:
        return (self.L, self.L)

    # ----------------------------------------------------------------- real space
    @cached_property
    def positions(self) -> NDArray[np.float64]:
        """Cartesian positions, shape (L, L, 2): r[i, j] = i a1 + j a2."""
        i, j = np.meshgrid(np.arange(self.L), np.arange(self.L), indexing="ij")
        return i[..., None] * self.primitive_vectors[0] + j[..., None] * self.primitive_vectors[1]

    def site_index(self, i: NDArray | int, j: NDArray | int) -> NDArray[np.int64]:
        """Flat index of site (i, j), wrapped periodically."""
        return np.mod(i, self.L) * self.L + np.mod(j, self.L)

    @staticmethod
    def neighbor_offsets(shell: int) -> NDArray[np.int64]:
        """Integer offsets (n1, n2) of the neighbours in shell 1, 2 or 3, shape (6, 2).

        Shells are the distinct distances 1, sqrt(3), 2 of the infinite lattice, ordered
        counter-clockwise starting from the smallest polar angle.
        """
        shell = check_int("shell", shell, minimum=1, maximum=3)
        radius_sq = (1, 3, 4)[shell - 1]
        cand = np.array([(a, b) for a in range(-3, 4) for b in range(-3, 4)], dtype=np.int64)
        dist_sq = cand[:, 0] ** 2 + cand[:, 1] ** 2 + cand[:, 0] * cand[:, 1]
        offsets = cand[dist_sq == radius_sq]
        r = offsets @ TriangularLattice.primitive_vectors
        order = np.argsort(np.mod(np.arctan2(r[:, 1], r[:, 0]), 2 * np.pi))
        return offsets[order]

    def min_size_for_shells(self, num_shells: int) -> int:
        """Smallest L on which the first ``num_shells`` shells are distinct sites."""
        for L in range(1, 64):
            offs = np.concatenate([self.neighbor_offsets(n) for n in range(1, num_shells + 1)])
            wrapped = {tuple(x) for x in np.mod(offs, L)}
            if len(wrapped) == len(offs) and (0, 0) not in wrapped:
                return L
        raise AssertionError("unreachable: shells 1-3 fit on a 64 x 64 torus")

    def check_supports_shells(self, num_shells: int) -> None:
        """Raise ValueError when L is too small to hold ``num_shells`` distinct neighbour shells."""
        need = self.min_size_for_shells(num_shells)
        if self.L < need:
            raise ValueError(
                f"L = {self.L} is too small for neighbour shells 1..{num_shells}: on a periodic "
                f"triangular lattice they wrap onto each other; need L >= {need}"
            )

    def bonds(self, shell: int) -> Bonds:
        """Directed bonds of one neighbour shell with their boundary winding numbers."""
        offsets = self.neighbor_offsets(shell)
        i, j = np.meshgrid(np.arange(self.L), np.arange(self.L), indexing="ij")
        i = i.reshape(-1, 1)
        j = j.reshape(-1, 1)
        ti = i + offsets[:, 0]
        tj = j + offsets[:, 1]
        winding = np.stack([np.floor_divide(ti, self.L), np.floor_divide(tj, self.L)], axis=-1)
        source = np.broadcast_to(i * self.L + j, ti.shape)
        return Bonds(
            source=source.reshape(-1).copy(),
            target=self.site_index(ti, tj).reshape(-1),
            winding=winding.reshape(-1, 2),
        )

    def neighbor_table(self, shell: int) -> NDArray[np.int64]:
        """Flat indices of the neighbours of every site, shape (num_sites, 6)."""
        return self.bonds(shell).target.reshape(self.num_sites, -1)

    def translate(self, field: NDArray, shift: tuple[int, int]) -> NDArray:
        """Translate a per-site array (..., L, L, c) by ``shift`` = (n1, n2) lattice vectors.

        ``out[i + n1, j + n2] = field[i, j]``.
        """
        return np.roll(field, shift=tuple(int(s) for s in shift), axis=(-3, -2))

    # ----------------------------------------------------------------- triangles
    @cached_property
    def triangles(self) -> NDArray[np.int64]:
        """Elementary triangles, shape (2 * num_sites, 3), vertices counter-clockwise.

        Up triangles (r, r + a1, r + a2) and down triangles (r + a1, r + a1 + a2, r + a2) tile the
        torus exactly once.
        """
        i, j = np.meshgrid(np.arange(self.L), np.arange(self.L), indexing="ij")
        i, j = i.ravel(), j.ravel()
        s = self.site_index
        up = np.stack([s(i, j), s(i + 1, j), s(i, j + 1)], axis=-1)
        down = np.stack([s(i + 1, j), s(i + 1, j + 1), s(i, j + 1)], axis=-1)
        return np.concatenate([up, down])

    # ----------------------------------------------------------------- reciprocal space
    @cached_property
    def reciprocal_vectors(self) -> NDArray[np.float64]:
        """b1, b2 as rows, with a_m . b_n = 2 pi delta_mn."""
        return 2 * np.pi * np.linalg.inv(self.primitive_vectors).T

    @cached_property
    def momenta(self) -> NDArray[np.float64]:
        """Allowed momenta of the periodic lattice, shape (L, L, 2): k = (m1 b1 + m2 b2) / L."""
        m = np.arange(self.L)
        m1, m2 = np.meshgrid(m, m, indexing="ij")
        b = self.reciprocal_vectors
        return (m1[..., None] * b[0] + m2[..., None] * b[1]) / self.L

    def momentum_index(self, q: NDArray) -> tuple[int, int]:
        """Grid indices (m1, m2) of momentum ``q`` (Cartesian), raising if it is off the grid."""
        coeff = np.asarray(q, dtype=float) @ self.primitive_vectors.T * self.L / (2 * np.pi)
        rounded = np.rint(coeff)
        if np.max(np.abs(coeff - rounded)) > 1e-8:
            raise ValueError(
                f"momentum q = {tuple(np.round(q, 6))} is not on the {self.L} x {self.L} grid "
                f"(coefficients {tuple(np.round(coeff, 4))} must be integers)"
            )
        return int(rounded[0]) % self.L, int(rounded[1]) % self.L

    # ----------------------------------------------------------------- point group
    @cached_property
    def point_group(self) -> tuple[PointGroupOperation, ...]:
        """The 12 operations of D6 about site (0, 0): six rotations, then six reflections."""
        ops = []
        for mirrored in (False, True):
            base = _MIRROR_X if mirrored else np.eye(2, dtype=np.int64)
            rot = np.eye(2, dtype=np.int64)
            for k in range(6):
                m = rot @ base
                a = self.primitive_vectors.T  # columns a1, a2
                cart = a @ m @ np.linalg.inv(a)
                name = f"R{60 * k}" + ("M" if mirrored else "")
                ops.append(PointGroupOperation(name, m, cart))
                rot = _ROTATION_60 @ rot
        return tuple(ops)

    def point_group_index_map(self, op: PointGroupOperation) -> NDArray[np.int64]:
        """Flat index of the image of every site under ``op``, shape (num_sites,)."""
        i, j = np.meshgrid(np.arange(self.L), np.arange(self.L), indexing="ij")
        n = np.stack([i.ravel(), j.ravel()])
        image = op.integer_matrix @ n
        return self.site_index(image[0], image[1])

    def apply_point_group(self, field: NDArray, op: PointGroupOperation) -> NDArray:
        """Move a per-site array (..., L, L, c) by a D6 operation: out[g(r)] = field[r].

        Vector components are *not* rotated: spin space and real space are independent here.
        """
        L = self.L
        flat = field.reshape(*field.shape[:-3], L * L, field.shape[-1])
        out = np.empty_like(flat)
        out[..., self.point_group_index_map(op), :] = flat
        return out.reshape(field.shape)
