"""Ensemble generation: resumable, executor-independent, checksummed, split by run."""

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace

import numpy as np
import pytest
from numpy.testing import assert_allclose

from torquenet.config import load_config
from torquenet.data import (
    TrajectoryDataset,
    dataset_info,
    read_manifest,
    read_trajectory,
    resolve_config_path,
)
from torquenet.dynamics import LLGParams
from torquenet.model import SDModelParams
from torquenet.runs import GenerateConfig, generate
from torquenet.solvers import EDParams, EDSolver, SolverConfig

# Labels are the float64 perpendicular projection of the exact fields: rounding only.
ATOL_PERPENDICULAR = 1e-12
ATOL_EXACT = 1e-12


def _config(**changes) -> GenerateConfig:
    config = load_config(resolve_config_path("tiny", "data"), GenerateConfig)
    return dataclasses.replace(config, **changes)


def _checksums(directory):
    return {u.name: u.sha256 for u in read_manifest(directory).units}


@pytest.fixture(scope="module")
def tiny_dataset(tmp_path_factory):
    """The shipped tiny config (2 + 2 trajectories, L = 12, 50 steps), uninterrupted."""
    directory = tmp_path_factory.mktemp("tiny")
    generate(_config(), directory)
    return directory


def test_tiny_config_produces_complete_dataset(tiny_dataset):
    summary = dataset_info(tiny_dataset)
    assert summary["complete"] and summary["L"] == 12
    assert sum(v["trajectories"] for v in summary["splits"].values()) == 4
    assert all(v["frames"] == 6 * v["trajectories"] for v in summary["splits"].values())


def test_labels_are_perpendicular_hext_free_and_normalised_once(tiny_dataset):
    raw = TrajectoryDataset(tiny_dataset, "all", dtype=__import__("torch").float64, normalize=False)
    normalised = TrajectoryDataset(tiny_dataset, "all", dtype=__import__("torch").float64)
    spins, torques = raw.frame(7)
    assert np.abs(np.sum(spins * torques, axis=-1)).max() <= ATOL_PERPENDICULAR
    # H_ext-free: the stored labels are the perpendicular part of the bare electron field
    config = _config()
    fields = EDSolver(config.model, config.solver.ed).compute(spins).fields
    expected = fields - np.sum(fields * spins, axis=-1, keepdims=True) * spins
    assert_allclose(torques, expected, rtol=0, atol=ATOL_EXACT)
    item, item_raw = normalised[7], raw[7]
    scale = read_manifest(tiny_dataset).torque_scale
    assert_allclose(
        item["torques"].numpy() * scale, item_raw["torques"].numpy(), rtol=0, atol=ATOL_EXACT
    )
    # the stored scale is the mean training-label magnitude
    train = TrajectoryDataset(
        tiny_dataset, "train", normalize=False, dtype=__import__("torch").float64
    )
    mags = [np.linalg.norm(train.frame(i)[1], axis=-1).mean() for i in range(len(train))]
    assert_allclose(np.mean(mags), scale, rtol=1e-12, atol=0)


def test_splits_are_by_trajectory_stratified_and_reproducible(tiny_dataset):
    units = read_manifest(tiny_dataset).units
    train = {u.name for u in units if u.split == "train"}
    validation = {u.name for u in units if u.split == "validation"}
    assert not train & validation and len(train | validation) == 4
    for start in ("random", "skyrmion"):
        assert {u.split for u in units if u.start_type == start} == {"train", "validation"}
    assert [u.split for u in _config().units()] == [u.split for u in units]
    # frames of one trajectory never appear in two splits
    ds_train, ds_val = (
        TrajectoryDataset(tiny_dataset, "train"),
        TrajectoryDataset(tiny_dataset, "validation"),
    )
    assert {u.name for u in ds_train.units}.isdisjoint({u.name for u in ds_val.units})


def test_corrupted_file_is_detected_and_named(tiny_dataset, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(tiny_dataset, copy)
    victim = copy / "trajectories" / "random_001.h5"
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0xFF
    victim.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="random_001.h5.*corrupted or truncated"):
        TrajectoryDataset(copy, "all")
    victim.write_bytes(bytes(data[: len(data) // 3]))
    with pytest.raises(ValueError, match="random_001.h5.*corrupted or truncated"):
        generate(_config(), copy)  # resuming refuses to build on a damaged file


def test_a_non_finite_omega_in_an_unverified_file_is_a_named_error(tiny_dataset, tmp_path):
    import shutil

    import h5py

    copy = tmp_path / "copy"
    shutil.copytree(tiny_dataset, copy)
    with h5py.File(copy / "trajectories" / "random_001.h5", "r+") as handle:
        handle["grand_potential"][2] = np.nan
    dataset = TrajectoryDataset(copy, "all", verify=False)
    item = next(k for k, (u, f) in enumerate(dataset.index) if u == 1 and f == 2)
    assert dataset.units[1].name == "random_001"
    with pytest.raises(ValueError, match="corrupt dataset: frame 2 of .*random_001.h5.*NaN"):
        dataset[item]
    assert np.isfinite(dataset[item - 1]["grand_potential_per_site"])


def test_different_config_in_same_directory_is_refused(tiny_dataset):
    with pytest.raises(ValueError, match="different config"):
        generate(_config(seed=5), tiny_dataset)


@pytest.mark.slow  # ~20-30 s: starts a process pool and a Dask cluster
def test_process_pool_and_dask_give_identical_files(tmp_path):
    distributed = pytest.importorskip("distributed")
    config = _config(num_steps=20)
    generate(config, tmp_path / "inline")
    generate(config, tmp_path / "pool", workers=2)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        generate(config, tmp_path / "dask", scheduler=cluster.scheduler_address)
    reference = _checksums(tmp_path / "inline")
    assert _checksums(tmp_path / "pool") == reference
    assert _checksums(tmp_path / "dask") == reference


def test_killed_generation_resumes_to_identical_files(tmp_path, tiny_dataset):
    """SIGKILL the CLI in the middle of a trajectory, re-run, compare checksums."""
    out = tmp_path / "killed"
    cmd = [
        sys.executable,
        "-m",
        "torquenet",
        "--log-level",
        "WARNING",
        "generate",
        "--config",
        "tiny",
        "--out",
        str(out),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        # a checkpoint of an unfinished trajectory exists: we are inside a unit of work
        if list((out / "trajectories").glob("*.partial/checkpoint_*.h5")):
            break
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = sum(u.sha256 is not None for u in read_manifest(out).units)
    assert finished < 4, "the run must be killed midway for this test to mean anything"
    generate(_config(), out)
    assert _checksums(out) == _checksums(tiny_dataset)


def test_relabel_sampling_labels_the_frames_with_the_exact_solver(tmp_path):
    """relabel: plain-ED dynamics, every saved frame labelled by twist-averaged ED (same physics
    for both solvers, H_ext from the dynamics in the energies)."""
    config = _config(
        L=6,
        num_random=2,
        num_skyrmion=0,
        num_steps=8,
        save_every=4,
        sampling="relabel",
        solver=SolverConfig(kind="ed", ed=EDParams(num_twists=2)),
        dynamics_solver=SolverConfig(kind="ed", ed=EDParams(num_twists=1)),
        llg=LLGParams(temperature=0.01, external_field=(0.0, 0.02, 0.01)),
        model=SDModelParams(electron_temperature=0.1),
    )
    generate(config, tmp_path)
    manifest = read_manifest(tmp_path)
    assert manifest.physics() == config.model and manifest.llg() == config.llg
    assert manifest.label_solver() == config.solver
    run = read_trajectory(tmp_path / manifest.units[0].relative_path)
    exact = EDSolver(config.model, EDParams(num_twists=2)).compute(run.spins)
    assert_allclose(run.fields, exact.fields, rtol=0, atol=ATOL_EXACT)
    assert_allclose(run.grand_potential, exact.grand_potential, rtol=0, atol=ATOL_EXACT)
    zeeman = -run.spins.reshape(len(run.steps), -1, 3).sum(axis=1) @ np.array([0.0, 0.02, 0.01])
    assert_allclose(run.energy, exact.grand_potential + zeeman, rtol=0, atol=ATOL_EXACT)
    # the dynamics ran with the plain solver: its fields differ from the labels
    plain = EDSolver(config.model, EDParams(num_twists=1)).compute(run.spins[-1]).fields
    assert np.abs(plain - run.fields[-1]).max() > 1e-3


def test_ordered_starts_leave_the_other_trajectories_and_their_split_unchanged():
    base = _config(num_random=5, num_skyrmion=3)
    extended = replace(base, num_ordered=4)
    before = {u.name: u for u in base.units()}
    after = {u.name: u for u in extended.units()}
    assert all(after[name] == unit for name, unit in before.items())
    ordered = [u for u in extended.units() if u.start_type == "ordered"]
    assert [u.name for u in ordered] == [f"ordered_{k:03d}" for k in range(4)]
    assert {u.split for u in ordered} == {"train", "validation"}
    assert len({u.seed for u in extended.units()}) == len(extended.units())
    assert extended.simulation_config(ordered[0]).init == "ordered-perturbed"


def test_an_ordered_start_dataset_labels_its_frames_as_start_type_2(tmp_path):
    config = _config(
        num_random=0,
        num_skyrmion=0,
        num_ordered=2,
        num_steps=4,
        save_every=2,
        solver=SolverConfig(kind="ed", ed=EDParams(num_twists=1)),
    )
    generate(config, tmp_path)
    dataset = TrajectoryDataset(tmp_path, "all", normalize=False)
    assert len(dataset) == 6 and {dataset[k]["start_type"] for k in range(6)} == {2}
    with pytest.raises(ValueError, match="divisible by 12, got L = 6"):
        replace(config, L=6)


def test_manifest_accessors_read_the_layout_of_older_datasets(tiny_dataset, tmp_path):
    """Before the s-d parameters moved to the top of the config they sat in solver.model,
    H_ext among them; the typed accessors read both layouts to the same values."""
    current = read_manifest(tiny_dataset)
    legacy = json.loads((tiny_dataset / "manifest.json").read_text())
    del legacy["manifest_sha256"]  # older manifests carried no checksum of their own
    model = legacy["config"].pop("model")
    field = legacy["config"]["llg"].pop("external_field")
    legacy["config"]["solver"]["model"] = {**model, "external_field": [0.0, 0.0, 0.03]}
    assert field == [0.0, 0.0, 0.005]
    (tmp_path / "manifest.json").write_text(json.dumps(legacy))
    old = read_manifest(tmp_path)
    assert old.physics() == current.physics() == SDModelParams()
    assert old.label_solver() == current.label_solver()
    assert old.llg() == replace(current.llg(), external_field=(0.0, 0.0, 0.03))
    assert old.lattice_size == current.lattice_size == 12
    legacy["config"]["solver"]["model"]["hund"] = 2.0
    (tmp_path / "manifest.json").write_text(json.dumps(legacy))
    with pytest.raises(ValueError, match="unknown key.*hund"):
        read_manifest(tmp_path).physics()


def test_a_manifest_edited_or_damaged_after_writing_is_refused(tiny_dataset, tmp_path):
    """The manifest checksums its own content: a changed digit (here in the label scale, which
    every trained model would silently inherit) is a named error."""
    text = (tiny_dataset / "manifest.json").read_text()
    scale = json.loads(text)["torque_scale"]
    changed = text.replace(repr(scale), repr(scale * 1.01), 1)
    assert changed != text
    (tmp_path / "manifest.json").write_text(changed)
    with pytest.raises(ValueError, match="does not match its own SHA-256"):
        read_manifest(tmp_path)


def test_pool_workers_end_when_the_generate_process_is_killed(tmp_path):
    """A SIGKILLed generate cannot shut its pool down; its workers must not go on with queued
    units (they would race a rerun that resumes the same trajectories)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    script = tmp_path / "parent.py"
    script.write_text(
        "import concurrent.futures as cf, multiprocessing, os, sys, time\n"
        "from torquenet.runs._generate import exit_with_parent\n"
        "if __name__ == '__main__':\n"
        "    ctx = multiprocessing.get_context('spawn')\n"
        "    pool = cf.ProcessPoolExecutor(1, mp_context=ctx, initializer=exit_with_parent,\n"
        "                                  initargs=(os.getpid(),))\n"
        "    print(pool.submit(os.getpid).result(), flush=True)\n"
        "    pool.submit(time.sleep, 120)\n"
        "    time.sleep(120)\n"
    )
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    worker = int(parent.stdout.readline())
    os.kill(worker, 0)  # alive
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            os.kill(worker, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    os.kill(worker, signal.SIGKILL)
    raise AssertionError("the pool worker outlived its killed parent by 15 s")
