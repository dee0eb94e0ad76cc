"""`torquenet simulate`: same result as the Python API, survives SIGKILL at any point, errors."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
import torch

from tests.helpers import assert_same_trajectory
from torquenet.cli import main
from torquenet.data import read_trajectory
from torquenet.dynamics import LLGParams
from torquenet.model import SDModelParams
from torquenet.runs import SimulationConfig, simulate, work_directory
from torquenet.solvers import EDParams, SolverConfig

ARGS = [
    "simulate",
    "--L", "6",
    "--init", "random",
    "--steps", "300",
    "--save-every", "5",
    "--checkpoint-every", "10",
    "--dt", "0.1",
    "--damping", "0.1",
    "--temperature", "0.05",
    "--seed", "4",
    "--solver", "ed",
    "--twists", "1",
    "--kT", "0.1",
]  # fmt: skip
CONFIG = SimulationConfig(
    L=6,
    init="random",
    num_steps=300,
    save_every=5,
    checkpoint_every=10,
    seed=4,
    model=SDModelParams(electron_temperature=0.1),
    llg=LLGParams(time_step=0.1, damping=0.1, temperature=0.05),
    solver=SolverConfig(kind="ed", ed=EDParams(num_twists=1)),
)
CHILD_ENV = {**os.environ, "OMP_NUM_THREADS": "1"}


pytestmark = pytest.mark.usefixtures("single_thread")


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    torch.set_num_threads(1)
    return read_trajectory(simulate(CONFIG, tmp_path_factory.mktemp("ref") / "ref.h5"))


def test_cli_equals_python_api_and_writes_config(tmp_path, reference, capsys):
    out = tmp_path / "run.h5"
    assert main([*ARGS, "--out", str(out)]) == 0
    assert_same_trajectory(read_trajectory(out), reference)
    assert (tmp_path / "run.config.yaml").is_file()
    assert "step/s" in capsys.readouterr().err  # progress bar with rate (and time left)


def test_run_killed_from_outside_resumes_bit_for_bit(tmp_path, reference):
    out = tmp_path / "run.h5"
    child = subprocess.Popen(
        [sys.executable, "-m", "torquenet", *ARGS, "--out", str(out)],
        env=CHILD_ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    workdir = work_directory(out)
    deadline = time.monotonic() + 120
    while not (workdir / "checkpoint_000000000020.h5").exists():
        assert child.poll() is None, "the run ended before it could be killed"
        assert time.monotonic() < deadline, "no checkpoint appeared"
        time.sleep(0.002)
    child.send_signal(signal.SIGKILL)
    assert child.wait() == -signal.SIGKILL
    assert not out.exists()
    assert main([*ARGS, "--out", str(out)]) == 0  # the same command resumes
    assert_same_trajectory(read_trajectory(out), reference)
    assert not workdir.exists()


# SIGKILL inside the writer, after the datasets are written and before the atomic rename:
# write number 4 is the checkpoint at step 30; write number 32 is the final trajectory file
# (31 checkpoints at steps 0, 10, ..., 300 come first).
KILL_INSIDE_WRITE = """
import os, signal, sys
import torquenet.data.storage as storage
from torquenet.cli import main
original, count = storage._write_frames, [0]
def write_then_die(handle, frames):
    count[0] += 1
    original(handle, frames)
    if count[0] == {kill_at}:
        handle.flush()
        os.kill(os.getpid(), signal.SIGKILL)
storage._write_frames = write_then_die
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("kill_at", [4, 32])
def test_sigkill_while_writing_never_corrupts_and_resumes_exactly(tmp_path, reference, kill_at):
    out = tmp_path / "run.h5"
    child = subprocess.run(
        [sys.executable, "-c", KILL_INSIDE_WRITE.format(kill_at=kill_at), *ARGS, "--out", str(out)],
        env=CHILD_ENV,
        capture_output=True,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr.decode()[-2000:]
    assert not out.exists()
    leftovers = list(tmp_path.glob("*.tmp")) + list(work_directory(out).glob("*.tmp"))
    assert leftovers, "the kill should have left a half-written temporary file"
    assert main([*ARGS, "--out", str(out)]) == 0
    assert_same_trajectory(read_trajectory(out), reference)


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--L", "10", "--init", "skl"], "needs L divisible by 12"),
        (["--dt", "-0.1"], "time_step must be > 0"),
        (["--init", "nothere.npy"], "neither one of"),
    ],
)
def test_cli_errors_are_one_clear_line(tmp_path, capsys, extra, message):
    assert main([*ARGS, "--steps", "2", *extra, "--out", str(tmp_path / "r.h5")]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_a_finished_run_rerun_is_a_no_op_and_other_settings_are_refused(tmp_path, capsys):
    """Rerunning a finished simulate reports the existing file (as generate and train do); the
    same output with other settings is refused unless --overwrite."""
    out = tmp_path / "r.h5"
    args = [*ARGS, "--steps", "2", "--out", str(out)]
    assert main(args) == 0
    before = out.read_bytes()
    assert main(args) == 0
    assert out.read_bytes() == before
    assert main([*args[:-2], "--seed", "5", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "different configuration" in err and "seed: 4 -> 5" in err
    assert main([*args[:-2], "--seed", "5", "--out", str(out), "--overwrite"]) == 0
    assert out.read_bytes() != before
