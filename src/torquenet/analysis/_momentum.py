"""Structure factor in momentum space: Bragg-peak intensities and Brillouin-zone pictures."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from torquenet.analysis._figures import pyplot
from torquenet.lattice import TriangularLattice


def brillouin_zone_corners() -> NDArray[np.float64]:
    """Corners of the first Brillouin zone of the triangular lattice, shape (7, 2), closed.

    The K points sit at |K| = 4 pi / 3 along angles 0, 60, ..., 300 degrees (a1 along x).
    """
    angles = np.arange(7) * np.pi / 3
    return 4 * np.pi / 3 * np.stack([np.cos(angles), np.sin(angles)], axis=-1)


def _extended_zone(lattice: TriangularLattice, values: NDArray, radius: float):
    """Grid momenta repeated over neighbouring zones, kept within ``radius`` of Gamma."""
    b = lattice.reciprocal_vectors
    q = lattice.momenta.reshape(-1, 2)
    v = values.reshape(-1)
    shifts = np.array([m1 * b[0] + m2 * b[1] for m1 in (-1, 0, 1) for m2 in (-1, 0, 1)])
    qq = (q[None] + shifts[:, None]).reshape(-1, 2)
    vv = np.tile(v, len(shifts))
    keep = np.linalg.norm(qq, axis=-1) <= radius
    return qq[keep], vv[keep]


def plot_structure_factor(
    structure_factor: NDArray[np.float64],
    *,
    ax: Any = None,
    title: str | None = None,
    vmax: float | None = None,
    log: bool = False,
) -> Any:
    """Draw S(q) (L, L) over the first Brillouin zone (dashed red), each grid momentum as its
    reciprocal-space Wigner-Seitz hexagon.  Returns the Axes."""
    plt = pyplot()
    from matplotlib.collections import PolyCollection
    from matplotlib.colors import LogNorm, Normalize

    L = structure_factor.shape[-1]
    lattice = TriangularLattice(L)
    radius = 4 * np.pi / 3 * 1.08
    q, v = _extended_zone(lattice, structure_factor, radius)
    spacing = np.linalg.norm(lattice.reciprocal_vectors[0]) / L
    angles = np.arange(6) * np.pi / 3
    hexagon = spacing / np.sqrt(3) * np.stack([np.cos(angles), np.sin(angles)], axis=-1)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 5))
    vmax = float(v.max()) if vmax is None else vmax
    norm = LogNorm(vmin=max(vmax * 1e-4, 1e-12), vmax=vmax) if log else Normalize(0.0, vmax)
    cells = PolyCollection(
        q[:, None, :] + hexagon[None],
        array=np.maximum(v, 1e-300),
        cmap="magma",
        norm=norm,
        edgecolors="none",
    )
    ax.add_collection(cells)
    plt.colorbar(cells, ax=ax, label=r"$S(\mathbf{q})$", fraction=0.046, pad=0.03)
    bz = brillouin_zone_corners()
    ax.plot(bz[:, 0], bz[:, 1], "r--", lw=1.2, label="first Brillouin zone")
    ax.set_xlim(-radius, radius)
    ax.set_ylim(-radius, radius)
    ax.set_aspect("equal")
    ax.set_xlabel(r"$q_x$ (1/a)")
    ax.set_ylabel(r"$q_y$ (1/a)")
    if title:
        ax.set_title(title)
    return ax
