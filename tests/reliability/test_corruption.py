"""Corruption matrix: every file type torquenet reads x (bit flips spread over the file,
truncation to half and to zero, deletion, a wrong format version), each read by the command a
user would run on it.  Every case must end in a named error (naming the file) or in the clean
run's result (damage in bytes nobody reads, or a checkpoint chain that falls back); never in a
traceback and never in another result."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch

from tests.reliability.faults import (
    Outcome,
    apply,
    copy,
    corruptions,
    interrupted_simulate,
    run_cli,
)
from torquenet.pretrained import default_model_path
from torquenet.textures import random_spins

pytestmark = pytest.mark.usefixtures("single_thread")

#: Bit flips per file type in the default suite (the campaign script runs more).
NUM_FLIPS = 12

SIMULATE = ["simulate", "--L", "6", "--steps", "6", "--save-every", "1"]
SIMULATE += ["--checkpoint-every", "2", "--temperature", "0.01", "--seed", "3"]
DATA = (
    "L: 6\nnum_random: 2\nnum_skyrmion: 0\nnum_steps: 4\nsave_every: 2\ncheckpoint_every: 2\n"
    "validation_fraction: 0.5\nsolver: {kind: ed, ed: {num_twists: 1}}\n"
)


def make_clean(root: Path) -> dict[str, Path]:
    """One clean file of every kind in ``root`` (made on one torch thread, like the runs that
    read them: LAPACK rounds differently with another thread count)."""
    torch.set_num_threads(1)
    files: dict[str, Path] = {}
    spins = root / "spins.npy"
    np.save(spins, random_spins(6, np.random.default_rng(0)))
    files["spins"] = spins
    trajectory = root / "run.h5"
    assert run_cli([*SIMULATE, "--out", trajectory]).kind == "ok"
    files["trajectory"] = trajectory
    data = root / "data"
    (root / "data.yaml").write_text(DATA)
    assert run_cli(["generate", "--config", root / "data.yaml", "--out", data]).kind == "ok"
    files["dataset"] = data
    partial = root / "resume.h5"
    interrupted_simulate(SIMULATE, partial, stop_after=5)
    files["checkpoints"] = root / "resume.h5.partial"
    files["model"] = default_model_path()
    return files


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    root = tmp_path_factory.mktemp("clean")
    return root, make_clean(root)


def _read(kind: str, target: Path, work: Path, files: dict[str, Path]):
    """(Outcome, result) of the command that reads a file of this kind."""
    if kind == "spins":
        out = work / "f.npy"
        outcome = run_cli(["fields", "--spins", target, "--twists", "1", "--out", out])
        return outcome, np.load(out) if outcome.kind == "ok" else None
    if kind == "model":
        out = work / "f.npy"
        args = ["fields", "--spins", files["spins"], "--solver", "cnn", "--model", target]
        outcome = run_cli([*args, "--out", out])
        return outcome, np.load(out) if outcome.kind == "ok" else None
    if kind == "trajectory":
        out = work / "analysis"
        outcome = run_cli(["analyze", target, "--out", out, "--formats", "png"])
        numbers = (
            json.loads((out / "numbers.json").read_text())["series"] if outcome.code == 0 else None
        )
        return outcome, numbers
    if kind in ("unit", "manifest"):
        outcome = run_cli(["data", "info", target, "--verify"])
        if outcome.kind != "ok":
            return outcome, None
        info = json.loads(outcome.stdout)
        info.pop("directory")
        return outcome, info
    if kind == "checkpoint":
        out = target.parent / "resume.h5"
        outcome = run_cli([*SIMULATE, "--out", out])
        if outcome.kind != "ok":
            return outcome, None
        with h5py.File(out) as handle:
            return outcome, handle["spins"][()]
    raise ValueError(kind)


def _same(a, b) -> bool:
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and np.array_equal(a, b)
    return a == b


KINDS = ("spins", "model", "trajectory", "unit", "manifest", "checkpoint")


def _target(kind: str, case_dir: Path, files: dict[str, Path]) -> tuple[Path, Path, Path]:
    """(what the command is given, the file to damage, its name to look for in the error)."""
    if kind in ("spins", "model", "trajectory"):
        path = copy(files[kind], case_dir / files[kind].name)
        return path, path, path
    if kind in ("unit", "manifest"):
        data = copy(files["dataset"], case_dir / "data")
        damaged = data / ("manifest.json" if kind == "manifest" else "trajectories/random_000.h5")
        return data, damaged, damaged
    partial = copy(files["checkpoints"], case_dir / "resume.h5.partial")
    chain = sorted(partial.glob("checkpoint_*.h5"))
    return partial, chain[-1], chain[-1]


def campaign(kind: str, root: Path, files: dict[str, Path], num_flips: int, seed: int = 0):
    """Every corruption of one file kind: a list of (case, outcome, verdict)."""
    clean_dir = root / f"clean_{kind}"
    clean_dir.mkdir(exist_ok=True)
    given, damaged, _ = _target(kind, clean_dir, files)
    size = damaged.stat().st_size
    _, reference = _read(kind, given, clean_dir, files)
    if kind == "checkpoint":  # the clean resume must equal the uninterrupted run
        with h5py.File(root / "run.h5") as handle:
            assert np.array_equal(reference, handle["spins"][()])
    results = []
    for k, (case, how) in enumerate(corruptions(num_flips, size, seed)):
        if kind == "spins" and how[0] == "flip":  # .npy has no checksum: flip the header only
            how = ("flip", how[1] % 128, how[2])
            case = f"flip header byte {how[1]}"
        case_dir = root / f"{kind}_{seed}_{k}"
        case_dir.mkdir()
        given, damaged, name = _target(kind, case_dir, files)
        apply(damaged, how, "unit" if kind == "unit" else kind)
        outcome, result = _read(kind, given, case_dir, files)
        results.append((case, outcome, _verdict(outcome, result, reference, name)))
    return results


def _verdict(outcome: Outcome, result, reference, name: Path) -> str:
    if outcome.kind == "traceback":
        return "traceback"
    if outcome.kind == "named-error":
        return "named error" if name.name in outcome.stderr else "error not naming the file"
    return "clean result" if _same(result, reference) else "SILENT: another result"


@pytest.mark.parametrize("kind", KINDS)
def test_every_corruption_is_a_named_error_or_the_clean_result(kind, clean, tmp_path):
    root, files = clean
    (tmp_path / "run.h5").symlink_to(files["trajectory"])
    results = campaign(kind, tmp_path, files, NUM_FLIPS)
    bad = [(case, verdict, o.stderr[-300:]) for case, o, verdict in results]
    bad = [b for b in bad if b[1] not in ("named error", "clean result")]
    assert bad == []
    # the structural damage is always detected (nothing to fall back to for these)
    structural = {case: verdict for case, _, verdict in results if not case.startswith("flip")}
    if kind != "checkpoint":
        assert set(structural.values()) == {"named error"}, structural


def test_every_single_bit_flip_of_a_npy_header_is_refused_or_harmless(tmp_path):
    """All 8 x 128 single-bit flips of a spin file's header: a ValueError naming the file (numpy's
    header parser raises half a dozen exception types) or the same texture, never another one."""
    from torquenet.data import read_spins

    clean = tmp_path / "clean.npy"
    np.save(clean, random_spins(6, np.random.default_rng(0)))
    reference, raw = read_spins(clean), clean.read_bytes()
    damaged = tmp_path / "damaged.npy"
    outcomes = {"refused": 0, "same": 0}
    for position in range(128):
        for bit in range(8):
            data = bytearray(raw)
            data[position] ^= 1 << bit
            damaged.write_bytes(bytes(data))
            try:
                spins = read_spins(damaged)
            except ValueError as exc:
                assert str(damaged) in str(exc)
                outcomes["refused"] += 1
                continue
            assert np.array_equal(spins, reference), (position, bit)
            outcomes["same"] += 1
    assert outcomes["refused"] > 900
