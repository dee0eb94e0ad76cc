"""Ensemble generation (issue 5): resumable, executor-independent, checksummed, split by run."""

import dataclasses
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from numpy.testing import assert_allclose

from torquenet.config import load_config
from torquenet.data.builtin_configs import resolve_config_path
from torquenet.data.dataset import TrajectoryDataset
from torquenet.data.generate import GenerateConfig, generate, summarize
from torquenet.data.manifest import read_manifest
from torquenet.solvers import EDSolver

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
    summary = summarize(tiny_dataset)
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
    fields = EDSolver(config.solver.model, config.solver.ed).compute(spins).fields
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


def test_different_config_in_same_directory_is_refused(tiny_dataset):
    with pytest.raises(ValueError, match="different config"):
        generate(_config(seed=5), tiny_dataset)


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
