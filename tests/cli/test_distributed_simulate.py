"""``torchrun -m torquenet simulate --solver cnn``: the lattice split over two gloo processes
gives the one-process trajectory, survives SIGKILL, and resumes with another process count."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from torquenet.cli import main
from torquenet.data import read_trajectory
from torquenet.runs import work_directory


def simulate_args(out: Path, L: int, steps: int, *extra: str) -> list[str]:
    return [
        "simulate",
        "--solver", "cnn",
        "--L", str(L),
        "--steps", str(steps),
        "--save-every", "5",
        "--checkpoint-every", "5",
        "--temperature", "0.02",
        "--damping", "0.1",
        "--seed", "5",
        "--out", str(out),
        *extra,
    ]  # fmt: skip


def torchrun(args: list[str], processes: int = 2, **popen) -> subprocess.Popen:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    command = [
        sys.executable, "-m", "torch.distributed.run", "--standalone",
        "--nproc-per-node", str(processes), "-m", "torquenet", *args,
    ]  # fmt: skip
    return subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen
    )


def finish(process: subprocess.Popen, timeout: float = 240) -> tuple[int, str]:
    _, err = process.communicate(timeout=timeout)
    return process.returncode, err


@pytest.fixture(scope="module")
def reference(tmp_path_factory, single_thread_module):
    """The one-process run (plain ``torquenet simulate``) of L = 96, 20 steps and of L = 48,
    40 steps."""
    folder = tmp_path_factory.mktemp("one_process")
    runs = {}
    for L, steps in ((96, 20), (48, 40)):
        out = folder / f"L{L}.h5"
        assert main(simulate_args(out, L, steps)) == 0
        runs[L] = read_trajectory(out)
    return runs


@pytest.fixture(scope="module")
def single_thread_module():
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def assert_same_run(a, b, atol: float = 1e-5) -> None:
    assert a.steps.tolist() == b.steps.tolist()
    assert np.abs(a.spins - b.spins).max() <= atol
    assert np.abs(a.fields - b.fields).max() <= atol
    assert a.attributes["config"] == b.attributes["config"]


def test_two_processes_give_the_one_process_trajectory(tmp_path, reference):
    out = tmp_path / "two.h5"
    code, err = finish(torchrun(simulate_args(out, 96, 20)))
    assert code == 0, err[-3000:]
    two = read_trajectory(out)
    assert int(two.attributes["num_processes"]) == 2
    assert int(reference[96].attributes["num_processes"]) == 1
    assert_same_run(two, reference[96])
    # the run is not trivially noise-free: the spins moved and T > 0 drove them
    assert np.abs(two.spins[-1] - two.spins[0]).max() > 0.05


def kill_after_checkpoint(process: subprocess.Popen, out: Path, step: int) -> None:
    target = work_directory(out) / f"checkpoint_{step:012d}.h5"
    deadline = time.monotonic() + 180
    while not target.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"the run ended or stalled before step {step}: {process.communicate()}")
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


@pytest.mark.parametrize("resume_processes", [2, 1])
def test_killed_run_resumes_with_the_same_or_another_process_count(
    tmp_path, reference, resume_processes
):
    out = tmp_path / "killed.h5"
    args = simulate_args(out, 48, 40)
    kill_after_checkpoint(torchrun(args, start_new_session=True), out, 10)
    assert not out.exists() and work_directory(out).is_dir()
    if resume_processes == 2:
        code, err = finish(torchrun(args))
        assert code == 0, err[-3000:]
    else:
        resumed = subprocess.run(
            [sys.executable, "-m", "torquenet", *args],
            env={**os.environ, "OMP_NUM_THREADS": "1"},
            capture_output=True,
            text=True,
            timeout=240,
        )
        assert resumed.returncode == 0, resumed.stderr[-3000:]
        err = resumed.stderr
        assert "checkpointed by 2 process(es), with 1" in err
    assert "resuming" in err
    run = read_trajectory(out)
    assert int(run.attributes["num_processes"]) == resume_processes
    assert_same_run(run, reference[48])


def test_a_solver_that_cannot_be_split_is_refused_by_name(tmp_path):
    out = tmp_path / "ed.h5"
    args = simulate_args(out, 12, 2)
    args[args.index("cnn")] = "ed"
    code, err = finish(torchrun(args))
    assert code != 0
    assert "needs --solver cnn" in err
    assert not out.exists()


def test_an_energy_model_split_over_two_processes_gives_the_same_run_and_energies(
    tmp_path, single_thread_module
):
    """Omega is summed over the processes' own sites: the saved energies, like the spins, are
    those of the one-process run."""
    import torch

    from torquenet.ml import EnergyModelConfig, EquivariantEnergyCNN, save_model_file
    from torquenet.model import SDModelParams

    config = EnergyModelConfig(4, 4, num_blocks=1, radius=1, bond_basis_degree=1, head_width=4)
    net = EquivariantEnergyCNN(config, 0.02, torch.Generator().manual_seed(3), energy_offset=-0.3)
    model = save_model_file(tmp_path / "e.pt", net, params=SDModelParams(), dataset_checksum="t")
    args = lambda out: simulate_args(out, 24, 10, "--model", str(model))  # noqa: E731
    assert main(args(tmp_path / "one.h5")) == 0
    code, err = finish(torchrun(args(tmp_path / "two.h5")))
    assert code == 0, err[-3000:]
    one, two = read_trajectory(tmp_path / "one.h5"), read_trajectory(tmp_path / "two.h5")
    assert int(two.attributes["num_processes"]) == 2
    assert_same_run(two, one)
    assert np.isfinite(one.energy).all() and np.ptp(one.energy) > 0
    np.testing.assert_allclose(two.energy, one.energy, rtol=1e-6, atol=0)
