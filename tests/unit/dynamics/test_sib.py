"""Unit tests of the SIB kernel: exact rotation, single-spin analytics, order, norm, guard."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.integrate import solve_ivp

from torquenet._typing import FieldResult
from torquenet.dynamics import (
    IntegrationError,
    LLGParams,
    cayley_rotate,
    check_integrity,
    run_llg,
    sib_step,
)
from torquenet.model import SDModelParams

# Rounding of a few float64 operations on O(1) numbers.
ATOL_ROUNDING = 1e-14
# Acceptance: |S_i| = 1 to 1e-12 after 1e4 steps (no renormalisation anywhere in the scheme).
ATOL_NORM_AFTER_1E4_STEPS = 1e-12
# Acceptance: the global error of the deterministic scheme falls as dt^2, measured order 2 +- 0.2.
EXPECTED_ORDER = 2.0
ORDER_TOLERANCE = 0.2
TIME_STEPS = (0.2, 0.1, 0.05, 0.025)
# Damped relaxation at dt = 0.005 up to t = 20: the global error is dominated by the phase error
# h^3 dt^2 t / 12 = 4e-5 (h = 1); 1e-4 bounds it, a first-order or wrong-rate scheme exceeds it.
ATOL_DAMPED_RELAXATION = 1e-4


def constant_field(h: np.ndarray):
    def field_fn(spins):
        return np.broadcast_to(h, spins.shape)

    return field_fn


def anisotropic_field(spins):
    """H = K S_z z + h_x x (easy axis plus transverse field): nonlinear in S."""
    out = np.zeros_like(spins)
    out[..., 2] = 1.0 * spins[..., 2]
    out[..., 0] += 0.3
    return out


def ring_field(spins):
    """Nearest-neighbour ferromagnet on a ring of spins (N, 3) plus anisotropy and a field."""
    return (
        0.8 * (np.roll(spins, 1, axis=0) + np.roll(spins, -1, axis=0))
        + 0.5 * spins * np.array([0.0, 0.0, 1.0])
        + np.array([0.1, 0.0, 0.2])
    )


def damped_precession_exact(s0: np.ndarray, h: float, alpha: float, t: float) -> np.ndarray:
    """Analytic single spin in H = h z for dS/dt = S x H - alpha S x (S x H).

    cos(theta) = tanh(alpha h t + artanh(cos theta_0)), phi = phi_0 - h t (clockwise).
    """
    sz = np.tanh(alpha * h * t + np.arctanh(s0[2]))
    phi = np.arctan2(s0[1], s0[0]) - h * t
    st = np.sqrt(1.0 - sz**2)
    return np.array([st * np.cos(phi), st * np.sin(phi), sz])


def integrate(s0, field_fn, params, num_steps, rng=None):
    s = np.array(s0, dtype=np.float64)
    for _ in range(num_steps):
        s = sib_step(s, field_fn, params, rng)
    return s


def fitted_order(errors, steps=TIME_STEPS) -> float:
    slope, _ = np.polyfit(np.log(steps), np.log(errors), 1)
    return float(slope)


# ---------------------------------------------------------------- parameters


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"time_step": 0.0}, "time_step must be > 0"),
        ({"time_step": -0.1}, "time_step must be > 0"),
        ({"damping": -0.01}, "damping must be >= 0"),
        ({"temperature": -1.0}, "temperature must be >= 0"),
        ({"temperature": float("nan")}, "temperature must be finite"),
        ({"external_field": (0.0, 0.0)}, "external_field must be"),
        ({"external_field": (0.0, 0.0, float("inf"))}, r"external_field\[2\] must be finite"),
    ],
)
def test_llg_params_reject_bad_values_naming_them(kwargs, message):
    with pytest.raises(ValueError, match=message):
        LLGParams(**kwargs)


def test_llg_params_defaults_are_the_papers():
    p = LLGParams()
    assert (p.time_step, p.damping, p.temperature) == (0.1, 0.05, 0.0)
    assert p.external_field == (0.0, 0.0, 0.005)


def test_zeeman_energy_is_minus_field_dot_total_spin(rng):
    params = LLGParams(external_field=(0.1, -0.2, 0.3))
    spins = rng.standard_normal((2, 4, 4, 3))
    expected = -np.einsum("a,fija->f", np.array([0.1, -0.2, 0.3]), spins)
    assert np.allclose(params.zeeman_energy(spins), expected, rtol=1e-14, atol=0)
    assert params.zeeman_energy(np.broadcast_to([0.0, 0.0, 1.0], (4, 4, 3))) == pytest.approx(-4.8)


def test_noise_amplitude_is_fluctuation_dissipation_value():
    # <eta eta> = 2 alpha T delta(t - t')  ->  per-step std sqrt(2 alpha T / dt).
    p = LLGParams(time_step=0.05, damping=0.3, temperature=0.7)
    assert p.noise_amplitude == pytest.approx(np.sqrt(2 * 0.3 * 0.7 / 0.05), rel=1e-15)


# ---------------------------------------------------------------- Cayley rotation


def test_cayley_rotation_solves_the_implicit_midpoint_equation_and_keeps_norm(rng):
    s = rng.standard_normal((50, 3))
    s /= np.linalg.norm(s, axis=-1, keepdims=True)
    a = 0.7 * rng.standard_normal((50, 3))
    s_new = cayley_rotate(s, a)
    residual = s_new - s - np.cross(s + s_new, a)
    assert_allclose(residual, 0.0, rtol=0, atol=ATOL_ROUNDING * 10)
    assert_allclose(np.linalg.norm(s_new, axis=-1), 1.0, rtol=0, atol=ATOL_ROUNDING)


def test_cayley_rotation_angle_and_sense():
    # A rotation about -a by 2 arctan|a|: x -> (cos, -sin, 0) for a along +z.
    a = 0.4
    s_new = cayley_rotate(np.array([1.0, 0.0, 0.0]), np.array([0.0, 0.0, a]))
    angle = 2 * np.arctan(a)
    assert_allclose(s_new, [np.cos(angle), -np.sin(angle), 0.0], rtol=0, atol=ATOL_ROUNDING)


# ---------------------------------------------------------------- single spin, analytic


# The scheme turns S about H by 2 arctan(h dt / 2) per step: relative frequency error
# (h dt)^2 / 12 = 4e-6 for h dt = 0.007, so 1e-5 is a bound that a wrong rate would break.
RTOL_FREQUENCY = 1e-5


@pytest.mark.parametrize("alpha", [0.0, 0.5])
def test_precession_frequency_and_sense_match_analytic_solution(alpha):
    """S turns clockwise about H (d phi / dt = -h) at exactly |H| for any alpha.

    With a 1/(1 + alpha^2) prefactor the rate at alpha = 0.5 would be 0.8 h; with the opposite
    precession sense d phi / dt = +h.
    """
    h, dt, num_steps = 0.7, 0.01, 3000
    s = np.array([np.sin(1.0), 0.0, np.cos(1.0)])
    params = LLGParams(time_step=dt, damping=alpha)
    field_fn = constant_field(np.array([0.0, 0.0, h]))
    phases = [0.0]
    for _ in range(num_steps):
        s = sib_step(s, field_fn, params, None)
        phases.append(np.arctan2(s[1], s[0]))
    phases = np.unwrap(phases)
    rate = np.polyfit(dt * np.arange(num_steps + 1), phases, 1)[0]
    assert rate == pytest.approx(-h, rel=RTOL_FREQUENCY)


def test_one_step_turns_clockwise_by_cayley_angle():
    h, dt = 1.3, 0.1
    s = sib_step(
        np.array([1.0, 0.0, 0.0]),
        constant_field(np.array([0.0, 0.0, h])),
        LLGParams(time_step=dt, damping=0.0),
        None,
    )
    assert np.arctan2(s[1], s[0]) == pytest.approx(-2 * np.arctan(h * dt / 2), rel=1e-14)


@pytest.mark.parametrize("alpha", [0.05, 0.5])
def test_damped_relaxation_matches_analytic_solution(alpha):
    h, dt, t_end = 1.0, 0.005, 20.0
    s0 = np.array([np.sin(2.5), 0.0, np.cos(2.5)])  # starts almost antiparallel to H
    params = LLGParams(time_step=dt, damping=alpha)
    field_fn = constant_field(np.array([0.0, 0.0, h]))
    s = s0
    worst = 0.0
    for n in range(1, round(t_end / dt) + 1):
        s = sib_step(s, field_fn, params, None)
        if n % 400 == 0:
            worst = max(worst, np.abs(s - damped_precession_exact(s0, h, alpha, n * dt)).max())
    assert worst < ATOL_DAMPED_RELAXATION
    # and damping pulls S to H: from S_z ~ -0.8 to S_z = tanh(alpha h t + artanh(S_z0))
    assert s[2] > s0[2]


# ---------------------------------------------------------------- convergence order


@pytest.mark.parametrize("alpha", [0.0, 0.5])
def test_global_error_is_second_order_against_analytic_solution(alpha):
    h, t_end = 1.0, 10.0
    s0 = np.array([np.sin(2.0), 0.0, np.cos(2.0)])
    exact = damped_precession_exact(s0, h, alpha, t_end)
    errors = [
        np.linalg.norm(
            integrate(
                s0,
                constant_field(np.array([0.0, 0.0, h])),
                LLGParams(time_step=dt, damping=alpha),
                round(t_end / dt),
            )
            - exact
        )
        for dt in TIME_STEPS
    ]
    assert abs(fitted_order(errors) - EXPECTED_ORDER) <= ORDER_TOLERANCE


def test_global_error_is_second_order_for_a_field_depending_on_the_spins():
    """The midpoint field evaluation matters here (anisotropy + exchange on a ring)."""
    alpha, t_end = 0.3, 5.0
    rng = np.random.default_rng(7)
    s0 = rng.standard_normal((6, 3))
    s0 /= np.linalg.norm(s0, axis=-1, keepdims=True)

    def rhs(_t, y):
        s = y.reshape(-1, 3)
        h = ring_field(s)
        return (np.cross(s, h) - alpha * np.cross(s, np.cross(s, h))).ravel()

    reference = solve_ivp(rhs, (0, t_end), s0.ravel(), method="DOP853", rtol=1e-12, atol=1e-12).y[
        :, -1
    ]
    errors = [
        np.linalg.norm(
            integrate(
                s0, ring_field, LLGParams(time_step=dt, damping=alpha), round(t_end / dt)
            ).ravel()
            - reference
        )
        for dt in TIME_STEPS
    ]
    assert abs(fitted_order(errors) - EXPECTED_ORDER) <= ORDER_TOLERANCE


# ---------------------------------------------------------------- spin length, noise, guard


def test_spin_length_is_kept_to_1e_12_after_1e4_noisy_nonlinear_steps(rng):
    s = rng.standard_normal((64, 3))
    s /= np.linalg.norm(s, axis=-1, keepdims=True)
    params = LLGParams(time_step=0.1, damping=0.1, temperature=0.5)
    for _ in range(10_000):
        s = sib_step(s, ring_field, params, rng)
    assert np.abs(np.linalg.norm(s, axis=-1) - 1.0).max() <= ATOL_NORM_AFTER_1E4_STEPS


def test_zero_temperature_does_not_touch_the_rng(rng):
    before = rng.bit_generator.state
    sib_step(np.array([[1.0, 0, 0]]), anisotropic_field, LLGParams(), rng)
    assert rng.bit_generator.state == before


def test_noise_is_one_gaussian_draw_per_step_shared_by_predictor_and_corrector():
    """With H = 0 and alpha irrelevant to A's noise part, one step is exactly the Cayley rotation
    by (dt/2) eta with eta = sqrt(2 alpha T / dt) xi, and xi is the step's only draw."""
    params = LLGParams(time_step=0.1, damping=0.2, temperature=0.3)
    s0 = np.tile([0.0, 0.0, 1.0], (5, 1))
    s1 = sib_step(s0, constant_field(np.zeros(3)), params, np.random.default_rng(11))
    xi = np.random.default_rng(11).standard_normal(s0.shape)
    expected = cayley_rotate(s0, 0.5 * params.time_step * params.noise_amplitude * xi)
    assert_allclose(s1, expected, rtol=0, atol=ATOL_ROUNDING)


def test_positive_temperature_without_rng_is_an_error():
    with pytest.raises(ValueError, match="needs an rng"):
        sib_step(np.array([1.0, 0, 0]), anisotropic_field, LLGParams(temperature=0.1), None)


def test_integrity_check_flags_nan_and_length_drift():
    s = np.tile([0.0, 0.0, 1.0], (3, 3, 1))
    check_integrity(s)
    bad = s.copy()
    bad[1, 2, 0] = np.nan
    with pytest.raises(IntegrationError, match=r"NaN or inf \(first at site \(1, 2\)\)"):
        check_integrity(bad)
    long = s.copy()
    long[2, 0] *= 1 + 1e-6
    with pytest.raises(IntegrationError, match=r"at site \(2, 0\)"):
        check_integrity(long)


class ToySolver:
    """FieldSolver with an easy-axis field; returns NaN from evaluation number ``fail_at``."""

    provides_energy = False

    def __init__(self, fail_at: int | None = None):
        self.params = SDModelParams()
        self.calls = 0
        self.fail_at = fail_at

    def compute(self, spins):
        self.calls += 1
        fields = 0.5 * spins * np.array([0.0, 0.0, 1.0])
        if self.fail_at is not None and self.calls >= self.fail_at:
            fields = fields * np.nan
        return FieldResult(fields=fields)


def test_run_llg_names_the_step_that_blew_up(rng):
    spins = rng.standard_normal((3, 3, 3))
    spins /= np.linalg.norm(spins, axis=-1, keepdims=True)
    # two evaluations per step: evaluation 7 is the predictor of step 3 -> 4
    with pytest.raises(IntegrationError, match=r"step 3 -> 4 \(t = 0.3 -> 0.4\)"):
        run_llg(spins, ToySolver(fail_at=7), LLGParams(), None, 10)


def test_run_llg_equals_repeated_sib_steps_with_external_field_added(rng):
    spins = rng.standard_normal((3, 3, 3))
    spins /= np.linalg.norm(spins, axis=-1, keepdims=True)
    solver = ToySolver()
    params = LLGParams(temperature=0.2, external_field=(0.0, 0.0, 0.1))
    seen = []
    out = run_llg(
        spins,
        solver,
        params,
        np.random.default_rng(5),
        4,
        observer=lambda n, s, r: seen.append((n, s, r.fields)),
    )

    def field_fn(s):
        return 0.5 * s * np.array([0.0, 0.0, 1.0]) + np.array([0.0, 0.0, 0.1])

    expected = integrate(spins, field_fn, params, 4, np.random.default_rng(5))
    assert np.array_equal(out, expected)
    assert [n for n, _, _ in seen] == [0, 1, 2, 3, 4]
    assert np.array_equal(seen[-1][1], out)
    assert_allclose(seen[-1][2], 0.5 * out * np.array([0.0, 0.0, 1.0]), rtol=0, atol=0)


def test_run_llg_restarted_from_an_observed_state_reproduces_the_bits(rng):
    spins = rng.standard_normal((4, 4, 3))
    spins /= np.linalg.norm(spins, axis=-1, keepdims=True)
    params = LLGParams(temperature=0.3, damping=0.2)
    noise = np.random.default_rng(99)
    saved = {}

    def observer(n, s, _r):
        if n == 6:
            saved.update(spins=s, state=noise.bit_generator.state)

    full = run_llg(spins, ToySolver(), params, noise, 12, observer=observer)
    resumed_rng = np.random.default_rng()
    resumed_rng.bit_generator.state = saved["state"]
    resumed = run_llg(saved["spins"], ToySolver(), params, resumed_rng, 12, start_step=6)
    assert np.array_equal(full, resumed)
