"""Symmetry augmentation of (spins, torques) pairs (paper Sec. III C-D, Eq. 14).

The s-d Hamiltonian has two independent symmetries: a global SO(3) rotation R of all spins (with
the matching SU(2) rotation of the electrons) and the D6 point group of the triangular lattice
acting on the sites.  Both map a true pair (S, T) to another true pair:

.. math::
    (R\\,\\mathbf{S}_i,\\; R\\,\\mathbf{T}_i)
    \\quad\\text{and}\\quad
    \\mathbf{S}'_{g(i)} = \\mathbf{S}_i,\\; \\mathbf{T}'_{g(i)} = \\mathbf{T}_i .

Lattice operations move the sites only; vector components are not rotated by them, because
without spin-orbit coupling spin space and real space are independent.  The site maps are the
lattice module's exact integer index maps (:meth:`TriangularLattice.point_group_index_map`).
Translations are not drawn here: the network commutes with them exactly.

Arrays are channels first, (batch, 3, L, L), as the network sees them.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch

from torquenet.lattice import TriangularLattice

#: |D6| = 12: six rotations, then six reflections, ordered as ``TriangularLattice.point_group``.
NUM_POINT_GROUP_OPERATIONS = 12


def haar_rotations(
    num: int,
    generator: torch.Generator,
    *,
    dtype: torch.dtype = torch.float64,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """Haar-random rotation matrices, shape (num, 3, 3).

    Drawn as unit quaternions q = g / |g| with g a standard normal 4-vector: q is uniform on S^3,
    which is the Haar measure on SU(2) and hence on SO(3).  The draw is made on the CPU in float64
    from ``generator`` (so the same seed gives the same rotations on every device) and then cast.

    Examples
    --------
    >>> r = haar_rotations(2, torch.Generator().manual_seed(0))
    >>> torch.allclose(r @ r.transpose(1, 2), torch.eye(3, dtype=r.dtype).expand(2, 3, 3))
    True
    """
    g = torch.randn(num, 4, generator=generator, dtype=torch.float64)
    w, x, y, z = (g / g.norm(dim=1, keepdim=True)).unbind(dim=1)
    rot = torch.stack(
        [
            torch.stack([1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)], -1),
            torch.stack([2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)], -1),
            torch.stack([2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], -1),
        ],
        dim=1,
    )
    return rot.to(dtype=dtype, device=device)


@lru_cache(maxsize=16)
def _gather_indices(L: int) -> torch.Tensor:
    lattice = TriangularLattice(L)
    rows = []
    for op in lattice.point_group:
        image = lattice.point_group_index_map(op)  # site s goes to image[s]
        # out[image[s]] = in[s]  <=>  out[t] = in[source[t]] with source = image^-1
        source = np.empty_like(image)
        source[image] = np.arange(lattice.num_sites)
        rows.append(source)
    return torch.from_numpy(np.stack(rows))


def point_group_gather_indices(L: int) -> torch.Tensor:
    """Gather indices of the 12 D6 operations on the L x L torus, shape (12, L * L), int64.

    Row g holds, for each flat target site t = i * L + j, the flat source site whose value moves
    there under ``TriangularLattice(L).point_group[g]``: ``out.flat[t] = in.flat[rows[g, t]]``.
    """
    return _gather_indices(int(L)).clone()


def transform_pairs(
    spins: torch.Tensor,
    torques: torch.Tensor,
    rotations: torch.Tensor,
    operations: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Apply rotation ``rotations[b]`` and D6 element ``operations[b]`` to sample b.

    Parameters
    ----------
    spins, torques : torch.Tensor, shape (batch, 3, L, L)
        Channels-first pairs.
    rotations : torch.Tensor, shape (batch, 3, 3)
        SO(3) matrices acting on the vector components (cast to the data's dtype and device).
    operations : torch.Tensor, shape (batch,), int
        Indices into ``TriangularLattice(L).point_group``.

    Returns
    -------
    spins, torques : torch.Tensor, shape (batch, 3, L, L)
        ``S'_{g(i)} = R S_i`` and ``T'_{g(i)} = R T_i``.
    """
    if spins.ndim != 4 or spins.shape[1] != 3 or spins.shape[-1] != spins.shape[-2]:
        raise ValueError(f"spins must have shape (batch, 3, L, L), got {tuple(spins.shape)}")
    if torques.shape != spins.shape:
        raise ValueError(
            f"torques must have the shape of spins {tuple(spins.shape)}, got {tuple(torques.shape)}"
        )
    batch, _, L, _ = spins.shape
    if rotations.shape != (batch, 3, 3) or operations.shape != (batch,):
        raise ValueError(
            f"need rotations ({batch}, 3, 3) and operations ({batch},), got "
            f"{tuple(rotations.shape)} and {tuple(operations.shape)}"
        )
    rot = rotations.to(dtype=spins.dtype, device=spins.device)
    index = _gather_indices(L).to(spins.device)[operations.to(spins.device)]  # (batch, L*L)
    index = index[:, None, :].expand(batch, 3, L * L)

    def move(field: torch.Tensor) -> torch.Tensor:
        rotated = torch.einsum("bij,bjn->bin", rot, field.reshape(batch, 3, L * L))
        return rotated.gather(2, index).reshape(batch, 3, L, L)

    return move(spins), move(torques)


def augment_pairs(
    spins: torch.Tensor, torques: torch.Tensor, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """Draw a Haar rotation and a uniform D6 element per sample and apply them (Eq. 14).

    Parameters
    ----------
    spins, torques : torch.Tensor, shape (batch, 3, L, L)
    generator : torch.Generator
        CPU generator; the draws are the same whatever device the data live on.

    Examples
    --------
    >>> s = torch.nn.functional.normalize(torch.randn(2, 3, 4, 4), dim=1)
    >>> s2, t2 = augment_pairs(s, s, torch.Generator().manual_seed(1))
    >>> s2.shape
    torch.Size([2, 3, 4, 4])
    """
    batch = spins.shape[0]
    rotations = haar_rotations(batch, generator)
    operations = torch.randint(NUM_POINT_GROUP_OPERATIONS, (batch,), generator=generator)
    return transform_pairs(spins, torques, rotations, operations)
