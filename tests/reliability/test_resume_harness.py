"""Kill-at-random resume harness: ``simulate``, ``generate`` and ``train`` are SIGKILLed at a
random moment, run again with the same command to completion, and compared with an
uninterrupted run: the results must be bit-identical and no finished work may be lost."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch

#: Trials per command (the campaign report runs the same number).
TRIALS = 10
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}

DATA = (
    "L: 6\nnum_random: 3\nnum_skyrmion: 0\nnum_steps: 60\nsave_every: 5\ncheckpoint_every: 10\n"
    "validation_fraction: 0.34\nthreads_per_unit: 1\nsolver: {kind: ed, ed: {num_twists: 1}}\n"
)


def _command(kind: str, root: Path, out: Path) -> list[str]:
    base = [sys.executable, "-m", "torquenet", "--log-level", "ERROR"]
    if kind == "simulate":
        return base + [
            "simulate", "--L", "6", "--steps", "300", "--save-every", "5",
            "--checkpoint-every", "10", "--temperature", "0.01", "--seed", "2", "--out", str(out),
        ]  # fmt: skip
    if kind == "generate":
        return base + ["generate", "--config", str(root / "data.yaml"), "--out", str(out)]
    if kind == "train":
        return base + [
            "train", "--config", "tiny", "--data", str(root / "data"), "--out", str(out),
            "--epochs", "4", "--device", "cpu",
        ]  # fmt: skip
    raise ValueError(kind)


def _result(kind: str, out: Path):
    """What must come out identical: arrays, checksums or trained weights."""
    if kind == "simulate":
        with h5py.File(out) as handle:
            return {name: handle[name][()] for name in handle}
    if kind == "generate":
        manifest = json.loads((out / "manifest.json").read_text())
        return {u["name"]: u["sha256"] for u in manifest["units"]}
    if kind == "train":
        payload = torch.load(out / "best_model.pt", weights_only=True)
        digest = hashlib.sha256()
        for name, tensor in sorted(payload["state_dict"].items()):
            digest.update(name.encode() + tensor.numpy().tobytes())
        return digest.hexdigest()
    raise ValueError(kind)


def _same(a, b) -> bool:
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)
    return a == b


def prepare(root: Path) -> None:
    """Inputs shared by the trials: the dataset config and, for train, a finished dataset."""
    (root / "data.yaml").write_text(DATA)
    if not (root / "data" / "manifest.json").exists():
        subprocess.run(_command("generate", root, root / "data"), env=ENV, check=True)


def resume_trials(kind: str, root: Path, trials: int = TRIALS, seed: int = 0) -> list[dict]:
    """Kill ``kind`` at random moments and resume it; one record per trial."""
    root.mkdir(parents=True, exist_ok=True)
    prepare(root)
    reference_out = root / f"{kind}_reference{'.h5' if kind == 'simulate' else ''}"
    start = time.perf_counter()
    subprocess.run(_command(kind, root, reference_out), env=ENV, check=True)
    duration = time.perf_counter() - start
    reference = _result(kind, reference_out)
    rng = np.random.default_rng(seed)
    records = []
    for trial in range(trials):
        out = root / f"{kind}_{trial}{'.h5' if kind == 'simulate' else ''}"
        delay = float(rng.uniform(0.2, 0.95)) * duration
        process = subprocess.Popen(
            _command(kind, root, out), env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(delay)
        killed = process.poll() is None
        if killed:
            os.kill(process.pid, signal.SIGKILL)
        process.wait()
        rerun = subprocess.run(_command(kind, root, out), env=ENV, capture_output=True, text=True)
        identical = rerun.returncode == 0 and _same(_result(kind, out), reference)
        records.append(
            {
                "kind": kind,
                "delay_s": round(delay, 2),
                "killed": killed,
                "resumed_exit": rerun.returncode,
                "identical": identical,
                "stderr": rerun.stderr[-500:],
            }
        )
    return records


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["simulate", "generate", "train"])
def test_killed_runs_resume_to_bit_identical_results(kind, tmp_path_factory):
    root = tmp_path_factory.getbasetemp() / "resume_harness"
    root.mkdir(exist_ok=True)
    records = resume_trials(kind, root / kind if kind != "train" else root)
    assert sum(r["killed"] for r in records) >= TRIALS // 2, "most trials must kill a live run"
    assert [r for r in records if not r["identical"]] == []
