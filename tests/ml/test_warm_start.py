"""Warm starts: a trained model file initialises training, widened without changing its output."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from tests.helpers import random_rotation
from torquenet import SDModelParams
from torquenet.ml import (
    EquivariantModelConfig,
    EquivariantTorqueCNN,
    TrainConfig,
    load_model_file,
    train,
    widen_equivariant,
)
from torquenet.textures import random_spins

PARAMS = SDModelParams()
NARROW = EquivariantModelConfig(4, 3, num_blocks=2, radius=1)
WIDE = EquivariantModelConfig(7, 6, num_blocks=2, radius=1)

pytestmark = pytest.mark.usefixtures("single_thread")


def _spins(rng, count=2, L=6):
    x = np.stack([random_spins(L, rng) for _ in range(count)])
    return torch.tensor(np.moveaxis(x, -1, -3), dtype=torch.float64)


def _trained_narrow(config=NARROW) -> EquivariantTorqueCNN:
    """A narrow network with every weight (biases included) non-zero and random."""
    model = EquivariantTorqueCNN(config, torque_scale=0.37).double()
    gen = torch.Generator().manual_seed(11)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=gen, dtype=p.dtype) * 0.5)
    return model


@pytest.mark.parametrize("bond_basis_degree", [0, 2], ids=["linear-lift", "bond-basis"])
def test_widening_preserves_the_function_and_symmetry(rng, bond_basis_degree):
    narrow_config = dataclasses.replace(NARROW, bond_basis_degree=bond_basis_degree)
    wide_config = dataclasses.replace(WIDE, bond_basis_degree=bond_basis_degree)
    narrow = _trained_narrow(narrow_config)
    wide = EquivariantTorqueCNN(wide_config, generator=torch.Generator().manual_seed(2)).double()
    widen_equivariant(wide, narrow.state_dict(), narrow_config)
    x = _spins(rng)
    with torch.no_grad():
        expected, got = narrow(x), wide(x)
    assert float(expected.abs().mean()) > 1e-3  # a non-trivial function
    torch.testing.assert_close(got, expected, atol=1e-12, rtol=0)
    # still exactly SO(3) equivariant after widening
    rotation = torch.tensor(random_rotation(rng))
    rotated = torch.einsum("ab,nbij->naij", rotation, x)
    with torch.no_grad():
        torch.testing.assert_close(
            wide(rotated), torch.einsum("ab,nbij->naij", rotation, got), atol=1e-12, rtol=0
        )


def test_widened_network_learns_through_the_new_channels(rng):
    narrow = _trained_narrow()
    wide = EquivariantTorqueCNN(WIDE, generator=torch.Generator().manual_seed(2)).double()
    widen_equivariant(wide, narrow.state_dict(), NARROW)
    x = _spins(rng)
    wide(x).square().sum().backward()
    # the zeroed connections out of the new channels receive gradient, so training grows them
    assert float(wide.head.weight.grad[:, NARROW.vector_channels :].abs().max()) > 0
    assert float(wide.blocks[0].gate.weight.grad[:, NARROW.scalar_channels :].abs().max()) > 0


@pytest.mark.parametrize(
    ("config", "match"),
    [
        (EquivariantModelConfig(7, 6, num_blocks=3, radius=1), "same depth, radius and bond"),
        (EquivariantModelConfig(7, 6, 2, radius=1, bond_basis_degree=2), "bond_basis_degree"),
        (EquivariantModelConfig(3, 6, num_blocks=2, radius=1), "widening only adds channels"),
    ],
)
def test_widening_refuses_other_shapes(config, match):
    with pytest.raises(ValueError, match=match):
        widen_equivariant(EquivariantTorqueCNN(config), _trained_narrow().state_dict(), NARROW)


def test_training_starts_from_a_model_file(tiny_datasets, tmp_path):
    train_set, val_set = tiny_datasets
    quick = TrainConfig(model=NARROW, batch_size=4, epochs=2, device="cpu", seed=5, augment=False)
    first = train(quick, train_set, val_set, tmp_path / "narrow", params=PARAMS)
    narrow, _ = load_model_file(first.model_path)
    # zero learning rate: the widened start must reproduce the narrow model's validation loss
    frozen = dataclasses.replace(
        quick,
        model=WIDE,
        epochs=1,
        learning_rate=1e-30,
        min_learning_rate=0.0,
        initial_model=str(first.model_path),
    )
    second = train(frozen, train_set, val_set, tmp_path / "wide", params=PARAMS)
    assert second.history[0]["val_loss"] == pytest.approx(first.best_val_loss, rel=1e-5)
    other = dataclasses.replace(SDModelParams(), chemical_potential=-3.0)
    with pytest.raises(ValueError, match="chemical_potential"):
        train(frozen, train_set, val_set, tmp_path / "other", params=other)
