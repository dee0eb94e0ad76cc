"""TorqueCNN: shapes, exact translation equivariance, batching, receptive field, presets."""

from __future__ import annotations

import pytest
import torch
from torch.testing import assert_close

from torquenet.ml import (
    MODEL_PRESETS,
    ModelConfig,
    TorqueCNN,
    count_parameters,
    receptive_field,
)

#: float32 rounding of a few-layer network with O(1) activations: ~1e-7 per operation.  Circular
#: padding makes translations exact up to summation order, so 1e-6 catches any boundary effect
#: (which would be O(1)).
ATOL_FLOAT32 = 1e-6

SMALL = ModelConfig(widths=(8, 16), kernel_size=5)

pytestmark = pytest.mark.usefixtures("single_thread")


def random_spins_cf(batch: int, L: int, generator: torch.Generator) -> torch.Tensor:
    """Random unit spins, channels first (batch, 3, L, L), float32."""
    return torch.nn.functional.normalize(torch.randn(batch, 3, L, L, generator=generator), dim=1)


@pytest.fixture
def model() -> TorqueCNN:
    return TorqueCNN(SMALL, torque_scale=0.04, generator=torch.Generator().manual_seed(0)).eval()


@pytest.mark.parametrize("L", [3, 6, 12, 17])
def test_output_shape_equals_input_shape(model, L):
    x = random_spins_cf(2, L, torch.Generator().manual_seed(L))
    assert model(x).shape == x.shape


@pytest.mark.parametrize("shift", [(1, 0), (0, 1), (3, -2), (5, 7)])
def test_exact_translation_equivariance(model, shift):
    x = random_spins_cf(2, 12, torch.Generator().manual_seed(1))
    with torch.no_grad():
        shifted_out = model(torch.roll(x, shift, dims=(2, 3)))
        out_shifted = torch.roll(model(x), shift, dims=(2, 3))
    assert_close(shifted_out, out_shifted, rtol=0, atol=ATOL_FLOAT32)
    # sanity: the output is not trivially translation invariant
    assert (out_shifted - model(x)).abs().max() > 100 * ATOL_FLOAT32


def test_batched_equals_per_sample(model):
    x = random_spins_cf(4, 9, torch.Generator().manual_seed(2))
    with torch.no_grad():
        batched = model(x)
        single = torch.cat([model(x[b : b + 1]) for b in range(4)])
    assert_close(batched, single, rtol=0, atol=ATOL_FLOAT32)


def test_receptive_field_formula_matches_the_gradient_support():
    config = ModelConfig(widths=(4, 4), kernel_size=3)  # RF = 1 + 2 * 6 = 13
    net = TorqueCNN(config, generator=torch.Generator().manual_seed(0))
    L = 21  # larger than the receptive field, so nothing wraps
    x = random_spins_cf(1, L, torch.Generator().manual_seed(3)).requires_grad_(True)
    net(x)[0, :, L // 2, L // 2].abs().sum().backward()
    touched = (x.grad[0].abs().sum(0) > 0).nonzero()
    width = int(touched[:, 0].max() - touched[:, 0].min()) + 1
    assert width == receptive_field(config) == 13


def test_presets():
    paper = MODEL_PRESETS["paper"]
    assert paper.widths == (64, 128, 256, 512) and paper.kernel_size == 5
    assert receptive_field(paper) == 41  # paper Sec. III E
    assert receptive_field(MODEL_PRESETS["default"]) == 41
    # 16.5 M parameters for the paper widths (the paper's network size)
    assert abs(count_parameters(TorqueCNN(paper)) - 16.5e6) < 0.05e6


def test_output_is_scaled_by_torque_scale():
    x = random_spins_cf(1, 6, torch.Generator().manual_seed(4))
    a = TorqueCNN(SMALL, torque_scale=1.0, generator=torch.Generator().manual_seed(5))
    b = TorqueCNN(SMALL, torque_scale=0.25, generator=torch.Generator().manual_seed(5))
    with torch.no_grad():
        assert_close(b(x), 0.25 * a(x), rtol=0, atol=ATOL_FLOAT32)
    assert "torque_scale" in dict(b.named_buffers())


def test_projection_makes_the_output_perpendicular():
    config = ModelConfig(widths=(8,), kernel_size=3, project_perpendicular=True)
    net = TorqueCNN(config, generator=torch.Generator().manual_seed(0))
    x = random_spins_cf(2, 6, torch.Generator().manual_seed(6))
    with torch.no_grad():
        out = net(x)
        raw = TorqueCNN(
            ModelConfig(widths=(8,), kernel_size=3), generator=torch.Generator().manual_seed(0)
        )(x)
    assert (out * x).sum(1).abs().max() < ATOL_FLOAT32
    assert (raw * x).sum(1).abs().max() > 1e-3  # without projection it is not


def test_seeded_initialisation_is_repeatable():
    a = TorqueCNN(SMALL, generator=torch.Generator().manual_seed(11)).state_dict()
    b = TorqueCNN(SMALL, generator=torch.Generator().manual_seed(11)).state_dict()
    c = TorqueCNN(SMALL, generator=torch.Generator().manual_seed(12)).state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not torch.equal(a["head2.weight"], c["head2.weight"])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"widths": ()}, "at least one ResNet block"),
        ({"kernel_size": 4}, "kernel_size must be odd"),
        ({"widths": (8, 0)}, r"widths\[1\] must be >= 1"),
    ],
)
def test_bad_config_raises(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ModelConfig(**kwargs)


def test_bad_input_shape_raises(model):
    with pytest.raises(ValueError, match="channels first"):
        model(torch.zeros(1, 6, 6, 3))
