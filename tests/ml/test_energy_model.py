"""The conservative energy model: fields are -dOmega/dS, Omega is exactly invariant."""

import json

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

from tests.helpers import random_rotation
from tests.ml.conftest import TINY_L
from torquenet import EDSolver, SDModelParams
from torquenet.lattice import TriangularLattice
from torquenet.ml import (
    CNNSolver,
    EnergyModelConfig,
    EquivariantEnergyCNN,
    EquivariantModelConfig,
    EquivariantTorqueCNN,
    TensorPairDataset,
    TrainConfig,
    halo_radius,
    initialize_from_file,
    load_model_file,
    save_model_file,
    train,
)
from torquenet.textures import random_spins

SMALL = EnergyModelConfig(
    vector_channels=6, scalar_channels=6, num_blocks=2, radius=1, bond_basis_degree=2, head_width=8
)
# float64: identities hold to rounding of O(1e2) accumulated operations on O(10) energies.
ATOL_FLOAT64 = 1e-11


@pytest.fixture
def model():
    net = EquivariantEnergyCNN(
        SMALL, torque_scale=0.02, energy_offset=-0.35, generator=torch.Generator().manual_seed(4)
    )
    return net.double().eval()


def _channels_first(spins):
    return torch.tensor(np.moveaxis(spins, -1, -3), dtype=torch.float64)


def _omega(model, spins):
    with torch.no_grad():
        return model.grand_potential(_channels_first(spins)).numpy()


def _fields(model, spins):
    fields, _ = model.fields(_channels_first(spins))
    return np.moveaxis(fields.numpy(), -3, -1)


def test_fields_are_minus_the_gradient_of_omega_by_finite_differences(model, rng):
    spins = random_spins(8, rng)
    fields = _fields(model, spins[None])[0]
    step = 1e-5
    for _ in range(12):
        i, j, a = rng.integers(8), rng.integers(8), rng.integers(3)
        plus, minus = spins.copy(), spins.copy()
        plus[i, j, a] += step
        minus[i, j, a] -= step
        derivative = (_omega(model, plus[None])[0] - _omega(model, minus[None])[0]) / (2 * step)
        # central difference: O(step^2) truncation, rounding ~1e-16 * |Omega| / step ~ 1e-10
        assert abs(-derivative - fields[i, j, a]) < 1e-8 * max(1.0, abs(fields[i, j, a]))
    assert np.abs(fields).max() > 1e-4  # a real, non-trivial field was checked


def test_omega_is_exactly_invariant_and_fields_equivariant(model, rng):
    lattice = TriangularLattice(12)
    spins = random_spins(12, rng)
    omega = _omega(model, spins[None])[0]
    fields = _fields(model, spins[None])[0]
    rot = random_rotation(rng)
    assert abs(_omega(model, (spins @ rot.T)[None])[0] - omega) < ATOL_FLOAT64
    assert_allclose(_fields(model, (spins @ rot.T)[None])[0], fields @ rot.T, atol=ATOL_FLOAT64)
    # time reversal: Omega even, field odd
    assert abs(_omega(model, -spins[None])[0] - omega) < ATOL_FLOAT64
    assert_allclose(_fields(model, -spins[None])[0], -fields, rtol=0, atol=ATOL_FLOAT64)
    for op in lattice.point_group:
        moved = lattice.apply_point_group(spins, op)
        assert abs(_omega(model, moved[None])[0] - omega) < ATOL_FLOAT64
        assert_allclose(
            _fields(model, moved[None])[0],
            lattice.apply_point_group(fields, op),
            rtol=0,
            atol=ATOL_FLOAT64,
        )
    shifted = lattice.translate(spins, (5, 2))
    assert abs(_omega(model, shifted[None])[0] - omega) < ATOL_FLOAT64
    assert_allclose(
        _fields(model, shifted[None])[0], lattice.translate(fields, (5, 2)), atol=ATOL_FLOAT64
    )
    # and a different texture has a different energy (the checks above can fail)
    assert abs(_omega(model, random_spins(12, rng)[None])[0] - omega) > 1e-6


def test_forward_gives_the_perpendicular_fields_under_inference_mode(model, rng):
    spins = _channels_first(random_spins(6, rng)[None])
    fields, energies = model.fields(spins)
    with torch.inference_mode():
        torques, site = model(spins, with_energy=True)
    assert not torques.requires_grad
    along = (fields * spins).sum(dim=1, keepdim=True)
    assert_allclose(torques.numpy(), (fields - along * spins).numpy(), atol=1e-14)
    assert_allclose(site.numpy(), energies.numpy(), atol=1e-14)
    assert np.abs((torques * spins).sum(dim=1).numpy()).max() < 1e-14


def test_field_receptive_radius_is_twice_the_energy_radius(model, rng):
    r = SMALL.energy_radius
    assert halo_radius(SMALL) == 2 * r == SMALL.receptive_field_radius
    spins = random_spins(16, rng)
    moved = spins.copy()
    far = (2 * r + 1, 0)  # just outside the field's support of site (0, 0)
    moved[far] = -moved[far]
    assert_allclose(_fields(model, moved[None])[0, 0, 0], _fields(model, spins[None])[0, 0, 0])
    near = (2 * r, 0)
    moved = spins.copy()
    moved[near] = -moved[near]
    assert (
        np.abs(_fields(model, moved[None])[0, 0, 0] - _fields(model, spins[None])[0, 0, 0]).max()
        > 0
    )


def test_solver_returns_omega_tiled_equals_untiled_and_float64_on_request(rng):
    net = EquivariantEnergyCNN(SMALL, 0.02, torch.Generator().manual_seed(1), energy_offset=-0.3)
    spins = random_spins(24, rng)
    whole = CNNSolver(net, SDModelParams())
    assert whole.provides_energy and not whole.tile_plan(24).tiled
    tiled = CNNSolver(net, SDModelParams(), tile_size=8)
    assert tiled.tile_plan(24).tiled and tiled.tile_plan(24).halo == 2 * SMALL.energy_radius
    a, b = whole.compute(spins), tiled.compute(spins)
    assert_allclose(b.fields, a.fields, rtol=0, atol=1e-6 * np.abs(a.fields).max())
    assert abs(b.grand_potential - a.grand_potential) < 1e-6 * abs(a.grand_potential)
    double = CNNSolver(net, SDModelParams(), dtype="float64").compute(np.stack([spins, spins]))
    assert double.grand_potential.shape == (2,)
    assert abs(double.grand_potential[0] - a.grand_potential) < 1e-5 * abs(a.grand_potential)
    with pytest.raises(ValueError, match="dtype must be 'float32' or 'float64', got 'half'"):
        CNNSolver(net, SDModelParams(), dtype="half")


def test_torque_models_still_have_no_energy(rng):
    net = EquivariantTorqueCNN(EquivariantModelConfig(4, 4, num_blocks=1, radius=1))
    result = CNNSolver(net, SDModelParams()).compute(random_spins(6, rng))
    assert result.grand_potential is None


def test_model_file_round_trip_keeps_the_energy(tmp_path, model, rng):
    path = save_model_file(
        tmp_path / "e.pt", model.float(), params=SDModelParams(), dataset_checksum="test"
    )
    again, info = load_model_file(path)
    assert isinstance(again, EquivariantEnergyCNN) and info.model_config == SMALL
    assert float(again.energy_offset) == pytest.approx(-0.35)
    spins = _channels_first(random_spins(6, rng)[None]).float()
    with torch.no_grad():
        assert torch.equal(again.grand_potential(spins), model.grand_potential(spins))


@pytest.fixture(scope="module")
def omega_pairs():
    """16 random 6 x 6 textures with exact torques and Omega (plain ED)."""
    rng = np.random.default_rng(17)
    spins = np.stack([random_spins(TINY_L, rng) for _ in range(16)])
    result = EDSolver(SDModelParams()).compute(spins)
    fields = result.fields
    torques = fields - np.sum(fields * spins, axis=-1, keepdims=True) * spins
    return spins, torques, np.asarray(result.grand_potential), np.arange(16) % 2


def _splits(omega_pairs, with_omega: bool):
    """(train, validation): the first 12 and the last 4 textures, with or without Omega."""
    spins, torques, omega, starts = omega_pairs
    return tuple(
        TensorPairDataset.from_site_arrays(
            spins[rows], torques[rows], starts[rows], omega[rows] if with_omega else None
        )
        for rows in (slice(0, 12), slice(12, None))
    )


def _config(**extra):
    settings = {"batch_size": 4, "epochs": 3, "device": "cpu", "learning_rate": 3e-3, **extra}
    model = EnergyModelConfig(4, 4, num_blocks=1, radius=1, bond_basis_degree=1, head_width=4)
    return TrainConfig(model=model, **settings)


def test_energy_model_trains_on_torques_and_omega(omega_pairs, single_thread, tmp_path):
    spins, torques, omega, _ = omega_pairs
    train_set, val_set = _splits(omega_pairs, with_omega=True)
    result = train(
        _config(),
        train_set,
        val_set,
        tmp_path / "run",
        params=SDModelParams(),
        dataset_checksum="test",
    )
    first, last = result.history[0], result.history[-1]
    assert {"val_torque_loss", "val_energy_mae_per_site"} <= set(last)
    # the loss that selects the model is the training objective, torques + weighted Omega
    scale = float(np.mean(np.linalg.norm(torques[:12], axis=-1)))
    assert last["val_loss"] == pytest.approx(
        last["val_torque_loss"] + last["val_energy_mae_per_site"] / scale, rel=1e-5
    )
    assert last["train_loss"] < first["train_loss"]
    model, _ = load_model_file(result.model_path)
    # the offset starts at the training mean of Omega per site
    assert abs(float(model.energy_offset) - omega[:12].mean() / 36) < 1e-6
    solver = CNNSolver(model, SDModelParams())
    predicted = solver.compute(spins[12:]).grand_potential / 36
    assert np.abs(predicted - omega[12:] / 36).mean() == pytest.approx(
        result.history[result.best_epoch - 1]["val_energy_mae_per_site"], rel=1e-3
    )


def test_energy_loss_without_omega_labels_is_refused(omega_pairs, tmp_path):
    train_set, val_set = _splits(omega_pairs, with_omega=False)
    with pytest.raises(ValueError, match="energy_loss_weight = 1.0 needs Omega"):
        train(
            _config(),
            train_set,
            val_set,
            tmp_path / "run",
            params=SDModelParams(),
            dataset_checksum="test",
        )
    # with weight 0 it trains on torques alone
    result = train(
        _config(energy_loss_weight=0.0, epochs=1),
        train_set,
        val_set,
        tmp_path / "run0",
        params=SDModelParams(),
    )
    assert "val_energy_mae_per_site" not in result.history[-1]


def test_warm_start_from_a_torque_model_takes_its_backbone(tmp_path, rng):
    torque_config = EquivariantModelConfig(4, 4, num_blocks=1, radius=1, bond_basis_degree=1)
    direct = EquivariantTorqueCNN(torque_config, 0.03, torch.Generator().manual_seed(2))
    path = save_model_file(
        tmp_path / "direct.pt", direct, params=SDModelParams(), dataset_checksum="test"
    )
    energy_config = EnergyModelConfig(4, 4, num_blocks=1, radius=1, bond_basis_degree=1)
    energy = EquivariantEnergyCNN(energy_config, 1.0, torch.Generator().manual_seed(3))
    initialize_from_file(energy, str(path), SDModelParams())
    for name, value in direct.state_dict().items():
        if not name.startswith("head."):
            assert torch.equal(energy.state_dict()[name], value), name
    # with the same nonlinearity the features are the torque model's, bit for bit
    relu = EnergyModelConfig(4, 4, num_blocks=1, radius=1, bond_basis_degree=1, activation="relu")
    same = EquivariantEnergyCNN(relu)
    initialize_from_file(same, str(path), SDModelParams())
    spins = _channels_first(random_spins(6, rng)[None]).float()
    with torch.no_grad():
        assert torch.equal(same.features(spins)[1], direct.features(spins)[1])
    wider = EnergyModelConfig(8, 4, num_blocks=1, radius=1, bond_basis_degree=1)
    with pytest.raises(ValueError, match="vector_channels trained 4 vs requested 8"):
        initialize_from_file(EquivariantEnergyCNN(wider), str(path), SDModelParams())


def test_bad_energy_configs_are_refused():
    with pytest.raises(ValueError, match="activation must be one of"):
        EnergyModelConfig(activation="tanh")
    with pytest.raises(ValueError, match="architecture must be 'energy'"):
        EnergyModelConfig(architecture="equivariant")


def test_fields_cli_writes_the_energy_of_ed_and_of_energy_models(tmp_path, rng):
    from torquenet.cli import main

    spins = random_spins(6, rng)
    np.save(tmp_path / "in.npy", spins)
    out = tmp_path / "ed.npy"
    assert main(["fields", "--spins", str(tmp_path / "in.npy"), "--out", str(out)]) == 0
    record = json.loads((tmp_path / "ed.energy.json").read_text())
    exact = EDSolver(SDModelParams()).compute(spins).grand_potential
    assert record["grand_potential"] == pytest.approx(exact, rel=1e-12)
    assert record["grand_potential_per_site"] == pytest.approx(exact / 36, rel=1e-12)
    net = EquivariantEnergyCNN(SMALL, 0.02, torch.Generator().manual_seed(1), energy_offset=-0.3)
    model_file = save_model_file(
        tmp_path / "e.pt", net, params=SDModelParams(), dataset_checksum="test"
    )
    args = ["fields", "--spins", str(tmp_path / "in.npy"), "--solver", "cnn"]
    assert main([*args, "--model", str(model_file), "--out", str(tmp_path / "e.npy")]) == 0
    record = json.loads((tmp_path / "e.energy.json").read_text())
    expected = CNNSolver(net, SDModelParams()).compute(spins).grand_potential
    assert record["grand_potential"] == pytest.approx(expected, rel=1e-12)
    assert record["solver"] == "cnn"
    # a torque model has no energy: no file
    direct = EquivariantTorqueCNN(EquivariantModelConfig(4, 4, num_blocks=1, radius=1))
    direct_file = save_model_file(
        tmp_path / "d.pt", direct, params=SDModelParams(), dataset_checksum="test"
    )
    assert main([*args, "--model", str(direct_file), "--out", str(tmp_path / "d.npy")]) == 0
    assert not (tmp_path / "d.energy.json").exists()
