"""Structure factor in momentum space: Bragg-peak intensities and Brillouin-zone pictures."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from torquenet.analysis._figures import pyplot
from torquenet.lattice import TriangularLattice


def brillouin_zone_corners() -> NDArray[np.float64]:
    """Corners of the first Brillouin zone of the triangular lattice, shape (7, 2), closed.

    The K points sit at ``|K| = 4 pi / 3`` along angles 0, 60, ..., 300 degrees (a1 along x).
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


#: Colour scales of S(q) maps.  "auto" picks "log" when the map's dynamic range (largest value
#: over the median) exceeds :data:`LOG_SCALE_RANGE`: Bragg peaks then hold most of the weight
#: and a linear scale shows a few bright pixels on black, hiding the ring and diffuse weight.
STRUCTURE_FACTOR_SCALES = ("auto", "log", "linear")
LOG_SCALE_RANGE = 30.0
#: The logarithmic scale runs from the 5th percentile of the map (the diffuse background then
#: shows as the dark end, not as black) up to the largest value, over at most this many decades.
LOG_SCALE_MAX_DECADES = 7


def structure_factor_scale(values: NDArray[np.float64], scale: str = "auto") -> str:
    """The colour scale ("log" or "linear") of S(q) maps holding ``values``.

    Examples
    --------
    >>> structure_factor_scale(np.full((6, 6), 1 / 36))
    'linear'
    >>> peaks = np.full((12, 12), 1e-5); peaks[2, 0] = 0.5
    >>> structure_factor_scale(peaks)
    'log'
    """
    if scale not in STRUCTURE_FACTOR_SCALES:
        raise ValueError(f"scale must be one of {STRUCTURE_FACTOR_SCALES}, got {scale!r}")
    if scale != "auto":
        return scale
    values = np.asarray(values, dtype=np.float64)
    median = float(np.median(values))
    largest = float(values.max())
    return "log" if largest > LOG_SCALE_RANGE * max(median, 1e-300) else "linear"


def plot_structure_factor(
    structure_factor: NDArray[np.float64],
    *,
    ax: Any = None,
    title: str | None = None,
    vmax: float | None = None,
    scale: str = "auto",
) -> Any:
    """Draw S(q) (L, L) over the first Brillouin zone (dashed red), each grid momentum as its
    reciprocal-space Wigner-Seitz hexagon.  Returns the Axes.

    ``scale``: "linear", "log" (from the map's 5th percentile to ``vmax``, at most
    :data:`LOG_SCALE_MAX_DECADES` decades) or "auto" (:func:`structure_factor_scale`).
    """
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
    if structure_factor_scale(structure_factor, scale) == "log":
        floor = max(vmax * 10.0**-LOG_SCALE_MAX_DECADES, 1e-300)
        vmin = min(max(float(np.percentile(v, 5)), floor), vmax / 10.0)
        norm = LogNorm(vmin=vmin, vmax=vmax)
    else:
        norm = Normalize(0.0, vmax)
    cells = PolyCollection(
        q[:, None, :] + hexagon[None],
        array=np.maximum(v, 1e-300),
        cmap="magma",
        norm=norm,
        edgecolors="face",  # no hairline gaps between the hexagons
        linewidths=0.2,
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
