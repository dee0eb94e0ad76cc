"""Effective receptive field of a torque model (Luo et al. 2016; paper Fig. 10)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from torquenet.analysis._figures import pyplot
from torquenet.lattice import TriangularLattice


def effective_receptive_field(
    network: torch.nn.Module, spins: NDArray[np.float64], site: tuple[int, int] | None = None
) -> NDArray[np.float64]:
    """Gradients dT_a(site) / dS_b(j) of a torque network, shape (3, 3, L, L).

    Parameters
    ----------
    network : torch.nn.Module
        Maps (batch, 3, L, L) spins (channels first) to (batch, 3, L, L) torques.
    spins : ndarray, shape (L, L, 3)
        The texture at which the derivatives are taken.
    site : (i, j), optional
        Output site; defaults to the centre (L // 2, L // 2).

    Returns
    -------
    ndarray, shape (3, 3, L, L)
        ``erf[a, b, i, j] = d T_a(site) / d S_b(i, j)``.
    """
    L = spins.shape[0]
    site = (L // 2, L // 2) if site is None else site
    param = next(network.parameters(), None)
    dtype = param.dtype if param is not None else torch.float64
    device = param.device if param is not None else torch.device("cpu")
    x = torch.tensor(np.moveaxis(spins, -1, 0)[None], dtype=dtype, device=device)
    rows = []
    for a in range(3):
        x_req = x.clone().requires_grad_(True)
        out = network(x_req)
        (grad,) = torch.autograd.grad(out[0, a, site[0], site[1]], x_req)
        rows.append(grad[0].detach().cpu().double().numpy())
    return np.stack(rows)


def receptive_field_radius(
    erf: NDArray[np.float64], site: tuple[int, int], fraction: float = 0.99
) -> float:
    """Smallest real-space distance from ``site`` containing ``fraction`` of sum |erf|."""
    weight = np.abs(erf).sum(axis=(0, 1))
    L = weight.shape[-1]
    lattice = TriangularLattice(L)
    # minimum-image distances on the torus
    d = lattice.positions - lattice.positions[site]
    a = lattice.primitive_vectors * L
    images = np.array([m1 * a[0] + m2 * a[1] for m1 in (-1, 0, 1) for m2 in (-1, 0, 1)])
    dist = np.min(np.linalg.norm(d[..., None, :] + images, axis=-1), axis=-1).ravel()
    order = np.argsort(dist, kind="stable")
    cumulative = np.cumsum(weight.ravel()[order])
    total = cumulative[-1]
    if total == 0:
        return 0.0
    return float(dist[order][np.searchsorted(cumulative, fraction * total - 1e-15 * total)])


def plot_receptive_field(
    erf: NDArray[np.float64], site: tuple[int, int], *, radius: float | None = None
) -> Any:
    """Nine component maps and the summed |dT/dS| on the triangular geometry.  Returns Figure."""
    plt = pyplot()
    from matplotlib.collections import PolyCollection
    from matplotlib.colors import LogNorm

    L = erf.shape[-1]
    lattice = TriangularLattice(L)
    pos = (lattice.positions - lattice.positions[site]).reshape(-1, 2)
    # wrap to the minimum image so the output site sits in the middle of the picture
    inv = np.linalg.inv(lattice.primitive_vectors.T * L)
    frac = pos @ inv.T
    pos = pos - np.round(frac) @ (lattice.primitive_vectors * L)
    angles = np.pi / 6 + np.arange(6) * np.pi / 3
    hexagon = np.stack([np.cos(angles), np.sin(angles)], axis=-1) / np.sqrt(3)
    polys = pos[:, None, :] + hexagon[None]
    total = np.abs(erf).sum(axis=(0, 1)).ravel()
    support = total > total.max() * 1e-12
    half_width = np.abs(pos[support]).max() + 2.0 if support.any() else 3.0
    fig = plt.figure(figsize=(16, 9), layout="constrained")
    grid = fig.add_gridspec(3, 6)
    names = "xyz"
    vmax = np.abs(erf).max() or 1.0
    for a in range(3):
        for b in range(3):
            ax = fig.add_subplot(grid[a, b])
            cells = PolyCollection(polys, array=erf[a, b].ravel(), cmap="RdBu_r", edgecolors="none")
            cells.set_clim(-vmax, vmax)
            ax.add_collection(cells)
            ax.set_xlim(-half_width, half_width)
            ax.set_ylim(-half_width, half_width)
            ax.set_aspect("equal")
            ax.set_title(rf"$\partial T_{names[a]} / \partial S_{names[b]}$", fontsize=9)
            ax.tick_params(labelsize=7)
    fig.colorbar(cells, ax=fig.axes, location="left", shrink=0.6, label="gradient")
    ax = fig.add_subplot(grid[:, 3:])
    cells = PolyCollection(
        polys,
        array=np.maximum(total, total.max() * 1e-8),
        cmap="gray",
        norm=LogNorm(vmin=max(total.max() * 1e-6, 1e-300), vmax=total.max()),
        edgecolors="none",
    )
    ax.add_collection(cells)
    ax.set_xlim(-half_width, half_width)
    ax.set_ylim(-half_width, half_width)
    ax.set_aspect("equal")
    fig.colorbar(cells, ax=ax, label=r"$\sum_{ab} |\partial T_a / \partial S_b|$")
    if radius is not None:
        circle = plt.Circle(
            (0, 0), radius, color="r", fill=False, ls="--", label=f"99% radius = {radius:.2f} a"
        )
        ax.add_patch(circle)
        ax.legend(loc="upper right")
    ax.set_xlabel("x - x_i (lattice constants)")
    ax.set_ylabel("y - y_i (lattice constants)")
    ax.set_title("effective receptive field")
    return fig
