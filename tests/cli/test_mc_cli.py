"""``torquenet mc``: CLI = Python API, resume bit for bit, named errors."""

import re

import numpy as np
import pytest
import torch

from torquenet.cli import main
from torquenet.data import exclusive_run, read_trajectory
from torquenet.ml import (
    EnergyModelConfig,
    EquivariantEnergyCNN,
    EquivariantModelConfig,
    EquivariantTorqueCNN,
    SiteEnergies,
    load_model_file,
    save_model_file,
)
from torquenet.model import SDModelParams
from torquenet.runs import MonteCarloConfig, run_monte_carlo, work_directory
from torquenet.solvers import LearnedModelParams


@pytest.fixture
def energy_file(tmp_path):
    config = EnergyModelConfig(4, 4, num_blocks=0, radius=1, bond_basis_degree=1, head_width=4)
    net = EquivariantEnergyCNN(config, 0.1, torch.Generator().manual_seed(5), energy_offset=-0.3)
    return save_model_file(tmp_path / "e.pt", net, params=SDModelParams(), dataset_checksum="t")


def _config(model_file, **extra):
    settings = {
        "L": 6,
        "temperatures": (0.1, 0.05),
        "sweeps_per_temperature": 12,
        "save_every": 5,
        "checkpoint_every": 4,
        "seed": 3,
        **extra,
    }
    return MonteCarloConfig(cnn=LearnedModelParams(model_file=str(model_file)), **settings)


def test_mc_cli_equals_the_python_api_and_writes_the_schema(tmp_path, energy_file):
    args = ["mc", "--model", str(energy_file), "--L", "6", "--temperatures", "0.1", "0.05"]
    args += ["--sweeps-per-temperature", "12", "--save-every", "5", "--checkpoint-every", "4"]
    assert main([*args, "--seed", "3", "--out", str(tmp_path / "cli.h5")]) == 0
    api = run_monte_carlo(_config(energy_file), tmp_path / "api.h5")
    a, b = read_trajectory(tmp_path / "cli.h5"), read_trajectory(api)
    assert np.array_equal(a.spins, b.spins) and np.array_equal(a.energy, b.energy)
    assert a.steps.tolist() == [0, 5, 10, 15, 20, 24]
    assert a.attributes["sampler"] == "metropolis"
    assert 0.0 < a.attributes["acceptance_last_segment"] < 1.0
    # energies are the model's: recompute them from the saved spins
    model, _ = load_model_file(energy_file)
    energy = SiteEnergies(model)
    for spins, omega in zip(a.spins, a.grand_potential, strict=True):
        assert energy(spins).sum() == pytest.approx(omega, abs=1e-10)
    assert not work_directory(tmp_path / "cli.h5").exists()


def test_interrupted_mc_resumes_bit_for_bit(tmp_path, energy_file):
    config = _config(energy_file)
    reference = read_trajectory(run_monte_carlo(config, tmp_path / "ref.h5"))

    class Stop(Exception):
        pass

    def stop_after_ten(sweep, _total):
        if sweep == 10:
            raise Stop

    out = tmp_path / "run.h5"
    with pytest.raises(Stop):
        run_monte_carlo(config, out, progress=stop_after_ten)
    assert work_directory(out).exists() and not out.exists()
    resumed = read_trajectory(run_monte_carlo(config, out))
    assert np.array_equal(resumed.spins, reference.spins)
    assert np.array_equal(resumed.energy, reference.energy)
    # a finished run is a no-op; another config is refused by name
    assert run_monte_carlo(config, out) == out
    with pytest.raises(FileExistsError, match="different configuration"):
        run_monte_carlo(_config(energy_file, seed=4), out)


def test_mc_errors_are_one_clear_line(tmp_path, capsys, energy_file):
    direct = EquivariantTorqueCNN(EquivariantModelConfig(4, 4, num_blocks=1, radius=1))
    torque_file = save_model_file(
        tmp_path / "d.pt", direct, params=SDModelParams(), dataset_checksum="t"
    )
    cases = [
        (["--model", str(torque_file)], "needs an energy model"),
        (["--model", str(tmp_path / "missing.pt")], "missing.pt"),
        (["--model", str(energy_file), "--temperatures", "0.1", "-0.1"], "temperatures\\[1\\]"),
        (["--model", str(energy_file), "--init", "skl", "--L", "10"], "12"),
        (["--model", str(energy_file), "--L", "2"], "L"),
    ]
    for extra, message in cases:
        rc = main(["mc", "--out", str(tmp_path / "x.h5"), "--L", "6", *extra])
        err = capsys.readouterr().err
        assert rc == 2, extra
        assert "torquenet mc: error:" in err
        assert len(err.strip().splitlines()) == 1
        assert re.search(message, err), (extra, err)


def test_mc_refuses_a_second_writer_in_one_line(tmp_path, capsys, energy_file):
    out = tmp_path / "x.h5"
    with exclusive_run(out):  # another writer of the same file (flock: per open file)
        rc = main(["mc", "--out", str(out), "--L", "6", "--model", str(energy_file)])
    err = capsys.readouterr().err
    assert rc == 2 and len(err.strip().splitlines()) == 1
    assert "x.h5 is being written by another process" in err
    assert not out.exists() and not work_directory(out).exists()
