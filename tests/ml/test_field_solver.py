"""CNNSolver: the trained network behind the FieldSolver protocol."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from torquenet import FieldSolver, SDModelParams
from torquenet.ml import CNNSolver, ModelConfig, TorqueCNN, save_model_file
from torquenet.textures import random_spins

#: float32 network evaluated on float64 input: agreement with a direct forward pass to float32
#: rounding of O(0.05) torques.
ATOL_FLOAT32_TORQUE = 1e-7

#: Projection done in float64 on unit spins: fields . S vanishes to double rounding.
ATOL_PERPENDICULAR = 1e-14

#: CUDA convolutions may use TF32 (10-bit mantissa, relative error ~1e-3) by default; compared
#: relative to the largest torque.
RTOL_CUDA_VS_CPU = 5e-3

CONFIG = ModelConfig(widths=(8, 8), kernel_size=3)

pytestmark = pytest.mark.usefixtures("single_thread")


@pytest.fixture
def model() -> TorqueCNN:
    return TorqueCNN(CONFIG, torque_scale=0.04, generator=torch.Generator().manual_seed(0))


def test_is_a_field_solver_without_energy(model):
    solver = CNNSolver(model, SDModelParams())
    assert isinstance(solver, FieldSolver)
    assert solver.provides_energy is False


@pytest.mark.parametrize("L", [6, 12, 15])
def test_fields_are_the_perpendicular_prediction(model, L, rng):
    spins = random_spins(L, rng)
    result = CNNSolver(model, SDModelParams()).compute(spins)
    assert result.fields.shape == (L, L, 3) and result.fields.dtype == np.float64
    assert result.grand_potential is None
    assert np.abs(np.sum(result.fields * spins, axis=-1)).max() < ATOL_PERPENDICULAR
    with torch.no_grad():
        raw = model(torch.from_numpy(spins).float().permute(2, 0, 1)[None])[0].permute(1, 2, 0)
    raw = raw.double().numpy()
    perp = raw - np.sum(raw * spins, axis=-1, keepdims=True) * spins
    np.testing.assert_allclose(result.fields, perp, rtol=0, atol=ATOL_FLOAT32_TORQUE)


def test_batches_equal_single_textures(model, rng):
    spins = np.stack([random_spins(6, rng) for _ in range(5)])
    solver = CNNSolver(model, SDModelParams(), batch_size=2)
    batched = solver.compute(spins).fields
    single = np.stack([solver.compute(s).fields for s in spins])
    assert batched.shape == (5, 6, 6, 3)
    np.testing.assert_allclose(batched, single, rtol=0, atol=ATOL_FLOAT32_TORQUE)


def test_from_file_checks_physics(model, tmp_path):
    path = save_model_file(tmp_path / "m.pt", model, params=SDModelParams(), dataset_checksum="x")
    solver = CNNSolver.from_file(path, SDModelParams())
    assert solver.info is not None and solver.info.dataset_checksum == "x"
    assert CNNSolver.from_file(path).params == SDModelParams()
    with pytest.raises(ValueError, match="sd_coupling: trained 1.0, requested 2.0"):
        CNNSolver.from_file(path, SDModelParams(sd_coupling=2.0))


def test_rejects_non_unit_spins(model):
    with pytest.raises(ValueError, match="unit vectors"):
        CNNSolver(model, SDModelParams()).compute(np.ones((6, 6, 3)))


@pytest.mark.gpu
def test_cpu_and_cuda_agree(rng):
    net = TorqueCNN(ModelConfig(), torque_scale=0.04, generator=torch.Generator().manual_seed(0))
    spins = np.stack([random_spins(24, rng) for _ in range(2)])
    cpu = CNNSolver(net, SDModelParams(), device="cpu").compute(spins).fields
    cuda = CNNSolver(net, SDModelParams(), device="cuda").compute(spins).fields
    scale = np.abs(cpu).max()
    np.testing.assert_allclose(cuda, cpu, rtol=0, atol=RTOL_CUDA_VS_CPU * scale)
