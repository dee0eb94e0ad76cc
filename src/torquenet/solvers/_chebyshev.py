"""Chebyshev expansion of the grand-potential function: spectral rescaling, kernels, coefficients.

The kernel polynomial method (KPM) writes the electronic grand potential as a trace of a polynomial
of the rescaled Hamiltonian,

.. math::
    \\Omega = \\operatorname{Tr}\\,\\omega(H) \\approx \\sum_{m=0}^{M-1} g_m c_m
              \\operatorname{Tr} T_m(\\tilde H), \\qquad \\tilde H = (H - b) / a,

with the spectrum of H inside [b - a, b + a], T_m the Chebyshev polynomials, c_m the Chebyshev
coefficients of omega(b + a x) on [-1, 1] and g_m a damping kernel (Weisse et al. 2006, Eqs. 21
and 71).  This module holds the scalar side of that formula; the traces live in ``_kpm.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.fft import dct

from torquenet._validation import check_float, check_int
from torquenet.lattice import TriangularLattice
from torquenet.model import SDModelParams, band_energy, grand_potential_terms

#: Damping kernels g_m.  "dirichlet" (g_m = 1) is the plain truncated series: for kT > 0 the
#: function omega is analytic in a strip of half-width pi kT about the real axis, so its series
#: converges exponentially and damping only adds error.  "jackson" (Weisse et al. 2006, Eq. 71)
#: keeps the smoothed occupation between 0 and 1, which matters at kT = 0 where omega has a kink.
KERNELS = ("dirichlet", "jackson")

#: Relative widening of the spectral window on each side.  The band extremes are found on a
#: finite k-grid; near an extremum the dispersion is quadratic, so the grid misses it by at most
#: (1/2) max|eps''| dk^2 <= 3e-3 t1 for the default grid and hoppings, far below 1% of the
#: half-width (~0.07 t1).  The Chebyshev recursion grows exponentially outside [-1, 1], so the
#: window must be a strict bound; the price is ~1% more moments for the same resolution.
SPECTRAL_PADDING = 0.01

#: Linear size of the k-grid used to find the band extremes (see SPECTRAL_PADDING).
BAND_GRID_SIZE = 512

#: Quadrature nodes per moment for the DCT.  Aliasing folds c_{2 N_q - m} onto c_m; with
#: N_q >= 16 M the folded coefficients are those of degree > 31 M, negligible for kT > 0 and
#: O(1 / N_q^2) relative for the kink at kT = 0.
NODES_PER_MOMENT = 16
MIN_QUADRATURE_NODES = 16384


@dataclass(frozen=True)
class SpectralBounds:
    """An interval [lower, upper] (units of t1) that contains the whole spectrum of H.

    Examples
    --------
    >>> b = SpectralBounds(-2.0, 6.0)
    >>> (b.center, b.half_width)
    (2.0, 4.0)
    """

    lower: float
    upper: float

    def __post_init__(self) -> None:
        check_float("lower", self.lower)
        check_float("upper", self.upper)
        if not self.upper > self.lower:
            raise ValueError(
                f"spectral bounds need upper > lower, got lower = {self.lower}, "
                f"upper = {self.upper}"
            )

    @property
    def center(self) -> float:
        """b in H~ = (H - b) / a."""
        return 0.5 * (self.upper + self.lower)

    @property
    def half_width(self) -> float:
        """a in H~ = (H - b) / a."""
        return 0.5 * (self.upper - self.lower)

    def rescale(self, energy: NDArray[np.float64] | float) -> NDArray[np.float64]:
        """x = (E - b) / a, in [-1, 1] for E inside the bounds."""
        return (np.asarray(energy, dtype=np.float64) - self.center) / self.half_width


def spectral_bounds(
    params: SDModelParams, padding: float = SPECTRAL_PADDING, grid_size: int = BAND_GRID_SIZE
) -> SpectralBounds:
    """Bounds on the spectrum of the s-d Hamiltonian of *any* unit-spin texture on any lattice.

    Parameters
    ----------
    params : SDModelParams
    padding : float
        Relative widening of the interval on each side (see SPECTRAL_PADDING).
    grid_size : int
        k-grid used to locate the band extremes of the infinite lattice.

    Returns
    -------
    SpectralBounds

    Notes
    -----
    H = H_0 (x) 1 - J sum_i S_i . sigma_i, and the on-site term has norm |J| for unit spins, so by
    Weyl's inequality every eigenvalue lies in [min eps_k - |J|, max eps_k + |J|] with eps_k the
    band of H_0.  The bound is sharp (a ferromagnet reaches it) and about half as wide as the
    crude sum_n 6 |t_n| + |J| of ``SDModelParams.spectral_bound``, halving the moments needed.

    Examples
    --------
    >>> b = spectral_bounds(SDModelParams())
    >>> bool(b.lower < -5.5 and b.upper > 8.1)
    True
    """
    check_float("padding", padding, minimum=0.0)
    grid_size = check_int("grid_size", grid_size, minimum=8)
    band = band_energy(TriangularLattice(grid_size).momenta, params)
    lower = float(band.min()) - abs(params.sd_coupling)
    upper = float(band.max()) + abs(params.sd_coupling)
    margin = padding * 0.5 * (upper - lower)
    return SpectralBounds(lower - margin, upper + margin)


def jackson_kernel(num_moments: int) -> NDArray[np.float64]:
    """Jackson damping factors g_m, m = 0 .. M-1 (Weisse et al. 2006, Eq. 71).

    .. math::
        g_m = \\frac{(M - m + 1)\\cos\\frac{\\pi m}{M + 1}
              + \\sin\\frac{\\pi m}{M + 1}\\cot\\frac{\\pi}{M + 1}}{M + 1}

    It turns the truncated series into a convolution with a positive kernel of width
    ~ pi / M (in x), so a step function is approximated without Gibbs oscillations.

    Examples
    --------
    >>> g = jackson_kernel(4)
    >>> float(g[0]), bool(np.isclose(g[1], np.cos(np.pi / 5)))
    (1.0, True)
    """
    M = check_int("num_moments", num_moments, minimum=1)
    m = np.arange(M)
    q = np.pi / (M + 1)
    return ((M - m + 1) * np.cos(q * m) + np.sin(q * m) / np.tan(q)) / (M + 1)


def damping_factors(kernel: str, num_moments: int) -> NDArray[np.float64]:
    """g_m of the named kernel (one of KERNELS), shape (num_moments,)."""
    if kernel == "jackson":
        return jackson_kernel(num_moments)
    if kernel == "dirichlet":
        return np.ones(check_int("num_moments", num_moments, minimum=1))
    raise ValueError(f"kernel must be one of {KERNELS}, got {kernel!r}")


def chebyshev_coefficients(
    function: Callable[[NDArray[np.float64]], NDArray[np.float64]],
    num_moments: int,
    num_nodes: int | None = None,
) -> NDArray[np.float64]:
    """Coefficients c_m of f(x) = sum_m c_m T_m(x) on [-1, 1], by Chebyshev-Gauss quadrature.

    Parameters
    ----------
    function : callable
        Vectorised f(x) for x in (-1, 1).
    num_moments : int
        M: returns c_0 .. c_{M-1}.
    num_nodes : int, optional
        N_q >= M quadrature nodes x_k = cos(pi (k + 1/2) / N_q); default max(16 M, 16384).

    Returns
    -------
    ndarray, shape (num_moments,)

    Notes
    -----
    .. math::
        c_m = \\frac{2 - \\delta_{m0}}{N_q} \\sum_{k=0}^{N_q - 1} f(x_k)
              \\cos\\frac{\\pi m (k + 1/2)}{N_q}

    is a DCT-II of the samples (Weisse et al. 2006, Eq. 84); it is exact for polynomials of
    degree < 2 N_q - M.

    Examples
    --------
    >>> c = chebyshev_coefficients(lambda x: 4 * x**3, 5)  # 4x^3 = 3 T_1 + T_3
    >>> np.round(c, 12) + 0.0
    array([0., 3., 0., 1., 0.])
    """
    M = check_int("num_moments", num_moments, minimum=1)
    nodes = max(NODES_PER_MOMENT * M, MIN_QUADRATURE_NODES) if num_nodes is None else num_nodes
    nodes = check_int("num_nodes", nodes, minimum=M)
    x = np.cos(np.pi * (np.arange(nodes) + 0.5) / nodes)
    values = np.asarray(function(x), dtype=np.float64)
    if values.shape != x.shape or not np.all(np.isfinite(values)):
        raise ValueError("function must return finite values of the same shape as its input")
    coeffs = dct(values, type=2)[:M] / nodes
    coeffs[0] *= 0.5
    return coeffs


def grand_potential_coefficients(
    num_moments: int, chemical_potential: float, kT: float, bounds: SpectralBounds
) -> NDArray[np.float64]:
    """Chebyshev coefficients of omega(b + a x), the grand potential of one level (units of t1).

    omega(E) = -kT ln(1 + exp(-(E - mu) / kT)), and min(E - mu, 0) at kT = 0 (its derivative is
    the Fermi function, so the gradient of the expanded Omega gives occupations).

    Parameters
    ----------
    num_moments : int
    chemical_potential : float
        mu.
    kT : float
        Electron temperature >= 0.
    bounds : SpectralBounds
        The window [b - a, b + a] mapped onto [-1, 1].

    Returns
    -------
    ndarray, shape (num_moments,)

    Notes
    -----
    At kT = 0 the coefficients are exact: with x0 = (mu - b) / a = cos(theta0),

    .. math::
        c_m = \\frac{2 - \\delta_{m0}}{\\pi} a \\int_{\\theta_0}^{\\pi}
              (\\cos\\theta - \\cos\\theta_0) \\cos m\\theta \\, d\\theta,

    evaluated in closed form below.  For kT > 0 they come from :func:`chebyshev_coefficients`;
    they decay like exp(-m pi kT / (a sqrt(1 - x0^2))) (nearest pole of omega at
    E = mu + i pi kT), which sets how many moments a given kT needs.
    """
    M = check_int("num_moments", num_moments, minimum=1)
    mu = check_float("chemical_potential", chemical_potential)
    kT = check_float("kT", kT, minimum=0.0)
    a, b = bounds.half_width, bounds.center
    if kT > 0.0:
        return chebyshev_coefficients(lambda x: grand_potential_terms(a * x + b, mu, kT), M)
    x0 = (mu - b) / a
    coeffs = np.zeros(M)
    if x0 <= -1.0:  # every level empty: omega = 0 on the window
        return coeffs
    if x0 >= 1.0:  # every level filled: omega = a (x - x0)
        coeffs[0] = -a * x0
        if M > 1:
            coeffs[1] = a
        return coeffs
    theta0 = np.arccos(x0)
    s0 = np.sin(theta0)
    coeffs[0] = a / np.pi * (-x0 * (np.pi - theta0) - s0)
    if M > 1:
        coeffs[1] = 2 * a / np.pi * (0.5 * (np.pi - theta0) - 0.25 * np.sin(2 * theta0) + x0 * s0)
    m = np.arange(2, M)
    integral = (
        -np.sin((m + 1) * theta0) / (2 * (m + 1))
        - np.sin((m - 1) * theta0) / (2 * (m - 1))
        + x0 * np.sin(m * theta0) / m
    )
    coeffs[2:] = 2 * a / np.pi * integral
    return coeffs
