"""Unit checks of the scalar KPM ingredients: kernel, coefficients, spectral window."""

import numpy as np
import pytest
from numpy.polynomial import chebyshev
from numpy.testing import assert_allclose
from scipy.special import iv

from torquenet.model import SDModelParams, grand_potential_terms
from torquenet.solvers import EDSolver
from torquenet.solvers._chebyshev import (
    SpectralBounds,
    chebyshev_coefficients,
    damping_factors,
    grand_potential_coefficients,
    jackson_kernel,
    spectral_bounds,
)
from torquenet.textures import ferromagnet, random_spins

# Closed forms evaluated in float64: only rounding remains.
ATOL_EXACT = 1e-14
# The DCT is exact for degree < 2 N_q - M; exp(x) has |c_m| < 1e-16 beyond m = 20.
ATOL_DCT = 1e-14
# kT = 0: DCT of a kink converges as 1/N_q^2; a * (pi / N_q)^2 ~ 7 * 1e-7 for N_q = 2^13.
ATOL_KINK_DCT = 1e-5
# kT = 0.05 with 800 moments: |c_m| < 1e-12 beyond (decay exp(-0.03 m)), sum of the tail ~1e-11.
ATOL_SERIES = 1e-10


def test_jackson_kernel_closed_form_values():
    # M = 3: q = pi/4, cot q = 1 -> g = [1, cos(pi/4), 1/4]
    assert_allclose(jackson_kernel(3), [1.0, np.sqrt(0.5), 0.25], rtol=0, atol=ATOL_EXACT)
    for M in (1, 10, 257):
        g = jackson_kernel(M)
        assert g[0] == pytest.approx(1.0, abs=ATOL_EXACT)
        if M > 1:  # g_1 = cos(pi / (M + 1)) exactly
            assert g[1] == pytest.approx(np.cos(np.pi / (M + 1)), abs=ATOL_EXACT)


def test_jackson_kernel_is_a_positive_smoothing_kernel():
    """K(theta) = g_0 + 2 sum g_m cos(m theta) >= 0: no Gibbs undershoot (Weisse Eq. 67)."""
    M = 64
    g = jackson_kernel(M)
    theta = np.linspace(0, np.pi, 2001)
    kernel = g[0] + 2 * (g[1:, None] * np.cos(np.arange(1, M)[:, None] * theta)).sum(0)
    assert kernel.min() >= -ATOL_EXACT * M
    assert np.all(np.diff(g) < 0)  # strictly damping
    assert_allclose(damping_factors("dirichlet", 5), np.ones(5), rtol=0, atol=0)
    with pytest.raises(ValueError, match="kernel must be one of"):
        damping_factors("lorentz", 5)


def test_chebyshev_coefficients_of_exp_are_bessel_functions():
    """exp(x) = I_0(1) + 2 sum_m I_m(1) T_m(x)."""
    c = chebyshev_coefficients(np.exp, 25)
    expected = 2 * iv(np.arange(25), 1.0)
    expected[0] /= 2
    assert_allclose(c, expected, rtol=0, atol=ATOL_DCT)


def test_zero_temperature_coefficients_match_quadrature_of_the_kink():
    bounds = SpectralBounds(-5.0, 9.0)
    mu = -3.5
    analytic = grand_potential_coefficients(200, mu, 0.0, bounds)
    a, b = bounds.half_width, bounds.center
    numeric = chebyshev_coefficients(
        lambda x: np.minimum(a * x + b - mu, 0.0), 200, num_nodes=2**13
    )
    assert_allclose(analytic, numeric, rtol=0, atol=ATOL_KINK_DCT)
    # mu outside the window: all empty / all filled
    assert_allclose(grand_potential_coefficients(5, -20.0, 0.0, bounds), 0.0, rtol=0, atol=0)
    full = grand_potential_coefficients(5, 20.0, 0.0, bounds)
    assert_allclose(full, [b - 20.0, a, 0, 0, 0], rtol=0, atol=ATOL_EXACT * 100)


def test_grand_potential_series_reproduces_omega_at_finite_temperature():
    bounds = SpectralBounds(-5.6, 8.2)
    kT, mu = 0.05, -3.5
    c = grand_potential_coefficients(800, mu, kT, bounds)
    x = np.linspace(-0.999, 0.999, 3001)
    exact = grand_potential_terms(bounds.center + bounds.half_width * x, mu, kT)
    assert_allclose(chebyshev.chebval(x, c), exact, rtol=0, atol=ATOL_SERIES)


def test_spectral_bounds_contain_every_spectrum_and_are_tight(rng):
    params = SDModelParams()
    bounds = spectral_bounds(params)
    spectra = EDSolver(params).spectrum(np.stack([random_spins(12, rng), ferromagnet(12)]))
    assert spectra.min() > bounds.lower and spectra.max() < bounds.upper
    # Weyl's bound is reached by a ferromagnet up to the padding and the 12 x 12 k-grid.
    assert spectra.max() - spectra.min() > 0.95 * (bounds.upper - bounds.lower)
    assert 2 * bounds.half_width < 0.6 * 2 * params.spectral_bound()
    with pytest.raises(ValueError, match="upper > lower"):
        SpectralBounds(1.0, 1.0)
