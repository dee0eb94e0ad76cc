"""The ring of S(q) after a quench: its radius, its width and the length scale of the domains.

After a quench from random spins the structure factor gathers on a ring of radius ~|Q_eta|
(paper Sec. IV B, Fig. 5) that sharpens as skyrmion crystallites grow.  Its radial moments over
the modulation region 0 < |q| < q_cut,

.. math::
    \\bar q = \\frac{\\sum_q |q| S(q)}{\\sum_q S(q)}, \\qquad
    \\sigma_q^2 = \\frac{\\sum_q (|q| - \\bar q)^2 S(q)}{\\sum_q S(q)}, \\qquad
    \\ell = \\frac{2\\pi}{\\sigma_q},

give the ring radius, its width and a characteristic length ell (the correlation length of
the modulation: a domain of linear size ell broadens a Bragg peak by ~2 pi / ell).  |q| is the
norm of the image of q closest to Gamma.  The default cut 1.5 |Q_eta| = pi / 2 keeps the whole
ring and excludes q = 0 (the magnetisation) and the skyrmion-lattice harmonics at sqrt(3) |Q|
and 2 |Q|.  The finite lattice resolves widths down to ~|b| / L = 4 pi / (sqrt(3) L).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from torquenet.lattice import TriangularLattice

#: |Q_eta| = pi / 3 (units of 1/a) of the s-d model's nesting wave vectors.
NESTING_WAVENUMBER = np.pi / 3

#: Default outer radius of the ring region: 1.5 |Q_eta|.
DEFAULT_RING_CUT = 1.5 * NESTING_WAVENUMBER


def fold_to_first_zone(q: NDArray[np.float64], lattice: TriangularLattice) -> NDArray[np.float64]:
    """The image of each momentum q (..., 2) closest to Gamma (units of 1/a)."""
    b = lattice.reciprocal_vectors
    shifts = np.array([n1 * b[0] + n2 * b[1] for n1 in (-1, 0, 1) for n2 in (-1, 0, 1)])
    images = q[..., None, :] + shifts
    nearest = np.argmin(np.linalg.norm(images, axis=-1), axis=-1)
    return np.take_along_axis(images, nearest[..., None, None], axis=-2)[..., 0, :]


def folded_momentum_norms(L: int) -> NDArray[np.float64]:
    """|q| (units of 1/a) of every point of the L x L momentum grid, folded to the first zone.

    Examples
    --------
    >>> q = folded_momentum_norms(12)
    >>> float(q[0, 0]), bool(np.isclose(q[2, 0], 2 * np.pi / 3 * 2 / np.sqrt(3) / 2))
    (0.0, True)
    """
    lattice = TriangularLattice(L)
    return np.linalg.norm(fold_to_first_zone(lattice.momenta, lattice), axis=-1)


@dataclass(frozen=True)
class RingMoments:
    """Radial moments of S(q) over 0 < |q| < cut at each time (arrays of shape (T,)).

    Attributes
    ----------
    radius : ndarray
        Mean |q| weighted by S(q) (units of 1/a).
    width : ndarray
        Mean absolute deviation w_q of |q| from the radius (units of 1/a).
    length : ndarray
        2 pi / w_q (lattice constants): the characteristic length of the modulation.
    weight : ndarray
        sum of S(q) in the region (the share of sum_q S(q) = 1 on the ring).
    cut : float
        The outer radius of the region.
    """

    radius: NDArray[np.float64]
    width: NDArray[np.float64]
    length: NDArray[np.float64]
    weight: NDArray[np.float64]
    cut: float


def ring_moments(
    structure_factor: NDArray[np.float64], cut: float = DEFAULT_RING_CUT
) -> RingMoments:
    """Ring radius, width and length of S(q) maps (T, L, L) or one map (L, L).

    Raises
    ------
    ValueError
        Not square maps, a cut that is not positive, or a region that holds no momentum or no
        weight.

    Examples
    --------
    >>> from torquenet.observables import structure_factor
    >>> from torquenet.textures import skyrmion_lattice
    >>> m = ring_moments(structure_factor(skyrmion_lattice(24)))
    >>> bool(np.isclose(m.radius[0], np.pi / 3)), bool(m.width[0] < 1e-12)
    (True, True)
    """
    sq = np.asarray(structure_factor, dtype=np.float64)
    if sq.ndim == 2:
        sq = sq[None]
    if sq.ndim != 3 or sq.shape[-1] != sq.shape[-2]:
        raise ValueError(f"structure factor maps must be (T, L, L) or (L, L), got {sq.shape}")
    if not cut > 0:
        raise ValueError(f"the ring cut must be a positive wave number, got {cut!r}")
    q = folded_momentum_norms(sq.shape[-1])
    region = (q > 0) & (q < cut)
    if not region.any():
        raise ValueError(f"no momentum of the {sq.shape[-1]}^2 grid lies in 0 < |q| < {cut:g}")
    weights = sq[:, region]
    total = weights.sum(axis=1)
    if np.any(total <= 0):
        raise ValueError("a structure factor map has no weight in the ring region")
    radius = weights @ q[region] / total
    width = np.einsum("tk,tk->t", weights, np.abs(q[region][None] - radius[:, None])) / total
    with np.errstate(divide="ignore"):
        length = np.where(width > 0, 2 * np.pi / np.where(width > 0, width, 1.0), np.inf)
    return RingMoments(radius=radius, width=width, length=length, weight=total, cut=float(cut))


def power_law_fit(
    times: NDArray[np.float64], values: NDArray[np.float64]
) -> tuple[float, float, float]:
    """Least-squares fit values = A t^n in log-log: (n, its standard error, A).

    Raises
    ------
    ValueError
        Fewer than three points, or non-positive times or values.
    """
    t = np.asarray(times, dtype=np.float64)
    y = np.asarray(values, dtype=np.float64)
    if t.shape != y.shape or t.ndim != 1 or len(t) < 3:
        raise ValueError(f"need >= 3 matching (time, value) points, got {t.shape} and {y.shape}")
    if np.any(t <= 0) or np.any(y <= 0) or not np.all(np.isfinite(y)):
        raise ValueError("a power-law fit needs positive, finite times and values")
    x, z = np.log(t), np.log(y)
    design = np.column_stack([x, np.ones_like(x)])
    coefficients, residuals, _, _ = np.linalg.lstsq(design, z, rcond=None)
    slope, intercept = coefficients
    dof = len(x) - 2
    rss = float(residuals[0]) if residuals.size else float(np.sum((design @ coefficients - z) ** 2))
    sxx = float(np.sum((x - x.mean()) ** 2))
    error = np.sqrt(rss / dof / sxx) if dof > 0 and sxx > 0 else np.nan
    return float(slope), float(error), float(np.exp(intercept))
