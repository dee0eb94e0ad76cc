"""Tiled evaluation of the torque networks: equal to the untiled forward, bounded memory."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from torquenet import SDModelParams
from torquenet.ml import (
    CNNSolver,
    EquivariantModelConfig,
    EquivariantTorqueCNN,
    ModelConfig,
    TorqueCNN,
    theoretical_receptive_field,
)
from torquenet.ml._tiling import (
    DEFAULT_MAX_MEMORY,
    TilePlan,
    halo_radius,
    min_max_memory,
    min_tile_size,
    plan_tiles,
    tiled_forward,
    window_bytes,
)
from torquenet.pretrained import default_model_path
from torquenet.textures import random_spins

pytestmark = pytest.mark.usefixtures("single_thread")

#: float32 networks whose outputs are O(1): tiles and the whole lattice may sum convolutions in
#: different orders (oneDNN picks algorithms by shape), so they agree to float32 rounding only.
RTOL_FLOAT32 = 2e-6

RESNET = ModelConfig(widths=(4, 6), kernel_size=3)  # halo 6
EQUIVARIANT = EquivariantModelConfig(
    vector_channels=4, scalar_channels=4, num_blocks=1, radius=1, bond_basis_degree=2
)  # halo 3


def build(config):
    generator = torch.Generator().manual_seed(3)
    if isinstance(config, ModelConfig):
        return TorqueCNN(config, generator=generator)
    return EquivariantTorqueCNN(config, generator=generator)


def assert_close_float32(actual, expected):
    scale = float(np.abs(expected).max())
    assert scale > 0
    np.testing.assert_allclose(actual, expected, rtol=0, atol=RTOL_FLOAT32 * scale)


@pytest.fixture(scope="module", params=[RESNET, EQUIVARIANT], ids=["resnet", "equivariant"])
def model(request):
    return build(request.param).eval()


def test_halo_is_the_receptive_radius():
    assert halo_radius(RESNET) == 6 == (theoretical_receptive_field(RESNET) - 1) // 2
    assert halo_radius(EQUIVARIANT) == 3
    assert halo_radius(EquivariantModelConfig(num_blocks=4, radius=2)) == 12


@pytest.mark.parametrize("L", [13, 20, 24])
def test_tiled_fields_equal_untiled(model, L):
    """Tiles near the halo size, L divisible by the tile size or not, halo wider than tiles."""
    spins = random_spins(L, np.random.default_rng(L))
    untiled = CNNSolver(model, SDModelParams())
    assert not untiled.tile_plan(L).tiled
    expected = untiled.compute(spins).fields
    h = untiled.halo
    for tile_size in sorted({h - 1, h, h + 1, 2 * h + 1, L - 1} - {L}):
        solver = CNNSolver(model, SDModelParams(), tile_size=tile_size)
        plan = solver.tile_plan(L)
        assert plan.tiled and plan.halo == h and plan.tile_size <= tile_size
        assert plan.tile_size * plan.tiles_per_side >= L
        assert_close_float32(solver.compute(spins).fields, expected)


def test_tiled_forward_equals_the_network_on_tensors(model):
    x = torch.nn.functional.normalize(torch.randn(2, 3, 17, 17, generator=torch.Generator()), dim=1)
    plan = plan_tiles(model.config, 17, tile_size=5, max_windows_per_pass=7)
    assert plan.tiles_per_side == 4 and plan.windows_per_pass == 7  # groups straddle textures
    with torch.inference_mode():
        expected = model(x)
        tiled = tiled_forward(model, x, plan)
    assert_close_float32(tiled.numpy(), expected.numpy())


@pytest.mark.parametrize("batch_size", [1, 3, 16])
def test_batched_input_is_tiled_per_texture(model, batch_size):
    rng = np.random.default_rng(5)
    spins = np.stack([random_spins(14, rng) for _ in range(3)])
    expected = np.stack([CNNSolver(model, SDModelParams()).compute(s).fields for s in spins])
    solver = CNNSolver(model, SDModelParams(), tile_size=4, batch_size=batch_size)
    fields = solver.compute(spins).fields
    assert fields.shape == (3, 14, 14, 3) and fields.dtype == np.float64
    assert_close_float32(fields, expected)
    assert np.abs(np.sum(fields * spins, axis=-1)).max() < 1e-14


def test_a_halo_one_site_short_is_wrong(model):
    """The halo is not larger than needed: one site less changes the torques near tile edges."""
    L = 16
    x = torch.from_numpy(random_spins(L, np.random.default_rng(0))).float().permute(2, 0, 1)[None]
    h = halo_radius(model.config)
    with torch.inference_mode():
        expected = model(x)
        short = tiled_forward(model, x, TilePlan(L, 4, h - 1, 4, 16))
    assert (short - expected).abs().max() > 1e-3 * expected.abs().max()


def test_small_lattices_keep_the_untiled_path():
    config = EquivariantModelConfig(bond_basis_degree=3)  # the shipped architecture
    assert not plan_tiles(config, 96).tiled
    assert not plan_tiles(config, 256).tiled


@pytest.mark.parametrize("L", [400, 1000, 1024, 4099])
def test_budget_bounds_the_window_not_the_lattice(L):
    config = EquivariantModelConfig(bond_basis_degree=3)
    plan = plan_tiles(config, L)
    assert plan.tiled and plan.halo == 12
    assert window_bytes(config, plan.window_size) * plan.windows_per_pass <= DEFAULT_MAX_MEMORY
    assert plan.tile_size >= min_tile_size(config)
    assert plan.tiles_per_side == math.ceil(L / plan.tile_size)
    # balanced tiles: the last one is not a sliver
    assert L - (plan.tiles_per_side - 1) * plan.tile_size > plan.tile_size - plan.tiles_per_side


def test_smallest_budget_gives_the_smallest_tiles():
    config = RESNET
    plan = plan_tiles(config, 200, max_memory=min_max_memory(config))
    assert plan.tiled and plan.tile_size <= min_tile_size(config)


def test_shipped_model_plan_and_budget():
    solver = CNNSolver.from_file(default_model_path(), max_memory=64 * 2**20)
    assert solver.halo == halo_radius(solver.model.config) == 12
    assert solver.max_memory == 64 * 2**20
    plan = solver.tile_plan(512)
    assert plan.tiled and window_bytes(solver.model.config, plan.window_size) <= 64 * 2**20


@pytest.mark.parametrize("bad", [0, -1, float("nan"), float("inf"), 1000])
def test_bad_budgets_are_refused_with_the_value(bad):
    with pytest.raises(ValueError, match=f"max_memory.*{bad!r}"):
        CNNSolver(build(RESNET), SDModelParams(), max_memory=bad)


def test_too_small_budget_names_the_minimum():
    minimum = min_max_memory(RESNET)
    CNNSolver(build(RESNET), SDModelParams(), max_memory=minimum)
    with pytest.raises(ValueError, match=f"max_memory >= {minimum}"):
        CNNSolver(build(RESNET), SDModelParams(), max_memory=minimum - 1)


def test_the_default_budget_grows_to_what_a_deep_network_needs():
    """A deep energy model's halo (2 x (8 + 1) x 2 = 36 sites) needs more than the 256 MiB
    default for its smallest tile: the default admits it, an explicit smaller budget does not."""
    from torquenet.ml import DEFAULT_MAX_MEMORY, EnergyModelConfig, EquivariantEnergyCNN

    deep = EnergyModelConfig(num_blocks=8)
    minimum = min_max_memory(deep)
    assert minimum > DEFAULT_MAX_MEMORY
    net = EquivariantEnergyCNN(deep, 0.02, torch.Generator().manual_seed(0))
    assert CNNSolver(net, SDModelParams()).max_memory == minimum
    assert CNNSolver(build(RESNET), SDModelParams()).max_memory == DEFAULT_MAX_MEMORY
    with pytest.raises(ValueError, match=f"max_memory >= {minimum}"):
        CNNSolver(net, SDModelParams(), max_memory=DEFAULT_MAX_MEMORY)


def test_bad_types_and_tile_sizes():
    with pytest.raises(TypeError, match="max_memory"):
        CNNSolver(build(RESNET), SDModelParams(), max_memory="1GB")
    with pytest.raises(ValueError, match="tile_size must be >= 1, got 0"):
        CNNSolver(build(RESNET), SDModelParams(), tile_size=0)
    with pytest.raises(ValueError, match="plan is for L = 8"):
        tiled_forward(build(RESNET), torch.zeros(1, 3, 9, 9), plan_tiles(RESNET, 8))


@pytest.mark.gpu
@pytest.mark.parametrize("config", [RESNET, EQUIVARIANT], ids=["resnet", "equivariant"])
def test_tiled_on_cuda_equals_untiled_on_cpu(config):
    spins = np.stack([random_spins(21, np.random.default_rng(k)) for k in range(2)])
    expected = CNNSolver(build(config), SDModelParams()).compute(spins).fields
    solver = CNNSolver(build(config), SDModelParams(), device="cuda", tile_size=8)
    assert solver.tile_plan(21).tiled
    # CUDA convolutions may use TF32 (relative error ~1e-3), as in test_field_solver.py
    scale = np.abs(expected).max()
    np.testing.assert_allclose(solver.compute(spins).fields, expected, rtol=0, atol=5e-3 * scale)


@pytest.mark.parametrize("L", [1, 2, 3])
def test_tori_smaller_than_the_convolution_padding_are_evaluated_periodically(L, rng):
    """A torus smaller than a layer's circular padding is one halo-padded window; its fields
    equal those of the same texture tiled onto a lattice the network pads itself."""
    model = EquivariantTorqueCNN(EquivariantModelConfig(4, 4, num_blocks=1, radius=2))
    solver = CNNSolver(model, SDModelParams())
    assert solver.tile_plan(L).tiled == (L < 2)
    spins = random_spins(L, rng)
    tiled = np.tile(spins, (12 // L, 12 // L, 1))
    small = solver.compute(spins).fields
    large = solver.compute(tiled).fields[:L, :L]
    scale = np.abs(large).max()
    np.testing.assert_allclose(small, large, rtol=0, atol=RTOL_FLOAT32 * scale)
