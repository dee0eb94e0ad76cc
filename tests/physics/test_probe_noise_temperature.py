"""The probe noise of fresh-probe KPM as a Langevin bath: its variance, its temperature
T_noise = (1 + alpha^2) sigma^2 dt / (2 alpha), and ``--total-temperature``."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from tests.reliability.faults import run_cli
from torquenet import FieldResult, KPMParams, KPMSolver, SDModelParams
from torquenet.data import read_trajectory
from torquenet.dynamics import CounterNoise, LLGParams, probe_noise_temperature, run_llg
from torquenet.runs import SimulationConfig, simulate
from torquenet.solvers import SolverConfig, SupercellSolver, fresh_probe_kpm, probe_field_noise
from torquenet.textures import random_spins

pytestmark = pytest.mark.usefixtures("single_thread")

NOISY = KPMParams(num_moments=60, probing_distance=2, compile=False, fresh_probes=True)


class RandomFieldError:
    """Independent spins in h z plus an isotropic Gaussian field error of variance sigma^2 per
    component, redrawn at every step and held for both SIB stages (as fresh probes are)."""

    provides_energy = False
    params = None

    def __init__(self, h: float, sigma: float, shape: tuple[int, ...]) -> None:
        self.h, self.sigma, self.shape = h, sigma, shape
        self.error = np.zeros(shape)

    def begin_step(self, step: int) -> None:
        if self.sigma:
            self.error = self.sigma * np.random.default_rng([7, step]).standard_normal(self.shape)

    def compute(self, spins):
        fields = self.error.copy()
        fields[..., 2] += self.h
        return FieldResult(fields=fields, grand_potential=None)


def stationary_sz(solver: RandomFieldError, params: LLGParams, steps=2500, burn_in=500):
    spins = np.zeros(solver.shape)
    spins[..., 2] = 1.0
    samples = []

    def observe(step, s, result):
        if step >= burn_in:
            samples.append(s[..., 2].mean())

    run_llg(
        spins,
        solver,
        params,
        CounterNoise(1),
        steps,
        observer=observe,
        before_step=solver.begin_step,
    )
    a = np.array(samples)
    blocks = a[: len(a) // 50 * 50].reshape(-1, 50).mean(axis=1)  # > correlation time 1/(alpha h)
    return a.mean(), blocks.std(ddof=1) / np.sqrt(len(blocks))


def langevin_function(x: float) -> float:
    return 1.0 / np.tanh(x) - 1.0 / x


def test_a_random_field_error_is_a_bath_at_t_noise_including_the_damping_term():
    """<S_z> of spins in a field h with a step-wise random field error equals the classical
    Langevin result coth(h / T) - T / h at T = T_noise; without the (1 + alpha^2) of the
    damping term's share the predicted temperature would be 25% lower, <S_z> 0.08 higher."""
    alpha, dt, h, shape = 0.5, 0.05, 1.0, (32, 32, 3)
    params = LLGParams(time_step=dt, damping=alpha, external_field=(0.0, 0.0, 0.0))
    variance = 8.0  # T_noise = 0.5 = h / 2
    t_noise = probe_noise_temperature(variance, params)
    assert t_noise == pytest.approx(0.5)
    sz, error = stationary_sz(RandomFieldError(h, np.sqrt(variance), shape), params)
    expected = langevin_function(h / t_noise)
    # the SIB equilibrium carries an O(dt) bias of ~0.5% here, measured for the Langevin bath
    assert abs(sz - expected) < 4 * error + 0.006, (sz, error, expected)
    without_damping_share = langevin_function(h * (1 + alpha**2) / t_noise)
    assert sz < without_damping_share - 0.05
    bath, bath_error = stationary_sz(
        RandomFieldError(h, 0.0, shape), replace(params, temperature=t_noise)
    )
    assert abs(sz - bath) < 4 * np.hypot(error, bath_error) + 0.006


def test_t_noise_needs_damping_and_a_valid_variance():
    with pytest.raises(ValueError, match="alpha = 0"):
        probe_noise_temperature(0.1, LLGParams(damping=0.0))
    with pytest.raises(ValueError, match="field_variance"):
        probe_noise_temperature(-1.0, LLGParams())


def test_probe_field_noise_falls_with_the_probing_distance_and_vanishes_when_exact():
    spins = random_spins(12, np.random.default_rng(4))
    variances = []
    for d in (2, 3, 4, 6, 12):
        solver = KPMSolver(SDModelParams(), replace(NOISY, probing_distance=d))
        variances.append(probe_field_noise(solver, spins, num_draws=4).variance)
    assert all(a > b for a, b in zip(variances[:-2], variances[1:-1], strict=True))
    assert variances[-1] < 1e-25  # d = L: every site its own colour, no randomness left
    again = probe_field_noise(
        KPMSolver(SDModelParams(), replace(NOISY, probing_distance=2)), spins, num_draws=12
    )
    assert again.variance == pytest.approx(variances[0], rel=0.25)  # the estimator, not n


def test_probe_field_noise_refuses_fixed_probes():
    with pytest.raises(ValueError, match="fresh_probes=True"):
        probe_field_noise(
            KPMSolver(SDModelParams(), replace(NOISY, fresh_probes=False)),
            random_spins(6, np.random.default_rng(0)),
        )


CONFIG = SimulationConfig(
    L=6,
    num_steps=6,
    save_every=2,
    checkpoint_every=2,
    seed=2,
    llg=LLGParams(temperature=0.05),
    solver=SolverConfig(kind="kpm", kpm=NOISY),
)


def test_total_temperature_runs_the_thermostat_at_t_minus_t_noise(tmp_path):
    plain = read_trajectory(simulate(CONFIG, tmp_path / "plain.h5"))
    t_noise = float(plain.attributes["probe_noise_temperature"])
    assert 0 < t_noise < CONFIG.llg.temperature
    total = replace(CONFIG, temperature_includes_probe_noise=True)
    run = read_trajectory(simulate(total, tmp_path / "total.h5"))
    bath = replace(CONFIG, llg=replace(CONFIG.llg, temperature=CONFIG.llg.temperature - t_noise))
    same = read_trajectory(simulate(bath, tmp_path / "bath.h5"))
    assert float(run.attributes["probe_noise_temperature"]) == t_noise
    assert np.array_equal(run.spins, same.spins)
    assert not np.array_equal(run.spins[-1], plain.spins[-1])


def test_a_total_temperature_below_t_noise_is_refused_naming_both(tmp_path):
    args = ["simulate", "--L", "6", "--steps", "2", "--solver", "kpm", "--num-moments", "60"]
    args += ["--probing-distance", "2", "--no-compile", "--fresh-probes", "--total-temperature"]
    outcome = run_cli([*args, "--temperature", "1e-5", "--out", tmp_path / "r.h5"])
    assert outcome.kind == "named-error"
    assert "T = 1e-05 is below" in outcome.stderr and "T_noise = " in outcome.stderr
    assert not (tmp_path / "r.h5").exists() and not (tmp_path / "r.h5.partial").exists()
    outcome = run_cli(
        ["simulate", "--L", "6", "--steps", "2", "--total-temperature", "--out", tmp_path / "e.h5"]
    )
    assert outcome.kind == "named-error"
    assert "needs the KPM solver with fresh probes" in outcome.stderr


def test_a_supercell_of_fresh_probe_kpm_records_the_noise_of_the_cell(tmp_path):
    """The frontier's KPM contenders see the twisted system as a supercell: their runs must
    carry T_noise like plain fresh-probe runs, measured on the cell's fields."""
    tiled = SupercellSolver(KPMSolver(SDModelParams(), NOISY), 2)
    run = read_trajectory(simulate(CONFIG, tmp_path / "tiled.h5", solver=tiled))
    start = run.spins[0]
    measured = probe_field_noise(tiled, start).variance
    assert measured > 0
    t_noise = float(run.attributes["probe_noise_temperature"])
    assert t_noise == pytest.approx(probe_noise_temperature(measured, CONFIG.llg), rel=1e-12)
    assert fresh_probe_kpm(tiled) is tiled.inner
    fixed = SupercellSolver(KPMSolver(SDModelParams(), replace(NOISY, fresh_probes=False)), 2)
    assert fresh_probe_kpm(fixed) is None
    assert (
        "probe_noise_temperature"
        not in read_trajectory(simulate(CONFIG, tmp_path / "fixed.h5", solver=fixed)).attributes
    )
