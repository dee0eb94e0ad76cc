"""`torquenet evaluate | erf | analyze | compare` on tiny inputs: files written and numbers checked
against independent computations."""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

import torquenet
from torquenet.analysis import receptive_field_radius
from torquenet.cli import main
from torquenet.config import load_config
from torquenet.data import Trajectory, TrajectoryDataset, read_trajectory, write_trajectory
from torquenet.lattice import TriangularLattice
from torquenet.ml import CNNSolver, ModelConfig, TorqueCNN, save_model_file
from torquenet.observables import (
    count_skyrmions,
    magnetization,
    peak_intensity,
    structure_factor,
    topological_charge,
)
from torquenet.runs import GenerateConfig, SimulationConfig, generate, simulate
from torquenet.textures import nesting_wavevectors, skyrmion_lattice, spiral

#: Sums and differences of float64 FFT outputs and of identical inputs: rounding only.
ATOL_EXACT = 1e-12
#: The topological charge is an integer up to the rounding of 2 L^2 arctangents.
ATOL_CHARGE = 1e-9
#: The recomputation predicts frame by frame, the command in batches: the float32 network rounds
#: differently (relative ~1e-7 per torque), so the losses agree to float32 precision only.  Wrong
#: frames, units or normalisation change the loss by O(1).
RTOL_RECOMPUTED = 1e-5

L = 12
#: Tiny network: one 3 x 3 ResNet block + head, theoretical receptive field 1 + 2 * 4 = 9 sites.
TINY_MODEL = ModelConfig(widths=(4,), kernel_size=3)
FIGURE_STEMS_EVALUATE = ("parity", "magnitude_angle", "equivariance", "equivariance_d6")


pytestmark = pytest.mark.usefixtures("single_thread")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Exact (ED) trajectories at L = 12, 10 steps saved every 5: the ideal skyrmion lattice, four
    random starts, and one random start saved on another schedule."""
    torch.set_num_threads(1)
    directory = tmp_path_factory.mktemp("runs")
    base = SimulationConfig(L=L, num_steps=10, save_every=5, checkpoint_every=10)
    paths = {"skl": simulate(replace(base, init="skl"), directory / "skl.h5")}
    for seed in (1, 2, 3, 4):
        paths[f"random{seed}"] = simulate(replace(base, seed=seed), directory / f"r{seed}.h5")
    paths["other_times"] = simulate(replace(base, save_every=2), directory / "other.h5")
    return paths


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """The tiny dataset (2 + 2 trajectories, L = 12), shortened to 10 steps (2 frames each)."""
    torch.set_num_threads(1)
    config = load_config(Path(torquenet.__file__).parent / "configs/data_tiny.yaml", GenerateConfig)
    config = replace(config, num_steps=10)
    directory = tmp_path_factory.mktemp("data")
    generate(config, directory)
    return directory, config


def _model_file(path, dataset, *, zero=False, **physics):
    directory, config = dataset
    scale = TrajectoryDataset(directory, "all", verify=False).torque_scale
    model = TorqueCNN(TINY_MODEL, torque_scale=scale, generator=torch.Generator().manual_seed(3))
    if zero:
        with torch.no_grad():
            for parameter in model.parameters():
                parameter.zero_()
    params = replace(config.model, **physics)
    return save_model_file(path, model, params=params, dataset_checksum="test")


def _outputs(directory, stems):
    return all((directory / f"{s}.{ext}").is_file() for s in stems for ext in ("png", "pdf"))


# ----------------------------------------------------------------------------- analyze
def test_analyze_skyrmion_lattice_charge_count_peaks_and_normalisation(runs, tmp_path):
    out = tmp_path / "analysis"
    assert main(["analyze", str(runs["skl"]), "--out", str(out), "--movie"]) == 0
    stems = ("structure_factor_panels", "peak_intensity", "topology", "energy", "snapshots")
    assert _outputs(out, stems)
    numbers = json.loads((out / "numbers.json").read_text())
    series = {k: np.asarray(v) for k, v in numbers["series"].items()}
    num_frames = len(read_trajectory(runs["skl"]).times)
    assert numbers["num_frames"] == num_frames == len(series["time"])
    # one skyrmion of charge -1 per 24 sites of the ansatz (Eq. 13), kept by the LLG run
    assert_allclose(series["topological_charge_mean"], -6.0, rtol=0, atol=ATOL_CHARGE)
    assert np.all(series["num_negative_objects_mean"] == 6)
    assert np.all(series["num_positive_objects_mean"] == 0)
    # the largest S(q != 0) sits on one of the six +-Q_eta, |Q| = pi / 3
    assert series["dominant_at_nesting_vector"].all()
    assert_allclose(series["dominant_q_abs"], np.pi / 3, rtol=0, atol=ATOL_EXACT)
    # at t = 0 the texture is the ansatz itself: compare with an independent evaluation
    expected = peak_intensity(structure_factor(skyrmion_lattice(L)))
    assert_allclose(series["peak_intensity_mean"][0], expected, rtol=0, atol=ATOL_EXACT)
    # the stated normalisation: sum_q S(q, t) = 1 at every time, S >= 0
    stored = np.load(out / "structure_factor.npz")
    assert stored["structure_factor"].shape == (num_frames, L, L)
    assert_allclose(stored["structure_factor"].sum(axis=(1, 2)), 1.0, rtol=0, atol=ATOL_EXACT)
    assert stored["structure_factor"].min() >= 0
    assert "sum_q S(q) = 1" in numbers["structure_factor_normalisation"]
    assert "energy_per_site_mean" in series
    from PIL import Image

    with Image.open(out / "movie.gif") as movie:
        assert movie.n_frames == num_frames
    with open(out / "numbers.csv") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][0] == "time" and len(rows) == 1 + num_frames


def test_analyze_averages_runs_with_standard_errors(runs, tmp_path):
    out = tmp_path / "analysis"
    paths = [str(runs["random1"]), str(runs["random2"])]
    assert main(["analyze", *paths, "--out", str(out), "--times", "0.4", "1.0"]) == 0
    numbers = json.loads((out / "numbers.json").read_text())
    assert numbers["num_runs"] == 2
    assert numbers["panel_times"] == [0.5, 1.0]  # nearest saved frames
    per_run = np.stack([peak_intensity(structure_factor(read_trajectory(p).spins)) for p in paths])
    series = numbers["series"]
    assert_allclose(series["peak_intensity_mean"], per_run.mean(0), rtol=0, atol=ATOL_EXACT)
    # standard error of the mean of two values: |a - b| / 2
    expected_error = np.abs(per_run[0] - per_run[1]) / 2
    assert_allclose(series["peak_intensity_error"], expected_error, rtol=0, atol=ATOL_EXACT)
    charges = np.stack([read_trajectory(p).topological_charge for p in paths])
    assert_allclose(series["topological_charge_mean"], charges.mean(0), rtol=0, atol=ATOL_EXACT)


def test_analyze_single_q_spiral_peaks_at_plus_minus_q_with_half_the_weight_each(tmp_path):
    """Acceptance test of the stated normalisation: a coplanar spiral has S(+-Q) = 1/2."""
    q1 = nesting_wavevectors()[0]
    spins = np.stack([spiral(L, q1)] * 2)
    path = write_trajectory(
        tmp_path / "spiral.h5",
        Trajectory(
            spins=spins,
            times=np.array([0.0, 1.0]),
            steps=np.array([0, 10]),
            topological_charge=topological_charge(spins),
            magnetization=magnetization(spins),
            attributes={"config": "{}", "seed": 0, "seed_derivation": "-", "llg_equation": "-"},
        ),
    )
    out = tmp_path / "analysis"
    assert main(["analyze", str(path), "--out", str(out), "--panels", "1"]) == 0
    sq = np.load(out / "structure_factor.npz")["structure_factor"][0]
    lattice = TriangularLattice(L)
    plus, minus = lattice.momentum_index(q1), lattice.momentum_index(-q1)
    assert_allclose([sq[plus], sq[minus]], [0.5, 0.5], rtol=0, atol=ATOL_EXACT)
    assert_allclose(sq.sum(), 1.0, rtol=0, atol=ATOL_EXACT)
    final = json.loads((out / "numbers.json").read_text())["final"]
    # all the weight sits in two of the six +-Q_eta: mean over six = 1/6, fraction = 1
    assert_allclose(final["peak_intensity_mean"], 1 / 6, rtol=0, atol=ATOL_EXACT)
    assert_allclose(final["peak_weight_fraction"], 1.0, rtol=0, atol=ATOL_EXACT)
    assert final["dominant_at_nesting_vector"] is True
    assert final["num_negative_objects_mean"] == final["num_positive_objects_mean"] == 0


def test_analyze_refuses_bad_times_and_mixed_schedules(runs, tmp_path, capsys):
    out = str(tmp_path / "analysis")
    assert main(["analyze", str(runs["random1"]), "--out", out, "--times", "50"]) == 2
    assert "outside the saved times" in capsys.readouterr().err
    assert main(["analyze", str(runs["random1"]), str(runs["other_times"]), "--out", out]) == 2
    assert "matching save times" in capsys.readouterr().err


def test_count_skyrmions_separates_the_two_charges():
    texture = skyrmion_lattice(L)
    assert count_skyrmions(texture) == (6, 0)
    assert count_skyrmions(texture * np.array([1.0, 1.0, -1.0])) == (0, 6)  # charge flips
    assert count_skyrmions(np.broadcast_to([0.0, 0.0, 1.0], (L, L, 3)).copy()) == (0, 0)


# ----------------------------------------------------------------------------- compare
def test_compare_ensemble_with_itself_has_zero_difference_and_passes(runs, tmp_path):
    out = tmp_path / "compare"
    ensemble = [str(runs["random1"]), str(runs["random2"])]
    argv = ["compare", "--exact", *ensemble, "--model", *ensemble, "--out", str(out)]
    assert main([*argv, "--panels", "2"]) == 0
    assert _outputs(out, ("structure_factor_comparison", "peak_comparison"))
    result = json.loads((out / "comparison.json").read_text())
    assert result["summary"]["passed"] is True
    assert result["summary"]["max_abs_relative_difference"] == 0.0
    assert result["summary"]["tolerance"] == 0.1
    assert np.all(np.asarray(result["series"]["structure_factor_l1_distance"]) == 0.0)
    # the same starts on both sides: the paired difference is reported, and is exactly zero
    assert result["summary"]["paired"]["max_abs_relative_difference"] == 0.0
    assert result["summary"]["paired"]["standard_error_at_max"] == 0.0


def test_compare_different_ensembles_fails_a_tight_tolerance(runs, tmp_path, capsys):
    out = tmp_path / "compare"
    exact = [str(runs["random1"]), str(runs["random2"])]
    model = [str(runs["random3"]), str(runs["random4"])]
    argv = ["compare", "--exact", *exact, "--model", *model, "--out", str(out), "--panels", "1"]
    assert main([*argv, "--tolerance", "0.01"]) == 1
    result = json.loads((out / "comparison.json").read_text())
    series = {k: np.asarray(v, dtype=float) for k, v in result["series"].items()}
    assert result["summary"]["passed"] is False
    # independent: the relative difference of the run-averaged peak intensities
    exact_peak, model_peak = (
        np.mean([peak_intensity(structure_factor(read_trajectory(p).spins)) for p in paths], 0)
        for paths in (exact, model)
    )
    expected = (model_peak - exact_peak) / exact_peak
    assert_allclose(series["relative_difference"], expected, rtol=0, atol=ATOL_EXACT)
    assert result["summary"]["max_abs_relative_difference"] == pytest.approx(
        np.abs(expected).max(), rel=0, abs=ATOL_EXACT
    )
    assert result["summary"]["max_abs_relative_difference"] > 0.01
    assert result["summary"]["paired"] is None  # different starts: no paired difference
    assert '"passed": false' in capsys.readouterr().out


def test_compare_refuses_mismatched_save_times(runs, tmp_path, capsys):
    argv = ["compare", "--exact", str(runs["random1"]), "--model", str(runs["other_times"])]
    assert main([*argv, "--out", str(tmp_path / "c")]) == 2
    assert "same dt, number of steps and save interval" in capsys.readouterr().err


# ----------------------------------------------------------------------------- evaluate
def _eq11_by_start_type(model_path, directory):
    """Eq. (11) per start type, recomputed from the dataset frames and the solver directly."""
    data = TrajectoryDataset(directory, "validation", normalize=False)
    solver = CNNSolver.from_file(model_path)
    losses: dict[str, list] = {}
    for item in range(len(data)):
        spins, true = data.frame(item)
        predicted = solver.compute(spins).fields
        per_site = np.abs(predicted - true).sum(-1) / np.linalg.norm(true, axis=-1)
        start = data.units[data.index[item][0]].start_type
        losses.setdefault(start, []).append(per_site.ravel())
    data.close()
    return {start: float(np.concatenate(v).mean()) for start, v in losses.items()}


def test_evaluate_writes_figures_and_metrics_that_match_a_recomputation(dataset, tmp_path):
    model = _model_file(tmp_path / "model.pt", dataset)
    out = tmp_path / "eval"
    argv = ["evaluate", "--model", str(model), "--data", str(dataset[0]), "--out", str(out)]
    assert main(argv) == 0
    assert _outputs(out, FIGURE_STEMS_EVALUATE)
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["per_start_type"]) == {"random", "skyrmion"}
    for start, loss in _eq11_by_start_type(model, dataset[0]).items():
        got = metrics["per_start_type"][start]
        assert got["num_sites"] == got["num_frames"] * L * L
        assert_allclose(got["eq11_loss"], loss, rtol=RTOL_RECOMPUTED, atol=0)
    equivariance = metrics["equivariance"]
    assert len(equivariance["D6"]) == 12
    assert equivariance["D6"]["R0"]["abs_error_p99"] == 0.0  # the identity
    # an untrained square-grid CNN is neither SO(3)- nor D6-equivariant
    assert equivariance["SO(3)"]["abs_error_p50"] > 0
    assert equivariance["D6_pooled_nontrivial"]["abs_error_p50"] > 0
    assert metrics["model_info"]["theoretical_receptive_field"] == 9


def test_evaluate_zero_model_gives_known_errors_and_exact_equivariance(dataset, tmp_path):
    """T_pred = 0: |rel. magnitude error| = 1 on every site, Eq. (11) = mean |T|_1 / |T|_2, and
    every equivariance error vanishes exactly; also exercises the log axes with zero data."""
    model = _model_file(tmp_path / "zero.pt", dataset, zero=True)
    out = tmp_path / "eval"
    argv = ["evaluate", "--model", str(model), "--data", str(dataset[0]), "--out", str(out)]
    assert main([*argv, "--max-frames", "2", "--rotations", "2"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert {m["num_frames"] for m in metrics["per_start_type"].values()} == {1}
    overall = metrics["all"]
    assert overall["abs_rel_magnitude_error_p50"] == 1.0
    # --max-frames 2 keeps the first frame of each start type of the validation split
    data = TrajectoryDataset(dataset[0], "validation", normalize=False)
    first = {}
    for item, (unit, _) in enumerate(data.index):
        first.setdefault(data.units[unit].start_type, item)
    assert len(data) > 2 and overall["num_sites"] == 2 * L * L
    true = np.stack([data.frame(item)[1] for item in first.values()])
    data.close()
    expected = np.mean(np.abs(true).sum(-1) / np.linalg.norm(true, axis=-1))
    assert_allclose(overall["eq11_loss"], expected, rtol=ATOL_EXACT, atol=0)
    equivariance = metrics["equivariance"]
    for group in [equivariance["SO(3)"], *equivariance["D6"].values()]:
        assert group["abs_error_p99"] == 0.0
    assert _outputs(out, FIGURE_STEMS_EVALUATE)


def test_evaluate_refuses_a_model_of_other_physics(dataset, tmp_path, capsys):
    model = _model_file(tmp_path / "other.pt", dataset, electron_temperature=0.01)
    argv = ["evaluate", "--model", str(model), "--data", str(dataset[0])]
    assert main([*argv, "--out", str(tmp_path / "e")]) == 2
    assert "electron_temperature" in capsys.readouterr().err


# ----------------------------------------------------------------------------- erf
def test_erf_stays_inside_the_theoretical_receptive_field(dataset, tmp_path):
    model = _model_file(tmp_path / "model.pt", dataset)
    out = tmp_path / "erf"
    assert main(["erf", "--model", str(model), "--L", str(L), "--out", str(out)]) == 0
    assert _outputs(out, ("receptive_field",))
    report = json.loads((out / "receptive_field.json").read_text())
    erf = np.load(out / "erf.npy")
    site = tuple(report["site"])
    assert erf.shape == (3, 3, L, L) and site == (L // 2, L // 2)
    # gradients vanish outside the 9 x 9 window of index offsets around the site
    half = report["theoretical_half_width_sites"]
    assert (report["theoretical_receptive_field_sites"], half) == (9, 4)
    offsets = np.abs(np.arange(L) - L // 2)
    outside = (offsets[:, None] > half) | (offsets[None, :] > half)
    assert np.all(erf[..., outside] == 0) and np.any(erf[..., ~outside] != 0)
    # the window's farthest site is 4 (a1 + a2), at distance 4 sqrt(3)
    assert report["radius"] <= report["radii"]["radius_1"] <= 4 * np.sqrt(3) + ATOL_EXACT
    assert report["radius"] == receptive_field_radius(erf, site, 0.99)


def test_erf_refuses_a_skyrmion_texture_that_does_not_fit(dataset, tmp_path, capsys):
    model = _model_file(tmp_path / "model.pt", dataset)
    argv = ["erf", "--model", str(model), "--L", "18", "--texture", "skl"]
    assert main([*argv, "--out", str(tmp_path / "e")]) == 2
    assert "multiple of 12" in capsys.readouterr().err
