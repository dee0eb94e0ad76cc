"""The built-in demo: restoration run with the shipped model, verdict measured, resumable."""

from __future__ import annotations

import json

import numpy as np
import pytest

from torquenet.cli import main
from torquenet.ml import is_energy_model, load_model_file
from torquenet.model import SDModelParams
from torquenet.observables import skyrmion_lattice_order
from torquenet.pretrained import (
    default_model_path,
    energy_model_path,
    model_card,
    resolve_model_file,
)
from torquenet.runs import DemoConfig, MonteCarloConfig, build_solver, load_energy_model, run_demo
from torquenet.solvers import SolverConfig
from torquenet.textures import ferromagnet, random_spins, skyrmion_lattice

pytestmark = pytest.mark.usefixtures("single_thread")


def test_ideal_lattice_is_recognised_and_other_textures_are_not(rng):
    ideal = skyrmion_lattice(24)
    order = skyrmion_lattice_order(ideal)
    assert order["is_skyrmion_lattice"] and order["bragg_peaks_dominate"]
    assert (order["skyrmions"], order["antiskyrmions"], order["ideal_skyrmions"]) == (24, 0, 24)
    assert order["topological_charge"] == -24.0
    assert order["bragg_weight"] == pytest.approx(0.954, abs=1e-3)
    assert not skyrmion_lattice_order(ferromagnet(24))["is_skyrmion_lattice"]
    assert not skyrmion_lattice_order(random_spins(24, rng))["bragg_peaks_dominate"]
    # one skyrmion removed (its 12 x 12 cell made ferromagnetic): peaks still dominate, but
    # the texture is no longer the ideal lattice
    damaged = ideal.copy()
    damaged[:12, :12] = ferromagnet(12)
    assert not skyrmion_lattice_order(damaged)["is_skyrmion_lattice"]


def test_shipped_model_loads_with_the_default_physics():
    model, info = load_model_file(default_model_path(), params=SDModelParams())
    assert info.training_metrics["train_lattice_size"] == 12
    assert "## Measured accuracy" in model_card()
    # --solver cnn without --model means the shipped model
    solver = build_solver(SolverConfig(kind="cnn"))
    assert solver.info.dataset_checksum == info.dataset_checksum
    assert resolve_model_file("") == resolve_model_file(None) == default_model_path()
    assert DemoConfig().solver().cnn.model_file == str(default_model_path())


def test_shipped_energy_model_is_the_monte_carlo_default():
    model, info = load_model_file(energy_model_path(), params=SDModelParams())
    assert is_energy_model(model) and info.training_metrics["train_lattice_size"] == 12
    assert "## Phase energies" in model_card(energy=True)
    assert resolve_model_file("", energy=True) == resolve_model_file(None, energy=True)
    assert resolve_model_file(None, energy=True) == energy_model_path()
    # `torquenet mc` without --model samples with it
    energies = load_energy_model(MonteCarloConfig())
    assert energies.energy_radius == model.config.energy_radius


def test_demo_runs_resumes_and_reports(tmp_path):
    config = DemoConfig(L=12, restoration_steps=6, stability_steps=4, save_every=2)
    summary = run_demo(tmp_path, config)
    for stage, steps in (("restoration", 6), ("stability", 4)):
        assert summary[stage]["steps"] == steps
        assert summary[stage]["final"]["ideal_skyrmions"] == 6
        assert (tmp_path / stage / "snapshots.png").is_file()
        assert (tmp_path / stage / "peak_intensity.png").is_file()
    text = (tmp_path / "summary.txt").read_text()
    assert "restoration: 6 steps" in text and "stability: 4 steps" in text
    # the stability stage starts where the restoration ended
    from torquenet.data import read_trajectory

    first = read_trajectory(tmp_path / "restoration.h5").spins[-1]
    second = read_trajectory(tmp_path / "stability.h5").spins[0]
    np.testing.assert_array_equal(first, second)
    # a second call reuses the finished stages
    again = run_demo(tmp_path, config)
    assert again["restoration"]["final"] == summary["restoration"]["final"]


def test_interrupted_demo_stage_keeps_its_simulation_time(tmp_path, monkeypatch):
    import time

    import torquenet.runs._demo as demo_module

    real_simulate = demo_module.simulate

    def interrupted(*args, **kwargs):
        time.sleep(0.2)
        raise KeyboardInterrupt

    config = DemoConfig(L=12, restoration_steps=2, stability_steps=0, save_every=1)
    monkeypatch.setattr(demo_module, "simulate", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_demo(tmp_path, config)
    partial = json.loads((tmp_path / "restoration" / "timing.partial.json").read_text())
    assert partial["wall_seconds"] >= 0.2
    monkeypatch.setattr(demo_module, "simulate", real_simulate)
    summary = run_demo(tmp_path, config)
    assert summary["restoration"]["wall_seconds"] >= 0.2  # the interrupted call counts
    assert not (tmp_path / "restoration" / "timing.partial.json").exists()


def test_demo_cli(tmp_path, capsys):
    out = tmp_path / "demo"
    args = ["--L", "12", "--steps", "2", "--stability-steps", "2", "--save-every", "1"]
    assert main(["demo", "--out", str(out), *args]) == 0
    printed = capsys.readouterr().out
    assert "skyrmions / antiskyrmions" in printed
    assert "skyrmion_lattice_at_end" in printed
    assert json.loads((out / "summary.json").read_text())["L"] == 12


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"L": 30}, "L divisible by 12"),
        ({"restoration_steps": 0}, "restoration_steps"),
        ({"stability_steps": -1}, "stability_steps"),
    ],
)
def test_bad_demo_config(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DemoConfig(**kwargs)


def test_missing_model_file_is_a_clear_error(tmp_path, capsys):
    code = main(["demo", "--out", str(tmp_path), "--L", "12", "--model", str(tmp_path / "x.pt")])
    assert code == 2
    assert "x.pt" in capsys.readouterr().err
