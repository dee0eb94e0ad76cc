"""Real-space pictures of spin textures on the triangular geometry (paper Figs. 6-7)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from torquenet.analysis._figures import pyplot, save_figure
from torquenet.lattice import TriangularLattice


def plot_texture(
    spins: NDArray[np.float64],
    *,
    ax: Any = None,
    title: str | None = None,
    arrows: bool = True,
    vectors: NDArray[np.float64] | None = None,
    vector_label: str = "in-plane spin",
) -> Any:
    """Draw a texture (L, L, 3): each site's Wigner-Seitz hexagon coloured by S_z, arrows for
    the in-plane components of ``vectors`` (default: the spins themselves).

    Returns the matplotlib Axes.
    """
    plt = pyplot()
    from matplotlib.collections import PolyCollection

    L = spins.shape[0]
    lattice = TriangularLattice(L)
    pos = lattice.positions.reshape(-1, 2)
    angles = np.pi / 6 + np.arange(6) * np.pi / 3
    hexagon = np.stack([np.cos(angles), np.sin(angles)], axis=-1) / np.sqrt(3)
    if ax is None:
        width = min(4 + L / 8, 14)
        _, ax = plt.subplots(figsize=(width * 1.25, width * np.sqrt(3) / 2))
    cells = PolyCollection(
        pos[:, None, :] + hexagon[None],
        array=spins[..., 2].ravel(),
        cmap="coolwarm",
        edgecolors="none",
    )
    cells.set_clim(-1, 1)
    ax.add_collection(cells)
    plt.colorbar(cells, ax=ax, label="$S_z$", fraction=0.04, pad=0.02)
    if arrows:
        vec = spins if vectors is None else vectors
        v = vec.reshape(-1, 3)
        scale = np.max(np.linalg.norm(v[:, :2], axis=-1)) or 1.0
        stride = max(1, L // 48)
        keep = (np.arange(L)[:, None] % stride == 0) & (np.arange(L)[None, :] % stride == 0)
        k = keep.ravel()
        ax.quiver(
            pos[k, 0],
            pos[k, 1],
            v[k, 0] / scale,
            v[k, 1] / scale,
            angles="xy",
            scale_units="xy",
            scale=1.0 / (0.8 * stride),
            width=0.002 + 0.1 / (L * 30),
            pivot="middle",
            color="k",
            label=vector_label,
        )
    ax.set_xlim(pos[:, 0].min() - 1, pos[:, 0].max() + 1)
    ax.set_ylim(pos[:, 1].min() - 1, pos[:, 1].max() + 1)
    ax.set_aspect("equal")
    ax.set_xlabel("x (lattice constants)")
    ax.set_ylabel("y (lattice constants)")
    if title:
        ax.set_title(title)
    return ax


def plot_corner_snapshots(
    trajectory: Any, stem: str | Path, size: int = 24, formats: tuple[str, ...] = ("png",)
) -> list[Path]:
    """First, middle and last frame of a trajectory's ``size`` x ``size`` corner, side by side.

    On a large lattice the whole-lattice snapshots hide site-scale noise; the corner shows it.
    ``trajectory`` is a :class:`~torquenet.data.Trajectory`; the figure is written to
    ``stem.<format>`` for each format.
    """
    n = min(size, trajectory.spins.shape[1])
    picks = sorted({0, len(trajectory.times) // 2, len(trajectory.times) - 1})
    fig, axes = pyplot().subplots(
        1, len(picks), figsize=(6 * len(picks), 4.6), layout="constrained"
    )
    for ax, k in zip(np.atleast_1d(axes), picks):
        corner = trajectory.spins[k, :n, :n]
        plot_texture(corner, ax=ax, title=f"t = {trajectory.times[k]:g} t0 ({n} x {n} corner)")
    return save_figure(fig, stem, formats)
