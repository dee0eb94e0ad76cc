import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

from tests.helpers import random_rotation
from torquenet.analysis import (
    angle_error_degrees,
    brillouin_zone_corners,
    effective_receptive_field,
    equivariance_errors,
    plot_receptive_field,
    plot_structure_factor,
    receptive_field_radius,
    relative_magnitude_error,
    save_figure,
    torque_metrics,
)
from torquenet.lattice import TriangularLattice
from torquenet.ml import torque_angles_degrees
from torquenet.observables import peak_intensity, structure_factor
from torquenet.textures import random_spins, skyrmion_lattice, spiral

ATOL_EXACT = 1e-12


@pytest.mark.parametrize("kernel", [3, 5])
def test_erf_of_a_single_convolution_is_exactly_its_kernel_support(kernel, rng):
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(3, 3, kernel, padding=kernel // 2, padding_mode="circular").double()
    L = 12
    site = (4, 7)
    erf = effective_receptive_field(conv, random_spins(L, rng), site)
    support = np.abs(erf).sum(axis=(0, 1)) > 0
    expected = np.zeros((L, L), dtype=bool)
    r = kernel // 2
    for di in range(-r, r + 1):
        for dj in range(-r, r + 1):
            expected[(site[0] + di) % L, (site[1] + dj) % L] = True
    assert np.array_equal(support, expected)
    # and the gradients are the kernel weights themselves (flipped cross-correlation offsets)
    w = conv.weight.detach().numpy()
    assert_allclose(erf[:, :, site[0] - r, site[1] - r], w[:, :, 0, 0], rtol=0, atol=ATOL_EXACT)


def test_receptive_field_radius_of_a_point_is_zero_and_grows():
    erf = np.zeros((3, 3, 12, 12))
    erf[0, 0, 6, 6] = 1.0
    assert receptive_field_radius(erf, (6, 6)) == 0.0
    erf[0, 0, 7, 6] = 1.0  # nearest neighbour, half the weight
    assert_allclose(receptive_field_radius(erf, (6, 6)), 1.0, rtol=0, atol=ATOL_EXACT)


def test_peak_intensity_of_spiral_and_size_check():
    q1 = np.array([np.pi / 3, 0.0])
    sq = structure_factor(spiral(24, q1))
    # the spiral puts 1/2 on +-Q1 and nothing on the other four: mean over six = 1/6
    assert_allclose(peak_intensity(sq), 1.0 / 6.0, rtol=0, atol=ATOL_EXACT)
    with pytest.raises(ValueError, match="divisible by 12; got L = 18"):
        peak_intensity(np.zeros((18, 18)))


def test_brillouin_zone_corners_are_k_points():
    corners = brillouin_zone_corners()
    assert_allclose(np.linalg.norm(corners, axis=1), 4 * np.pi / 3, rtol=0, atol=ATOL_EXACT)
    # K is equidistant from Gamma and from the reciprocal lattice vectors b1, b1 + b2
    b = TriangularLattice(1).reciprocal_vectors
    for k in corners[:-1]:
        others = [np.linalg.norm(k - g) for g in (b[0], b[1], b[0] + b[1], -b[0], -b[1])]
        assert min(others) >= np.linalg.norm(k) - 1e-9


def test_metrics_zero_for_perfect_prediction_and_known_angle(rng):
    t = rng.standard_normal((4, 6, 6, 3))
    m = torque_metrics(t, t)
    assert m["eq11_loss"] == 0.0 and m["angle_deg_p99"] <= 1e-6
    rot = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])  # 90 deg about z
    planar = t * np.array([1.0, 1.0, 0.0])
    m = torque_metrics(planar @ rot.T, planar)
    assert_allclose(m["angle_deg_p50"], 90.0, rtol=0, atol=1e-9)
    assert_allclose(m["abs_rel_magnitude_error_p99"], 0.0, rtol=0, atol=1e-12)
    # magnitude errors carry their sign; channels-last numpy agrees with the training metrics
    assert_allclose(relative_magnitude_error(0.5 * t, t), -0.5, rtol=0, atol=1e-12)
    channels_first = (
        torch.tensor(np.moveaxis(planar @ rot.T, -1, 1)),
        torch.tensor(np.moveaxis(planar, -1, 1)),
    )
    assert_allclose(
        torque_angles_degrees(*channels_first).numpy(),
        angle_error_degrees(planar @ rot.T, planar),
        rtol=0,
        atol=1e-12,
    )


def _exchange_torque(spins):
    """S_i x sum_nn S_j: exactly SO(3)- and D6-equivariant."""
    L = spins.shape[-2]
    nn = TriangularLattice(L).neighbor_table(1)
    flat = spins.reshape(spins.shape[0], L * L, 3)
    return np.cross(flat, flat[:, nn].sum(axis=2)).reshape(spins.shape)


def test_equivariance_errors_vanish_for_an_equivariant_map_and_not_otherwise(rng):
    spins = np.stack([random_spins(6, rng) for _ in range(2)])
    rots = np.stack([random_rotation(rng) for _ in range(3)])
    errs = equivariance_errors(_exchange_torque, spins, rots)
    assert len(errs) == 13
    assert max(e.max() for e in errs.values()) <= ATOL_EXACT

    def biased(s):
        return _exchange_torque(s) + np.array([0.0, 0.0, 0.1])  # breaks SO(3)

    assert equivariance_errors(biased, spins, rots)["SO(3)"].min() > 0.01


def test_figures_render(tmp_path, rng):
    ax = plot_structure_factor(structure_factor(skyrmion_lattice(12)), title="SkL")
    paths = save_figure(ax.figure, tmp_path / "sq")
    assert [p.suffix for p in paths] == [".png", ".pdf"]
    conv = torch.nn.Conv2d(3, 3, 3, padding=1, padding_mode="circular").double()
    erf = effective_receptive_field(conv, random_spins(12, rng))
    save_figure(plot_receptive_field(erf, (6, 6), radius=1.0), tmp_path / "erf")
    assert (tmp_path / "erf.png").stat().st_size > 10_000


def test_ensemble_structure_factor_averages_runs_and_gives_standard_errors():
    from torquenet.analysis import ensemble_structure_factor, plot_time_series
    from torquenet.textures import ferromagnet

    q1 = np.array([np.pi / 3, 0.0])
    spiral_run = np.stack([spiral(12, q1)] * 3)  # peak intensity 1/6 at every time
    ferro_run = np.stack([ferromagnet(12)] * 3)  # no weight at +-Q_eta
    ens = ensemble_structure_factor([spiral_run, ferro_run], times=np.arange(3.0))
    mean, err = ens.peak_mean_and_error()
    assert_allclose(mean, 1 / 12, rtol=0, atol=ATOL_EXACT)
    assert_allclose(err, (1 / 6) / np.sqrt(2) / np.sqrt(2), rtol=0, atol=ATOL_EXACT)
    assert_allclose(ens.mean.sum(axis=(-2, -1)), 1.0, rtol=0, atol=ATOL_EXACT)
    with pytest.raises(ValueError, match="same"):
        ensemble_structure_factor([spiral_run, ferro_run[:2]], times=np.arange(3.0))
    ax = plot_time_series(ens.times, {"S(Q)": (mean, err)}, ylabel="S(Q)")
    assert ax.get_xlabel().startswith("time")


def test_paired_relative_difference_by_hand_and_sharper_than_unpaired(rng):
    from torquenet.analysis._comparison import paired_relative_difference, relative_difference

    # two runs: d = (0.5, 0.1), D = 0.3, E = 2, delta = 0.15; variances of the means
    # var D = 0.04, var E = 1, cov = -0.2 -> sigma^2 = (0.04 + 0.06 + 0.0225) / 4
    exact, model = np.array([[1.0], [3.0]]), np.array([[1.5], [3.1]])
    delta, sigma = paired_relative_difference(model, exact)
    assert_allclose(delta, [0.15], rtol=0, atol=1e-14)
    assert_allclose(sigma, [0.175], rtol=0, atol=1e-14)
    # runs that scatter a lot between starts but little between model and exact (same start):
    # the paired error bar is far below the unpaired one, and both see the same mean shift
    exact = rng.lognormal(0.0, 0.5, size=(10, 5))
    model = exact * (1.02 + 0.002 * rng.standard_normal(exact.shape))
    paired, paired_err = paired_relative_difference(model, exact)

    def mean_err(x):
        return x.mean(0), x.std(0, ddof=1) / np.sqrt(len(x))

    unpaired, unpaired_err = relative_difference(*mean_err(model), *mean_err(exact))
    assert_allclose(paired, unpaired, rtol=1e-12)
    assert np.all(paired_err < 0.05 * unpaired_err)
    assert np.all(np.abs(paired - 0.02) < 3 * paired_err + 1e-3)


def test_structure_factor_scale_is_logarithmic_where_bragg_peaks_dominate(rng):
    from torquenet.analysis import AnalysisConfig, ComparisonConfig, structure_factor_scale

    assert structure_factor_scale(structure_factor(skyrmion_lattice(24))) == "log"
    assert structure_factor_scale(structure_factor(random_spins(24, rng))) == "linear"
    assert structure_factor_scale(structure_factor(random_spins(24, rng)), "log") == "log"
    for config in (AnalysisConfig, ComparisonConfig):
        with pytest.raises(ValueError, match="structure_factor_scale must be one of"):
            config(structure_factor_scale="sqrt")
    with pytest.raises(ValueError, match="scale must be one of"):
        structure_factor_scale(np.ones((3, 3)), "lin")
