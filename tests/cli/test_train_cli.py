import json

import numpy as np
import pytest

from torquenet.cli import main
from torquenet.ml import CNNSolver, dataset_identity, read_model_file
from torquenet.model import SDModelParams


def _generate(tmp_path_factory, name: str, config_text: str):
    directory = tmp_path_factory.mktemp(name)
    cfg = directory.parent / f"{name}.yaml"
    cfg.write_text(config_text)
    assert main(["generate", "--config", str(cfg), "--out", str(directory)]) == 0
    return directory


@pytest.fixture(scope="module")
def small_dataset(tmp_path_factory):
    config = "L: 12\nnum_random: 2\nnum_skyrmion: 2\nnum_steps: 10\nsave_every: 5\n"
    return _generate(tmp_path_factory, "data", config)


def test_train_cli_writes_a_model_file_usable_as_solver(small_dataset, tmp_path, capsys):
    out = tmp_path / "run"
    capsys.readouterr()
    assert (
        main(
            [
                "train",
                "--config",
                "tiny",
                "--data",
                str(small_dataset),
                "--out",
                str(out),
                "--epochs",
                "2",
            ]
        )
        == 0
    )
    summary = json.loads(capsys.readouterr().out)
    assert summary["epochs_completed"] == 2
    assert len((out / "log.csv").read_text().strip().splitlines()) == 3  # header + 2 epochs
    info, _ = read_model_file(out / "best_model.pt")
    checksum, params = dataset_identity(small_dataset)
    assert info.dataset_checksum == checksum
    solver = CNNSolver.from_file(out / "best_model.pt", SDModelParams())
    spins = np.zeros((24, 24, 3))
    spins[..., 2] = 1.0
    assert solver.compute(spins).fields.shape == (24, 24, 3)  # any L


@pytest.fixture(scope="module")
def second_dataset(tmp_path_factory):
    config = "L: 12\nnum_random: 3\nnum_skyrmion: 0\nnum_steps: 10\nsave_every: 5\nseed: 1\n"
    return _generate(tmp_path_factory, "data_seed1", config)


def test_train_cli_trains_on_several_datasets_together(small_dataset, second_dataset, tmp_path):
    from torquenet.data.dataset import TrajectoryDataset
    from torquenet.ml import combined_identity

    out = tmp_path / "run"
    data = [str(small_dataset), str(second_dataset)]
    assert (
        main(["train", "--config", "tiny", "--data", *data, "--out", str(out), "--epochs", "1"])
        == 0
    )
    info, _ = read_model_file(out / "best_model.pt")
    checksum, _ = combined_identity(data)
    singles = {dataset_identity(d)[0] for d in data}
    assert info.dataset_checksum == checksum and checksum not in singles
    assert combined_identity(data[::-1])[0] != checksum  # the order is part of the identity
    counts = [
        len(TrajectoryDataset(d, split, verify=False))
        for d in data
        for split in ("train", "validation")
    ]
    assert info.training_metrics["num_train_samples"] == counts[0] + counts[2]
    assert info.training_metrics["num_val_samples"] == counts[1] + counts[3]


@pytest.mark.parametrize(
    "key, value, message",
    [("L", 24, "differ in lattice size"), ("chemical_potential", -3.0, "different s-d parameters")],
)
def test_train_refuses_datasets_of_different_physics_or_size(
    small_dataset, tmp_path, key, value, message
):
    import shutil

    from torquenet.ml import combined_identity

    other = tmp_path / "other"
    shutil.copytree(small_dataset, other)
    manifest = json.loads((other / "manifest.json").read_text())
    del manifest["manifest_sha256"]  # edited by hand below: as a manifest without a checksum
    if key == "L":
        manifest["config"]["L"] = value
    else:
        manifest["config"]["model"][key] = value
    (other / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ValueError, match=message) as info:
        combined_identity([small_dataset, other])
    assert str(other) in str(info.value) and str(small_dataset) in str(info.value)


def test_train_cli_refuses_incomplete_or_missing_data(tmp_path, capsys):
    assert (
        main(
            [
                "train",
                "--config",
                "tiny",
                "--data",
                str(tmp_path / "none"),
                "--out",
                str(tmp_path / "run"),
            ]
        )
        == 2
    )
    assert "not a torquenet dataset directory" in capsys.readouterr().err


def test_simulate_and_fields_run_on_a_trained_model(small_dataset, tmp_path):
    from torquenet.data import read_trajectory
    from torquenet.textures import random_spins

    out = tmp_path / "run"
    assert (
        main(
            [
                "train",
                "--config",
                "tiny",
                "--data",
                str(small_dataset),
                "--out",
                str(out),
                "--epochs",
                "1",
            ]
        )
        == 0
    )
    model = str(out / "best_model.pt")
    assert (
        main(
            [
                "simulate",
                "--solver",
                "cnn",
                "--model",
                model,
                "--L",
                "24",
                "--init",
                "skl",
                "--steps",
                "4",
                "--save-every",
                "2",
                "--out",
                str(tmp_path / "run.h5"),
            ]
        )
        == 0
    )
    trajectory = read_trajectory(tmp_path / "run.h5")
    assert trajectory.spins.shape == (3, 24, 24, 3) and trajectory.energy is None
    np.save(tmp_path / "s.npy", random_spins(18, np.random.default_rng(0)))
    assert (
        main(
            [
                "fields",
                "--spins",
                str(tmp_path / "s.npy"),
                "--solver",
                "cnn",
                "--model",
                model,
                "--out",
                str(tmp_path / "f.npy"),
            ]
        )
        == 0
    )
    assert np.load(tmp_path / "f.npy").shape == (18, 18, 3)
    assert (
        main(
            [
                "fields",
                "--spins",
                str(tmp_path / "s.npy"),
                "--model",
                model,
                "--out",
                str(tmp_path / "g.npy"),
            ]
        )
        == 2
    )  # --model without --solver cnn
