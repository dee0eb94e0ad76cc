"""simulate(): trajectory contents, exact resume after crashes/interrupts, blow-up, bad input."""

from __future__ import annotations

import importlib
import json
from dataclasses import replace

import numpy as np
import pytest
import torch

from tests.helpers import assert_same_trajectory
from torquenet.config import from_mapping
from torquenet.data import read_trajectory, write_trajectory
from torquenet.dynamics import IntegrationError, LLGParams
from torquenet.observables import magnetization, topological_charge
from torquenet.runs import (
    SimulationConfig,
    build_solver,
    read_unfinished,
    simulate,
    work_directory,
)
from torquenet.solvers import EDSolver
from torquenet.textures import random_spins

simulate_module = importlib.import_module("torquenet.runs._simulate")

# The energy column is computed from the same float64 numbers as the check below: only the order
# of a 3-term sum can differ.
ATOL_ENERGY = 1e-12

# L = 6, T > 0 (so the generator state matters), a frame interval that does not divide the
# number of steps, checkpoints every 10 steps.
CONFIG = SimulationConfig(
    L=6,
    init="random",
    num_steps=60,
    save_every=7,
    checkpoint_every=10,
    seed=11,
    llg=LLGParams(time_step=0.1, damping=0.1, temperature=0.05),
)


pytestmark = pytest.mark.usefixtures("single_thread")


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The uninterrupted run of CONFIG."""
    torch.set_num_threads(1)
    return read_trajectory(simulate(CONFIG, tmp_path_factory.mktemp("ref") / "run.h5"))


class FailingSolver:
    """Wraps the configured solver; raises ``error`` (or returns NaN) at evaluation ``fail_at``."""

    def __init__(self, inner, fail_at, error=None):
        self.inner, self.fail_at, self.error, self.calls = inner, fail_at, error, 0
        self.params, self.provides_energy = inner.params, inner.provides_energy

    def compute(self, spins):
        self.calls += 1
        result = self.inner.compute(spins)
        if self.calls >= self.fail_at:
            if self.error is not None:
                raise self.error
            return replace(result, fields=result.fields * np.nan)
        return result


def install_failing_solver(monkeypatch, fail_at, error=None):
    monkeypatch.setattr(
        simulate_module,
        "build_solver",
        lambda config, model: FailingSolver(build_solver(config, model), fail_at, error),
    )


# ---------------------------------------------------------------- contents


def test_trajectory_contents_are_consistent(reference):
    t = reference
    assert t.steps.tolist() == [0, 7, 14, 21, 28, 35, 42, 49, 56, 60]
    assert np.array_equal(t.times, t.steps * CONFIG.llg.time_step)
    assert t.spins.shape == (10, 6, 6, 3) and t.fields.shape == (10, 6, 6, 3)
    assert np.array_equal(t.topological_charge, topological_charge(t.spins))
    assert np.array_equal(t.magnetization, magnetization(t.spins))
    h_ext = np.asarray(CONFIG.llg.external_field)
    expected_energy = t.grand_potential - t.spins.reshape(10, -1, 3).sum(axis=1) @ h_ext
    assert np.abs(t.energy - expected_energy).max() <= ATOL_ENERGY
    # frame 0 is the seeded initial state, fields are the solver's (no H_ext)
    init_rng = np.random.default_rng(np.random.SeedSequence(CONFIG.seed).spawn(2)[0])
    assert np.array_equal(t.spins[0], random_spins(6, init_rng))
    result = EDSolver(CONFIG.model).compute(t.spins[3])
    assert np.array_equal(t.fields[3], result.fields)
    assert t.grand_potential[3] == result.grand_potential


def test_attributes_hold_all_parameters_and_versions(reference):
    attrs = reference.attributes
    assert from_mapping(SimulationConfig, json.loads(attrs["config"])) == CONFIG
    assert attrs["seed"] == CONFIG.seed
    assert "SeedSequence" in attrs["seed_derivation"]
    assert "no 1/(1 + alpha^2)" in attrs["llg_equation"]


def test_no_fields_option_and_same_trajectory(tmp_path, reference):
    t = read_trajectory(simulate(replace(CONFIG, save_fields=False), tmp_path / "r.h5"))
    assert t.fields is None
    assert np.array_equal(t.spins, reference.spins)


# ---------------------------------------------------------------- resume


# Evaluations: the predictor of step n is number 2n + 1, its corrector 2n + 2, and number 121 is
# the final frame at step 60.  1: before the first checkpoint; 2: right after it; 41: predictor
# at a checkpoint step; 80 and 121: late.
@pytest.mark.parametrize("fail_at", [1, 2, 23, 41, 80, 121])
def test_resume_after_a_crash_reproduces_the_uninterrupted_run(
    tmp_path, monkeypatch, reference, fail_at
):
    out = tmp_path / "run.h5"
    install_failing_solver(monkeypatch, fail_at, RuntimeError("simulated crash"))
    with pytest.raises(RuntimeError, match="simulated crash"):
        simulate(CONFIG, out)
    assert not out.exists()
    # a run that dies before its first checkpoint leaves nothing behind
    assert work_directory(out).exists() == (fail_at > 1)
    monkeypatch.undo()
    assert_same_trajectory(read_trajectory(simulate(CONFIG, out)), reference)
    assert not work_directory(out).exists()


def test_ctrl_c_saves_the_latest_state_and_resume_is_exact(tmp_path, monkeypatch, reference):
    out = tmp_path / "run.h5"
    install_failing_solver(monkeypatch, 36, KeyboardInterrupt())  # predictor of step 17
    with pytest.raises(KeyboardInterrupt):
        simulate(CONFIG, out)
    names = sorted(p.name for p in work_directory(out).iterdir())
    assert names[-1] == "checkpoint_000000000017.h5"  # newer than the interval checkpoint 10
    monkeypatch.undo()
    assert_same_trajectory(read_trajectory(simulate(CONFIG, out)), reference)


def test_crash_while_writing_the_output_never_leaves_a_partial_file(
    tmp_path, monkeypatch, reference
):
    out = tmp_path / "run.h5"

    def crash(path, trajectory):
        path.with_name(path.name + ".tmp").write_bytes(b"half written")
        raise OSError("disk full")

    files_module = importlib.import_module("torquenet.runs._trajectory_files")
    monkeypatch.setattr(files_module, "write_trajectory", crash)
    with pytest.raises(OSError, match="disk full"):
        simulate(CONFIG, out)
    assert not out.exists()
    monkeypatch.undo()
    assert_same_trajectory(read_trajectory(simulate(CONFIG, out)), reference)


def test_resume_with_other_parameters_is_refused(tmp_path, monkeypatch):
    out = tmp_path / "run.h5"
    install_failing_solver(monkeypatch, 30, RuntimeError("crash"))
    with pytest.raises(RuntimeError):
        simulate(CONFIG, out)
    monkeypatch.undo()
    other = replace(CONFIG, llg=replace(CONFIG.llg, damping=0.2))
    with pytest.raises(ValueError, match=r"different configuration \(llg.damping: 0.1 -> 0.2\)"):
        simulate(other, out)
    read_trajectory(simulate(other, out, overwrite=True))


def test_existing_output_is_not_overwritten_unless_asked(tmp_path, caplog):
    config = replace(CONFIG, num_steps=3)
    out = simulate(config, tmp_path / "run.h5")
    before = out.read_bytes()
    with caplog.at_level("INFO"):
        assert simulate(config, out) == out  # finished with this config: a no-op
    assert out.read_bytes() == before and "already finished" in caplog.text
    with pytest.raises(FileExistsError, match=r"different configuration \(seed: 11 -> 1\)"):
        simulate(replace(config, seed=1), out)
    simulate(replace(config, seed=1), out, overwrite=True)
    assert read_trajectory(out).attributes["seed"] == 1


# ---------------------------------------------------------------- blow-up


def test_blow_up_names_the_step_and_keeps_the_last_good_checkpoint(tmp_path, monkeypatch):
    out = tmp_path / "run.h5"
    install_failing_solver(monkeypatch, 47)  # NaN fields from the predictor of step 23
    with pytest.raises(IntegrationError, match=r"step 23 -> 24.*last good checkpoint \(step 20\)"):
        simulate(CONFIG, out)
    kept = sorted(p.name for p in work_directory(out).iterdir())
    assert kept[-1] == "checkpoint_000000000020.h5"
    assert not out.exists()


# ---------------------------------------------------------------- initial states


def test_initial_state_from_npy_and_from_a_trajectory(tmp_path, reference):
    npy = tmp_path / "init.npy"
    np.save(npy, reference.spins[-1])
    config = replace(CONFIG, num_steps=2, init=str(npy))
    a = read_trajectory(simulate(config, tmp_path / "a.h5"))
    assert np.array_equal(a.spins[0], reference.spins[-1])
    ref_path = tmp_path / "ref.h5"
    simulate(replace(CONFIG, num_steps=5), ref_path)
    b = read_trajectory(simulate(replace(config, init=str(ref_path)), tmp_path / "b.h5"))
    assert np.array_equal(b.spins[0], read_trajectory(ref_path).spins[-1])


def test_skyrmion_initial_states_need_l_divisible_by_12():
    with pytest.raises(ValueError, match="needs L divisible by 12.*got L = 18"):
        SimulationConfig(L=18, init="skl-perturbed")


@pytest.mark.parametrize(
    "init, error, message",
    [
        ("missing.npy", FileNotFoundError, "neither one of"),
        ("wrong_size.npy", ValueError, r"shape \(6, 6, 3\)"),
    ],
)
def test_bad_initial_state_files_are_clear_errors(tmp_path, rng, init, error, message):
    np.save(tmp_path / "wrong_size.npy", random_spins(5, rng))
    config = replace(CONFIG, num_steps=2, init=str(tmp_path / init))
    with pytest.raises(error, match=message):
        simulate(config, tmp_path / "run.h5")
    assert not work_directory(tmp_path / "run.h5").exists()


def test_config_from_yaml_mapping_rejects_unknown_keys():
    with pytest.raises(ValueError, match=r"unknown key\(s\) \['dt'\]"):
        from_mapping(SimulationConfig, {"llg": {"dt": 0.1}})
    config = from_mapping(SimulationConfig, {"L": 12, "llg": {"time_step": 0.05}})
    assert config.llg.time_step == 0.05


def test_a_solver_instance_replaces_the_configured_one_and_is_recorded(reference, tmp_path):
    solver = EDSolver(CONFIG.model)
    run = read_trajectory(simulate(CONFIG, tmp_path / "own.h5", solver=solver))
    assert_same_trajectory(run, reference)
    assert run.attributes["field_solver"] == repr(solver)
    assert "field_solver" not in reference.attributes
    other = EDSolver(replace(CONFIG.model, chemical_potential=-3.0))
    with pytest.raises(ValueError, match="must be the same s-d model"):
        simulate(CONFIG, tmp_path / "other.h5", solver=other)


def test_an_unfinished_run_can_be_read_so_far_without_disturbing_it(
    tmp_path, monkeypatch, reference
):
    out = tmp_path / "run.h5"
    with pytest.raises(FileNotFoundError, match="no unfinished run"):
        read_unfinished(out)
    install_failing_solver(monkeypatch, 50, RuntimeError("simulated crash"))  # step 24
    with pytest.raises(RuntimeError):
        simulate(CONFIG, out)
    before = sorted(p.name for p in work_directory(out).iterdir())
    so_far = read_unfinished(out)
    assert sorted(p.name for p in work_directory(out).iterdir()) == before  # untouched
    n = len(so_far.steps)
    assert so_far.steps.tolist() == [0, 7, 14] and n < len(reference.steps)  # checkpoint 20
    assert np.array_equal(so_far.spins, reference.spins[:n])
    assert "up to step 20 of 60" in so_far.attributes["unfinished"]
    snapshot = read_trajectory(write_trajectory(tmp_path / "so_far.h5", so_far))
    assert snapshot.attributes["config"] == reference.attributes["config"]
    monkeypatch.undo()
    assert_same_trajectory(read_trajectory(simulate(CONFIG, out)), reference)
    with pytest.raises(FileNotFoundError, match="is finished: read it with read_trajectory"):
        read_unfinished(out)
