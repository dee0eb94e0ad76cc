"""One writer per run: a second copy of a running job is refused, a killed one leaves no lock."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from torquenet.config import load_config
from torquenet.data import (
    RunInUseError,
    exclusive_run,
    lock_path,
    read_trajectory,
    resolve_config_path,
)
from torquenet.runs import (
    GenerateConfig,
    SimulationConfig,
    generate,
    simulate,
    simulate_domains,
    work_directory,
)
from torquenet.solvers import SolverConfig

CONFIG = SimulationConfig(L=6, num_steps=6, save_every=3, checkpoint_every=3)
CNN_CONFIG = dataclasses.replace(CONFIG, L=12, solver=SolverConfig(kind="cnn"))


def test_a_running_simulation_refuses_a_second_writer(tmp_path):
    out = tmp_path / "run.h5"
    with exclusive_run(out):  # a second open file description: flock conflicts like another process
        with pytest.raises(
            RunInUseError, match=rf"run\.h5 is being written by another process \(pid {os.getpid()}"
        ):
            simulate(CONFIG, out)
        with pytest.raises(RunInUseError, match="being written by another process"):
            simulate_domains(CNN_CONFIG, out)  # the torchrun path: process 0 takes the lock
    assert not out.exists() and not work_directory(out).exists()  # the refused runs wrote nothing
    simulate(CONFIG, out)  # the lock is gone with its block
    assert read_trajectory(out).steps.tolist() == [0, 3, 6]
    assert not lock_path(out).exists()


def test_a_failed_run_releases_its_lock(tmp_path):
    out = tmp_path / "run.h5"
    bad = dataclasses.replace(CONFIG, init=str(tmp_path / "missing.npy"))  # fails inside the run
    with pytest.raises(FileNotFoundError, match="missing.npy"):
        simulate(bad, out)
    assert not lock_path(out).exists()
    simulate(CONFIG, out)


def test_a_stale_lock_file_does_not_block(tmp_path):
    """A lock file without a live holder (e.g. copied with the run directory) is no lock."""
    out = tmp_path / "run.h5"
    lock_path(out).write_text("12345\n")
    simulate(CONFIG, out)
    assert out.is_file() and not lock_path(out).exists()


def start_holder(script: str) -> subprocess.Popen:
    """Another Python process running ``script`` (it reports on its stdout)."""
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script)], stdout=subprocess.PIPE, text=True
    )


def test_the_lock_of_a_killed_holder_is_released(tmp_path):
    """The kernel drops a flock with its process: SIGKILL leaves nothing to clean up."""
    out = tmp_path / "run.h5"
    holder = start_holder(
        f"""
        import time
        from torquenet.data import exclusive_run
        with exclusive_run({str(out)!r}):
            print("held", flush=True)
            time.sleep(600)
        """
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(RunInUseError, match=rf"pid {holder.pid}\b"):
            simulate(CONFIG, out)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    simulate(CONFIG, out)
    assert read_trajectory(out).num_frames == 3


def test_a_forked_child_does_not_keep_the_lock_of_a_killed_parent(tmp_path):
    """Process-pool workers fork from the job: when the job is killed, its lock must go with it
    even while the workers live on (they close their inherited copy at the fork)."""
    out = tmp_path / "run.h5"
    holder = start_holder(
        f"""
        import os, time
        from torquenet.data import exclusive_run
        with exclusive_run({str(out)!r}):
            child = os.fork()
            if child == 0:
                time.sleep(600)
                os._exit(0)
            print(child, flush=True)
            time.sleep(600)
        """
    )
    child = int(holder.stdout.readline())
    try:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
        os.kill(child, 0)  # the child still runs
        simulate(CONFIG, out)  # ... and holds no lock
        assert read_trajectory(out).num_frames == 3
    finally:
        os.kill(child, signal.SIGKILL)


def test_generate_refuses_a_second_process_on_the_same_directory(tmp_path):
    config = load_config(resolve_config_path("tiny", "data"), GenerateConfig)
    config = dataclasses.replace(
        config, num_random=1, num_skyrmion=0, num_steps=4, save_every=2, checkpoint_every=2
    )
    root = tmp_path / "data"
    with exclusive_run(root):
        with pytest.raises(RunInUseError, match=r"data is being written by another process"):
            generate(config, root)
    assert not (root / "manifest.json").exists()
    manifest = generate(config, root)
    assert all(unit.sha256 for unit in manifest.units)
