"""The nine reliability findings of a new-user trial, one test each, through the command line.

Every test failed on the code before its fix (checked by running this file against that
revision) and states the behaviour a user gets now: a one-line named error and exit code 2, or
a no-op that reports the finished work; never a traceback, never a silent wrong result.
"""

from __future__ import annotations

import json
import shutil

import h5py
import numpy as np
import pytest
import torch

from tests.reliability.faults import interrupted_simulate
from torquenet.cli import main
from torquenet.textures import random_spins

pytestmark = pytest.mark.usefixtures("single_thread")

SMALL_DATA = (
    "L: 6\nnum_random: 3\nnum_skyrmion: 0\nnum_steps: 4\nsave_every: 2\ncheckpoint_every: 2\n"
    "validation_fraction: 0.34\nsolver: {kind: ed, ed: {num_twists: 1}}\n"
)


def _fails_cleanly(capsys, args, *fragments) -> str:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err, (fragment, err)
    return err


@pytest.fixture(scope="module")
def small_dataset(tmp_path_factory):
    directory = tmp_path_factory.mktemp("data")
    config = directory.parent / "small.yaml"
    config.write_text(SMALL_DATA)
    assert main(["generate", "--config", str(config), "--out", str(directory)]) == 0
    return directory


@pytest.fixture
def spins_file(tmp_path, rng):
    path = tmp_path / "in.npy"
    np.save(path, random_spins(6, rng))
    return path


def _flip_a_spin(path) -> None:
    """What a bit flip in the exponent of one spin component does: |S| = 65536."""
    with h5py.File(path, "r+") as handle:
        spins = handle["spins"][()]
        spins[0, 0, 0, 0] = 65536.0
        handle["spins"][...] = spins


# 1 ------------------------------------------------------------------------------------------
def test_a_corrupted_validation_file_is_never_trained_on(small_dataset, tmp_path, capsys):
    data = tmp_path / "data"
    shutil.copytree(small_dataset, data)
    manifest = json.loads((data / "manifest.json").read_text())
    held_out = [u for u in manifest["units"] if u["split"] == "validation"]
    assert held_out, "the fixture needs a validation trajectory"
    corrupted = data / "trajectories" / f"{held_out[0]['name']}.h5"
    _flip_a_spin(corrupted)
    args = ["train", "--config", "tiny", "--data", str(data), "--out", str(tmp_path / "run")]
    _fails_cleanly(capsys, [*args, "--epochs", "1"], str(corrupted), "corrupted")


# 2 ------------------------------------------------------------------------------------------
def test_fields_of_a_model_with_a_nan_weight_are_refused(spins_file, tmp_path, capsys):
    from torquenet.pretrained import default_model_path

    payload = torch.load(default_model_path(), weights_only=True)
    name = next(k for k, v in payload["state_dict"].items() if v.is_floating_point() and v.ndim)
    payload["state_dict"][name].view(-1)[0] = float("nan")
    broken = tmp_path / "nan.pt"
    torch.save(payload, broken)
    out = tmp_path / "f.npy"
    args = ["fields", "--spins", str(spins_file), "--solver", "cnn", "--model", str(broken)]
    _fails_cleanly(capsys, [*args, "--out", str(out)], "NaN or inf")
    assert not out.exists()


# 3 ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("target", ["directory", "no_suffix", "existing"])
def test_fields_writes_exactly_where_it_says_and_never_overwrites_silently(
    spins_file, tmp_path, capsys, target
):
    out = {
        "directory": tmp_path,
        "no_suffix": tmp_path / "name",
        "existing": tmp_path / "old.npy",
    }[target]
    if target == "existing":
        np.save(out, np.zeros(3))
    args = ["fields", "--spins", str(spins_file), "--out", str(out)]
    message = {"directory": "is a directory", "no_suffix": "must end in .npy"}.get(
        target, "pass --overwrite"
    )
    _fails_cleanly(capsys, args, message)
    assert not (tmp_path / "name.npy").exists() and not (tmp_path.with_suffix(".npy")).exists()
    if target == "existing":
        assert np.array_equal(np.load(out), np.zeros(3))
        assert main([*args, "--overwrite"]) == 0
        assert np.load(out).shape == (6, 6, 3)


# 4 ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("solver", ["kpm", "cnn"])
def test_twists_are_refused_by_solvers_that_cannot_honour_them(
    spins_file, tmp_path, capsys, solver
):
    args = ["fields", "--spins", str(spins_file), "--solver", solver, "--twists", "2"]
    _fails_cleanly(capsys, [*args, "--out", str(tmp_path / "f.npy")], "--twists applies to")
    assert not (tmp_path / "f.config.yaml").exists()


# 5 ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "flags, message",
    [
        (["--dt", "1000"], "rad per step"),
        (["--temperature", "1e300"], "above the field scale"),
    ],
)
def test_absurd_settings_are_refused_unless_forced(tmp_path, capsys, flags, message):
    out = tmp_path / "r.h5"
    args = ["simulate", "--L", "6", "--steps", "2", "--solver", "ed", *flags, "--out", str(out)]
    _fails_cleanly(capsys, args, message, "--force")
    assert not out.exists()
    if flags[0] == "--dt":  # forced, it runs (the integrator keeps |S| = 1 at any step)
        assert main([*args, "--force"]) == 0 and out.is_file()


# 6 ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("command", ["fields", "simulate"])
def test_an_empty_npy_file_is_a_named_error(tmp_path, capsys, command):
    empty = tmp_path / "empty.npy"
    empty.write_bytes(b"")
    if command == "fields":
        args = ["fields", "--spins", str(empty), "--out", str(tmp_path / "f.npy")]
    else:
        args = ["simulate", "--L", "6", "--init", str(empty), "--out", str(tmp_path / "r.h5")]
    _fails_cleanly(capsys, args, str(empty), "empty")


# 7 ------------------------------------------------------------------------------------------
def test_analyze_refuses_a_trajectory_with_non_unit_spins(tmp_path, capsys):
    run = tmp_path / "r.h5"
    assert (
        main(["simulate", "--L", "6", "--steps", "2", "--save-every", "1", "--out", str(run)]) == 0
    )
    _flip_a_spin(run)
    _fails_cleanly(capsys, ["analyze", str(run), "--out", str(tmp_path / "a")], str(run), "unit")


# 8 ------------------------------------------------------------------------------------------
def test_unclear_messages_are_now_clear(tmp_path, capsys, spins_file):
    empty = tmp_path / "zero.npy"
    np.save(empty, np.zeros((0, 0, 3)))
    _fails_cleanly(
        capsys,
        ["fields", "--spins", str(empty), "--out", str(tmp_path / "a.npy")],
        "at least one site",
    )
    # L = 1 with the CNN: a one-site torus (every spin the same) is evaluated, no padding error
    spin = np.array([0.3, 0.4, np.sqrt(0.75)])
    one, six = tmp_path / "one.npy", tmp_path / "six.npy"
    np.save(one, spin[None, None, :])
    np.save(six, np.broadcast_to(spin, (6, 6, 3)).copy())
    for name in (one, six):
        args = ["fields", "--spins", str(name), "--solver", "cnn", "--out", str(name) + ".f.npy"]
        assert main(args) == 0, capsys.readouterr().err
    assert np.array_equal(np.load(f"{one}.f.npy")[0, 0], np.load(f"{six}.f.npy")[0, 0])
    _fails_cleanly(
        capsys,
        ["fields", "--spins", str(spins_file), "--solver", "cnn", "--model", str(tmp_path)]
        + ["--out", str(tmp_path / "c.npy")],
        "is a directory",
    )
    text = tmp_path / "text.npy"
    text.write_text("0 0 1\n")
    _fails_cleanly(
        capsys,
        ["fields", "--spins", str(text), "--out", str(tmp_path / "d.npy")],
        "not a readable .npy array",
    )


# 9 ------------------------------------------------------------------------------------------
def test_a_corrupt_latest_checkpoint_falls_back_to_the_previous_one(tmp_path, caplog):
    """Resume from the newest intact checkpoint; the result equals the uninterrupted run."""
    args = ["simulate", "--L", "6", "--steps", "6", "--save-every", "1", "--checkpoint-every", "2"]
    args += ["--temperature", "0.01", "--seed", "3"]
    reference = tmp_path / "ref.h5"
    assert main([*args, "--out", str(reference)]) == 0
    out = tmp_path / "r.h5"
    work = tmp_path / "r.h5.partial"
    interrupted_simulate(args, out, stop_after=5)  # checkpoints at steps 0, 2, 4 (and 5 on Ctrl-C)
    chain = sorted(work.glob("checkpoint_*.h5"))
    assert len(chain) >= 2
    chain[-1].write_bytes(chain[-1].read_bytes()[:100])  # truncated
    assert main([*args, "--out", str(out)]) == 0
    assert "resuming from step 4 instead" in caplog.text
    with h5py.File(out) as a, h5py.File(reference) as b:
        assert np.array_equal(a["spins"][()], b["spins"][()])


def test_a_finished_simulate_rerun_is_a_no_op(tmp_path, capsys):
    out = tmp_path / "r.h5"
    args = ["simulate", "--L", "6", "--steps", "2", "--out", str(out)]
    assert main(args) == 0
    first = out.read_bytes()
    assert main(args) == 0
    assert out.read_bytes() == first
