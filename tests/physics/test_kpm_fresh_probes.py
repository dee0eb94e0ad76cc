"""Stochastic KPM-Langevin: fresh probe phases every LLG step.

Fresh probes make the estimated field unbiased (the mean over draws converges to the M-moment
field as 1/sqrt(n), while repeating fixed probes repeats their error), and the runs they drive
are reproducible and resume bit for bit.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from tests.reliability.faults import interrupted_simulate, run_cli
from torquenet import KPMParams, KPMSolver, SDModelParams
from torquenet.data import read_trajectory
from torquenet.dynamics import LLGParams
from torquenet.observables import perpendicular_part
from torquenet.runs import SimulationConfig, simulate
from torquenet.solvers import SolverConfig
from torquenet.textures import random_spins

pytestmark = pytest.mark.usefixtures("single_thread")

#: A cheap, very noisy colouring (d = 2 on 6 x 6: 8 probe vectors) and its exact counterpart
#: (d = 6 = L: every site its own colour) with the same Chebyshev series.
NOISY = KPMParams(num_moments=60, probing_distance=2, compile=False, fresh_probes=True)
EXACT = replace(NOISY, probing_distance=6, fresh_probes=False)


def _torque_error(fields, reference, spins) -> float:
    a, b = perpendicular_part(fields, spins), perpendicular_part(reference, spins)
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def test_the_mean_over_fresh_draws_converges_to_the_moment_field_as_one_over_sqrt_n():
    spins = random_spins(6, np.random.default_rng(3))
    reference = KPMSolver(SDModelParams(), EXACT).compute(spins).fields
    fresh = KPMSolver(SDModelParams(), NOISY)
    draws = []
    for step in range(64):
        fresh.begin_step(0, step)
        draws.append(fresh.compute(spins).fields)
    counts = np.array([1, 4, 16, 64])
    errors = [_torque_error(np.mean(draws[:n], axis=0), reference, spins) for n in counts]
    slope = np.polyfit(np.log(counts), np.log(errors), 1)[0]
    assert -0.65 < slope < -0.35, (errors, slope)
    # fixed probes repeat the same draw: averaging their calls removes nothing
    fixed = KPMSolver(SDModelParams(), replace(NOISY, fresh_probes=False))
    repeated = np.mean([fixed.compute(spins).fields for _ in range(4)], axis=0)
    assert _torque_error(repeated, reference, spins) > 4 * errors[-1]


def test_begin_step_changes_only_fresh_probes_and_is_keyed_by_stream_and_step():
    spins = random_spins(6, np.random.default_rng(0))
    fresh = KPMSolver(SDModelParams(), NOISY)
    fresh.begin_step(3, 7)
    a = fresh.compute(spins).fields
    fresh.begin_step(3, 8)
    b = fresh.compute(spins).fields
    fresh.begin_step(3, 7)
    assert np.array_equal(fresh.compute(spins).fields, a) and not np.array_equal(a, b)
    fresh.begin_step(4, 7)
    assert not np.array_equal(fresh.compute(spins).fields, a)
    fixed = KPMSolver(SDModelParams(), replace(NOISY, fresh_probes=False))
    before = fixed.compute(spins).fields
    fixed.begin_step(3, 8)
    assert np.array_equal(fixed.compute(spins).fields, before)


CONFIG = SimulationConfig(
    L=6,
    num_steps=8,
    save_every=1,
    checkpoint_every=2,
    seed=5,
    llg=LLGParams(temperature=0.01),
    solver=SolverConfig(kind="kpm", kpm=NOISY),
)


def test_fresh_probe_runs_are_reproducible_and_differ_between_seeds(tmp_path):
    first = read_trajectory(simulate(CONFIG, tmp_path / "a.h5"))
    again = read_trajectory(simulate(CONFIG, tmp_path / "b.h5"))
    other = read_trajectory(simulate(replace(CONFIG, seed=6), tmp_path / "c.h5"))
    fixed = read_trajectory(
        simulate(
            replace(
                CONFIG, solver=SolverConfig(kind="kpm", kpm=replace(NOISY, fresh_probes=False))
            ),
            tmp_path / "d.h5",
        )
    )
    assert np.array_equal(first.spins, again.spins)
    assert np.array_equal(first.grand_potential, again.grand_potential)
    assert not np.array_equal(first.spins[-1], other.spins[-1])
    assert np.array_equal(first.spins[0], fixed.spins[0])  # same start, other probes
    assert not np.array_equal(first.spins[-1], fixed.spins[-1])


def test_a_killed_fresh_probe_run_resumes_bit_for_bit(tmp_path):
    args = ["simulate", "--L", "6", "--steps", "8", "--save-every", "1"]
    args += ["--checkpoint-every", "2", "--temperature", "0.01", "--seed", "5"]
    args += ["--solver", "kpm", "--num-moments", "60", "--probing-distance", "2"]
    args += ["--no-compile", "--fresh-probes"]
    reference = tmp_path / "ref.h5"
    assert run_cli([*args, "--out", reference]).kind == "ok"
    out = tmp_path / "r.h5"
    interrupted_simulate(args, out, stop_after=5)
    assert run_cli([*args, "--out", out]).kind == "ok"
    a, b = read_trajectory(reference), read_trajectory(out)
    assert np.array_equal(a.spins, b.spins) and np.array_equal(a.fields, b.fields)
