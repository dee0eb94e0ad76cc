"""Stochastic Landau-Lifshitz-Gilbert dynamics: the semi-implicit SIB scheme of Mentink et al.

Equation of motion (paper Eqs. 1-2 with gamma = 1, time in t0 = 1/(gamma J S), |S_i| = 1):

.. math::
    \\frac{d\\mathbf S_i}{dt} = \\mathbf S_i \\times (\\mathbf H_i + \\boldsymbol\\eta_i)
        - \\alpha\\, \\mathbf S_i \\times (\\mathbf S_i \\times \\mathbf H_i),
    \\qquad \\mathbf H_i = -\\partial E / \\partial \\mathbf S_i
        = \\mathbf H^{\\rm el}_i + \\mathbf H_{\\rm ext}

Conventions (also in README.md, "Dynamics conventions"):

* Precession sense of Eq. (2): T = S x H.  In a static field H = h z a spin turns *clockwise*
  seen from +z, d(phi)/dt = -h (the opposite sense to dS/dt = -S x H).
* Damping in Landau-Lifshitz form with coefficient alpha and **no 1/(1 + alpha^2) prefactor**: the
  precession frequency is exactly |H| for every alpha and the damping term alpha (H - S (S.H))
  pulls S towards H, so dE/dt = -alpha |S x H|^2 <= 0 without noise.
* Langevin noise enters as the fluctuating torque tau_i = S_i x eta_i of the paper (precession
  term only), read in the Stratonovich sense, with
  <eta_ia(t) eta_jb(t')> = 2 alpha T delta_ij delta_ab delta(t - t')   (k_B = 1, T in units of t1).
  Derivation: S x eta is rotational Brownian motion whose Fokker-Planck operator is
  D L^2 = D (Laplacian on the unit sphere) for <eta eta> = 2 D; the damping drift is
  -alpha grad_S E; precession is divergence-free on the sphere and conserves E.  The stationary
  current vanishes for P ~ exp(-alpha E / D), i.e. Boltzmann exp(-E/T) iff D = alpha T.  Over
  one step the noise field is therefore eta = sqrt(2 alpha T / dt) xi with xi ~ N(0, 1) per
  component, held fixed during the step (predictor and corrector use the same eta).

References
----------
J. H. Mentink et al., J. Phys.: Condens. Matter 22, 176001 (2010) (ref. [47] of the paper).
Cheng et al., Phys. Rev. Research 5, 033188 (2023), Eqs. (1)-(2), Sec. III C.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from torquenet._typing import FieldResult, FieldSolver
from torquenet._validation import check_float, check_int, check_spins
from torquenet.dynamics._noise import LangevinNoise, as_noise

#: Blow-up guard on | |S_i| - 1 |.  The Cayley update preserves |S| exactly in exact arithmetic;
#: float64 rounding adds ~1e-16 per step as a random walk, i.e. ~1e-12 after 1e8 steps.  A drift
#: of 1e-8 is therefore never rounding: it means corrupted state (or NaN/inf) and stops the run.
NORM_DRIFT_LIMIT = 1e-8

#: The corrector evaluates the field at the direction of the midpoint (S_n + S_pred) / 2, whose
#: length is cos(theta / 2) for a predictor that turns S by theta; it can only approach 0 when one
#: step turns a spin by ~pi, which no meaningful time step does.
MIDPOINT_NORM_FLOOR = 1e-6


#: The equation of motion and its conventions in one line (stored in every trajectory file).
LLG_EQUATION = (
    "dS_i/dt = S_i x (H_i + eta_i) - alpha S_i x (S_i x H_i), H_i = H_el_i + H_ext, gamma = 1, "
    "no 1/(1 + alpha^2) prefactor, torque T = S x H (clockwise precession about H), "
    "<eta_ia(t) eta_jb(t')> = 2 alpha T delta_ij delta_ab delta(t - t') (Stratonovich); "
    "SIB scheme of Mentink et al., J. Phys.: Condens. Matter 22, 176001 (2010)"
)


#: Largest rotation (radians) of a spin in one step that :func:`setting_problems` lets pass: the
#: precession |H| dt, the damping alpha |H| dt and the rms noise rotation sqrt(6 alpha T dt).  The
#: SIB scheme stays norm-preserving at any step, but its error is O((|H| dt)^3) per step: beyond a
#: radian the trajectory is no longer an approximation of the equation of motion.
MAX_STEP_ROTATION = 1.0


class IntegrationError(RuntimeError):
    """The integration produced NaN/inf or lost the spin length (the run must stop)."""


class FieldFunction(Protocol):
    """Effective field H_eff(S) = -dE/dS, same shape as the spins (..., 3)."""

    def __call__(self, spins: NDArray[np.float64]) -> NDArray[np.float64]: ...


class StepObserver(Protocol):
    """Called by :func:`run_llg` at every step n with S_n and the electron fields at S_n."""

    def __call__(self, step: int, spins: NDArray[np.float64], result: FieldResult) -> None: ...


@dataclass(frozen=True)
class LLGParams:
    """Parameters of the stochastic LLG equation (units: time t0, energy and T in t1).

    Parameters
    ----------
    time_step : float
        dt > 0 (the paper uses 0.1).
    damping : float
        alpha >= 0 (the paper uses 0.05), Landau-Lifshitz form without 1/(1 + alpha^2).
    temperature : float
        T >= 0 of the Langevin bath (k_B = 1).  By the fluctuation-dissipation theorem the noise
        variance is 2 alpha T, so T acts only together with damping (no noise at alpha = 0).
    external_field : tuple of 3 floats
        H_ext (units of t1), acting on the local spins only: H_eff = H_el + H_ext.  The default
        0.005 z is the paper's.  Field solvers never see it (the electrons do not couple to it).

    Examples
    --------
    >>> LLGParams().time_step, LLGParams().damping
    (0.1, 0.05)
    >>> LLGParams(time_step=0.1, damping=0.5, temperature=0.2).noise_amplitude
    1.4142135623730951
    """

    time_step: float = 0.1
    damping: float = 0.05
    temperature: float = 0.0
    external_field: tuple[float, float, float] = (0.0, 0.0, 0.005)

    def __post_init__(self) -> None:
        for name, value in (
            (
                "time_step",
                check_float("time_step", self.time_step, minimum=0.0, strict_minimum=True),
            ),
            ("damping", check_float("damping", self.damping, minimum=0.0)),
            ("temperature", check_float("temperature", self.temperature, minimum=0.0)),
        ):
            object.__setattr__(self, name, value)
        field = tuple(self.external_field)
        if len(field) != 3:
            raise ValueError(f"external_field must be (Hx, Hy, Hz), got {self.external_field!r}")
        object.__setattr__(
            self,
            "external_field",
            tuple(check_float(f"external_field[{n}]", h) for n, h in enumerate(field)),
        )

    @property
    def external_field_vector(self) -> NDArray[np.float64]:
        """H_ext as a float64 array of shape (3,)."""
        return np.asarray(self.external_field, dtype=np.float64)

    def zeeman_energy(self, spins: NDArray[np.float64]) -> NDArray[np.float64]:
        """-H_ext . sum_i S_i of textures (..., L, L, 3), shape (...)."""
        spins = np.asarray(spins, dtype=np.float64)
        total = spins.reshape(*spins.shape[:-3], -1, 3).sum(axis=-2)
        return -(total @ self.external_field_vector)

    @property
    def noise_amplitude(self) -> float:
        """Standard deviation sqrt(2 alpha T / dt) of each component of the step's noise field."""
        return float(np.sqrt(2.0 * self.damping * self.temperature / self.time_step))


# The kernel works on component-first copies (3, N) of the (..., 3) arrays: every operation
# then runs over contiguous planes, with few temporaries: a step at L = 96 takes ~0.45 ms instead
# of ~0.7 ms with the same formulas on strided (..., 3) slices (best of 600 steps, T = 0).


def _cross(a: NDArray[np.float64], b: NDArray[np.float64]) -> NDArray[np.float64]:
    """a x b for component-first arrays (3, N)."""
    out = np.empty(np.broadcast_shapes(a.shape, b.shape))
    np.multiply(a[1], b[2], out=out[0])
    out[0] -= a[2] * b[1]
    np.multiply(a[2], b[0], out=out[1])
    out[1] -= a[0] * b[2]
    np.multiply(a[0], b[1], out=out[2])
    out[2] -= a[1] * b[0]
    return out


def _dot(a: NDArray[np.float64], b: NDArray[np.float64]) -> NDArray[np.float64]:
    """a . b for component-first arrays (3, N), shape (N,)."""
    out = a[0] * b[0]
    out += a[1] * b[1]
    out += a[2] * b[2]
    return out


def _components_first(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """(..., 3) -> contiguous (3, N) with N = prod(...)."""
    return np.ascontiguousarray(np.asarray(x, dtype=np.float64).reshape(-1, 3).T)


def _components_last(x: NDArray[np.float64], shape: tuple[int, ...]) -> NDArray[np.float64]:
    """(3, N) -> contiguous array of ``shape`` (..., 3)."""
    return np.ascontiguousarray(x.T).reshape(shape)


def _cayley(spins: NDArray[np.float64], half_step: NDArray[np.float64]) -> NDArray[np.float64]:
    """:func:`cayley_rotate` for component-first arrays (3, N)."""
    a2 = _dot(half_step, half_step)
    out = _cross(spins, half_step)
    out *= 2.0
    out += (1.0 - a2) * spins
    out += (2.0 * _dot(half_step, spins)) * half_step
    out /= 1.0 + a2
    return out


def cayley_rotate(
    spins: NDArray[np.float64], half_step: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Solve S' - S = (S + S') x a in closed form: a rotation of S, so |S'| = |S| exactly.

    Parameters
    ----------
    spins : ndarray, shape (..., 3)
        S.
    half_step : ndarray, shape (..., 3)
        a = (dt / 2) A, where A is the "field" of dS/dt = S x A.

    Notes
    -----
    .. math::
        \\mathbf S' = \\frac{(1 - a^2)\\,\\mathbf S + 2\\,\\mathbf S \\times \\mathbf a
                     + 2\\,\\mathbf a (\\mathbf a \\cdot \\mathbf S)}{1 + a^2}

    the Cayley transform (1 + a x)^-1 (1 - a x) S: a rotation about -a by 2 arctan|a|.

    Examples
    --------
    >>> s = cayley_rotate(np.array([1.0, 0.0, 0.0]), np.array([0.0, 0.0, 0.3]))
    >>> bool(abs(np.linalg.norm(s) - 1) < 1e-15), bool(s[1] < 0)
    (True, True)
    """
    spins, half_step = np.broadcast_arrays(spins, half_step)
    return _components_last(
        _cayley(_components_first(spins), _components_first(half_step)), spins.shape
    )


def _half_step(
    spins: NDArray[np.float64],
    field: NDArray[np.float64],
    noise: NDArray[np.float64] | None,
    damping: float,
    dt: float,
) -> NDArray[np.float64]:
    """(dt/2) A with A = H + eta - alpha S x H, so S x A = S x (H + eta) - alpha S x (S x H).

    Component-first arrays (3, N).
    """
    out = _cross(spins, field)
    out *= -damping
    out += field
    if noise is not None:
        out += noise
    out *= 0.5 * dt
    return out


def sib_step(
    spins: NDArray[np.float64],
    field_fn: FieldFunction,
    params: LLGParams,
    rng: np.random.Generator | None,
    *,
    field: NDArray[np.float64] | None = None,
    normals: NDArray[np.float64] | None = None,
) -> NDArray[np.float64]:
    """One step of the semi-implicit SIB scheme (Mentink et al. 2010): S_n -> S_{n+1}.

    Parameters
    ----------
    spins : ndarray, shape (..., 3)
        S_n, unit vectors (a lattice (L, L, 3), a batch, or independent spins (N, 3)).
    field_fn : FieldFunction
        H_eff(S) including the external field; called once (at the corrector midpoint), or
        twice when ``field`` is not given.
    params : LLGParams
        dt, alpha, T.
    rng : np.random.Generator or None
        Source of the Langevin noise when ``normals`` is not given; only used (one
        standard_normal draw of spins.shape) when T > 0 and alpha > 0.
    field : ndarray, shape (..., 3), optional
        H_eff(S_n) when the caller already has it (the run loop evaluates it for the output).
    normals : ndarray, shape (..., 3), optional
        The step's unit normals xi (e.g. from a :class:`~torquenet.dynamics.LangevinNoise`)
        instead of a draw from ``rng``; the noise field is sqrt(2 alpha T / dt) xi.

    Returns
    -------
    ndarray, shape (..., 3)
        S_{n+1}; |S_{n+1}| = |S_n| up to rounding.

    Raises
    ------
    IntegrationError
        The predictor or the result contains NaN/inf, or the midpoint degenerates.

    Notes
    -----
    With a = (dt/2) A and the Cayley rotation of :func:`cayley_rotate`,

    .. math::
        \\tilde{\\mathbf S} = \\mathrm{cay}(\\mathbf S_n, \\tfrac{dt}{2}A(\\mathbf S_n)),\\quad
        \\mathbf m = \\tfrac12(\\mathbf S_n + \\tilde{\\mathbf S}),\\quad
        \\mathbf S_{n+1} = \\mathrm{cay}(\\mathbf S_n, \\tfrac{dt}{2}A(\\mathbf m))

    with A(S) = H(S) + eta - alpha S x H(S) and the same eta in both stages (Stratonovich
    limit), exactly as in Mentink et al.  The one interpretation: the field of a model of
    *unit* spins depends on their directions only, so H(m) is evaluated as H(m / |m|) (field
    solvers accept unit spins only; |m| = cos(theta/2) for a step that turns S by theta).  The
    damping term uses m itself.  Normalising m in the damping term as well is also second order
    but doubles the O(dt) bias of the Langevin equilibrium (measured: +7.7% instead of +3.9% in
    <S_z> at alpha = 1, T = h = 1, dt = 0.1).

    Examples
    --------
    >>> h = np.array([0.0, 0.0, 1.0])
    >>> s1 = sib_step(np.array([1.0, 0.0, 0.0]), lambda s: np.broadcast_to(h, s.shape),
    ...               LLGParams(time_step=0.01, damping=0.0), None)
    >>> bool(np.isclose(np.arctan2(s1[1], s1[0]), -0.01, rtol=1e-5))  # clockwise, rate |H|
    True
    """
    dt, alpha = params.time_step, params.damping
    noise = None
    if params.temperature > 0.0 and alpha > 0.0:
        if normals is None:
            if rng is None:
                raise ValueError(
                    "temperature > 0 needs an rng (np.random.Generator) or normals for the noise"
                )
            # drawn in the (..., 3) layout of the spins: xi[i, j, a] for site (i, j), component a
            normals = rng.standard_normal(np.shape(spins))
        elif np.shape(normals) != np.shape(spins):
            raise ValueError(
                f"normals must have the shape of the spins {np.shape(spins)}, got "
                f"{np.shape(normals)}"
            )
        noise = _components_first(params.noise_amplitude * np.asarray(normals))
    if field is None:
        field = field_fn(spins)
    shape = np.shape(spins)
    s = _components_first(spins)
    predictor = _cayley(s, _half_step(s, _components_first(field), noise, alpha, dt))
    if not np.isfinite(predictor).all():
        raise IntegrationError("the predictor contains NaN or inf (non-finite field at S_n?)")
    midpoint = predictor
    midpoint += s
    midpoint *= 0.5
    length = np.sqrt(_dot(midpoint, midpoint))
    if length.min() < MIDPOINT_NORM_FLOOR:
        raise IntegrationError("a spin turned by ~pi in one predictor step (time step too large)")
    corrector_field = _components_first(field_fn(_components_last(midpoint / length, shape)))
    new = _cayley(s, _half_step(midpoint, corrector_field, noise, alpha, dt))
    return _components_last(new, shape)


def check_integrity(spins: NDArray[np.float64]) -> None:
    """Raise :class:`IntegrationError` on NaN/inf or | |S| - 1 | > NORM_DRIFT_LIMIT."""
    if not np.isfinite(spins).all():
        bad = tuple(int(k) for k in np.argwhere(~np.isfinite(spins))[0][:-1])
        raise IntegrationError(f"spins contain NaN or inf (first at site {bad})")
    drift = np.abs(np.sqrt(np.einsum("...a,...a->...", spins, spins)) - 1.0)
    worst = float(drift.max())
    if worst > NORM_DRIFT_LIMIT:
        site = tuple(int(k) for k in np.unravel_index(np.argmax(drift), drift.shape))
        raise IntegrationError(f"| |S| - 1 | = {worst:.3g} > {NORM_DRIFT_LIMIT:g} at site {site}")


def setting_problems(params: LLGParams, field_scale: float) -> list[str]:
    """What is physically absurd about ``params`` for effective fields of magnitude <= field_scale.

    ``field_scale`` bounds |H_eff| (for the s-d model |H_el| <= |J|, the spin density of one site
    being at most 1, so |J| + |H_ext|).  Reported, each with the numbers and where the limit comes
    from: a step that turns a spin by more than :data:`MAX_STEP_ROTATION` by precession, damping
    or noise, and a Langevin temperature above the field scale (the thermal energy then exceeds
    the largest Zeeman-like energy -S.H any spin can have, so the run samples a paramagnet whose
    fields were computed for ordered electrons).  An empty list means nothing to report.

    Examples
    --------
    >>> setting_problems(LLGParams(), field_scale=1.005)
    []
    >>> len(setting_problems(LLGParams(time_step=1000.0), field_scale=1.005))
    1
    """
    problems = []
    dt, alpha, temperature = params.time_step, params.damping, params.temperature
    turn = dt * field_scale * float(np.hypot(1.0, alpha))  # precession and damping together
    if turn > MAX_STEP_ROTATION:
        problems.append(
            f"time step dt = {dt:g} turns a spin by up to {turn:.3g} rad per step in fields up to "
            f"|H| = {field_scale:g} (limit {MAX_STEP_ROTATION:g} rad: beyond it the SIB step no "
            f"longer approximates the LLG equation); use dt <= {MAX_STEP_ROTATION / turn * dt:.3g}"
        )
    noise = float(np.sqrt(6.0 * alpha * temperature * dt))
    if noise > MAX_STEP_ROTATION:
        problems.append(
            f"temperature T = {temperature:g} with alpha = {alpha:g}, dt = {dt:g} gives a random "
            f"rotation of {noise:.3g} rad rms per step (sqrt(6 alpha T dt); limit "
            f"{MAX_STEP_ROTATION:g} rad)"
        )
    if temperature > field_scale and alpha > 0.0:
        problems.append(
            f"temperature T = {temperature:g} is above the field scale |H| <= {field_scale:g} of "
            f"the model (|J| + |H_ext|): the spins are then a paramagnet far outside the regime "
            f"the electron fields describe"
        )
    return problems


def probe_noise_temperature(field_variance: float, params: LLGParams) -> float:
    """Langevin temperature equivalent to a random field error held for one step.

    A field error delta H, independent from step to step, with variance ``field_variance`` =
    sigma^2 per component perpendicular to the spin (fresh-probe KPM:
    :func:`torquenet.solvers.probe_field_noise`), enters the equation of motion of this module
    twice: in the precession S x delta H and in the damping alpha delta H_perp, two orthogonal
    displacements of the spin.  Over a step the spin is therefore kicked by
    dt sqrt(1 + alpha^2) |delta H_perp|, a random rotation of variance
    (1 + alpha^2) sigma^2 dt^2 per perpendicular direction.  The Langevin torque S x eta with
    eta = sqrt(2 alpha T / dt) xi (held for the step as well, same SIB stages) kicks by
    dt |eta_perp|, of variance 2 alpha T dt.  Equal variances give

    .. math::
        T_{\\rm noise} = \\frac{(1 + \\alpha^2)\\,\\sigma^2\\,dt}{2\\alpha},

    the temperature whose Langevin noise has the same short-time effect (it is a temperature in
    the fluctuation-dissipation sense only because the damping is alpha, unchanged).

    Raises
    ------
    ValueError
        A negative or non-finite variance, or alpha = 0 (noise without damping heats without
        bound: there is no equivalent temperature).

    Examples
    --------
    >>> probe_noise_temperature(0.01, LLGParams(time_step=0.1, damping=0.05))
    0.010025
    """
    variance = check_float("field_variance", field_variance, minimum=0.0)
    if params.damping == 0.0:
        raise ValueError(
            "a random field error has no equivalent temperature at damping alpha = 0 (nothing "
            "dissipates the energy it injects)"
        )
    alpha = params.damping
    return (1.0 + alpha**2) * variance * params.time_step / (2.0 * alpha)


def solver_field_function(
    solver: FieldSolver, external_field: Sequence[float] = (0.0, 0.0, 0.0)
) -> FieldFunction:
    """H_eff(S) = electron fields of ``solver`` + the external field H_ext."""
    external = np.asarray(external_field, dtype=np.float64)

    def field_fn(spins: NDArray[np.float64]) -> NDArray[np.float64]:
        return solver.compute(spins).fields + external

    return field_fn


def run_llg(
    spins: NDArray[np.float64],
    solver: FieldSolver,
    params: LLGParams,
    rng: np.random.Generator | LangevinNoise | None,
    num_steps: int,
    *,
    start_step: int = 0,
    observer: StepObserver | None = None,
    before_step: Callable[[int], None] | None = None,
) -> NDArray[np.float64]:
    """Integrate from step ``start_step`` (state ``spins``) to step ``num_steps``.

    Parameters
    ----------
    spins : ndarray, shape (L, L, 3)
        S at ``start_step`` (or a slab (rows, L, 3) of whole lattice rows, for a solver that
        evaluates one process's part of a domain-decomposed lattice).
    solver : FieldSolver
        Electron fields; H_eff = fields + params.external_field.
    params : LLGParams
    rng : numpy.random.Generator, LangevinNoise or None
        Langevin noise (needed when T > 0 and alpha > 0): a
        :class:`~torquenet.dynamics.CounterNoise` (normals a function of seed, step and site),
        or a Generator drawn once per step (:class:`~torquenet.dynamics.SequentialNoise`).
    num_steps : int
        Index of the last step (the run makes num_steps - start_step steps).
    start_step : int
    observer : StepObserver, optional
        Called as observer(n, S_n, FieldResult at S_n) for every n in [start_step, num_steps],
        *before* the noise of step n is drawn: saving (S_n, rng state) there is a consistent
        checkpoint.  The field evaluation it receives is the predictor's, so observing is free
        except at n = num_steps (one extra evaluation).
    before_step : callable, optional
        Called as before_step(n) before the first field evaluation of step n (and before the
        final one at n = num_steps), e.g. to give a stochastic solver the probes of step n
        (``KPMSolver.begin_step``): both SIB stages of a step then see the same solver state,
        and a run resumed at step n repeats it exactly.

    Returns
    -------
    ndarray, shape (L, L, 3)
        S at ``num_steps``.

    Raises
    ------
    ValueError
        ``spins`` is not an (L, L, 3) array of unit vectors.
    IntegrationError
        NaN/inf or |S| drift; the message names the step whose update failed.

    Examples
    --------
    >>> from torquenet.solvers import EDSolver
    >>> from torquenet.textures import random_spins
    >>> s = run_llg(random_spins(6, np.random.default_rng(0)), EDSolver(), LLGParams(), None, 2)
    >>> s.shape
    (6, 6, 3)
    """
    num_steps = check_int("num_steps", num_steps, minimum=0)
    start_step = check_int("start_step", start_step, minimum=0, maximum=num_steps)
    spins = check_spins(spins, square=False)
    noise = as_noise(rng)
    thermal = params.temperature > 0.0 and params.damping > 0.0
    if thermal and noise is None:
        raise ValueError("temperature > 0 needs a noise source (rng) for the Langevin noise")
    external = params.external_field_vector
    field_fn = solver_field_function(solver, params.external_field)
    for step in range(start_step, num_steps + 1):
        if observer is None and step == num_steps:
            break
        if before_step is not None:
            before_step(step)
        result = solver.compute(spins)
        if observer is not None:
            observer(step, spins, result)
        if step == num_steps:
            break
        try:
            normals = noise.normals(step, spins.shape) if thermal else None
            spins = sib_step(
                spins, field_fn, params, None, field=result.fields + external, normals=normals
            )
            check_integrity(spins)
        except IntegrationError as exc:
            raise IntegrationError(
                f"LLG integration blew up in step {step} -> {step + 1} "
                f"(t = {step * params.time_step:g} -> {(step + 1) * params.time_step:g}): {exc}"
            ) from exc
    return spins
