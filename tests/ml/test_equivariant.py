"""The equivariant model is exactly SO(3) x D6 x translation (x time-reversal) equivariant."""

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

from tests.helpers import random_rotation
from torquenet.lattice import TriangularLattice
from torquenet.ml._equivariant import (
    BondBasis,
    EquivariantModelConfig,
    EquivariantTorqueCNN,
    IsotropicConv,
    hexagonal_orbits,
)
from torquenet.textures import random_spins

# float64 forward passes: symmetry holds to rounding of O(1e2) accumulated operations.
ATOL_FLOAT64 = 1e-12
# float32: the same identities to single-precision rounding relative to O(10) outputs.
ATOL_FLOAT32 = 1e-5


def _predict(model, spins):
    x = torch.tensor(np.moveaxis(spins, -1, -3), dtype=next(model.parameters()).dtype)
    with torch.no_grad():
        return np.moveaxis(model(x).double().numpy(), -3, -1)


@pytest.fixture(params=[0, 3], ids=["linear-lift", "bond-basis"])
def model(request):
    torch.manual_seed(3)
    config = EquivariantModelConfig(8, 8, num_blocks=2, radius=2, bond_basis_degree=request.param)
    return EquivariantTorqueCNN(config).double()


def test_orbits_partition_the_hexagon():
    for radius in (1, 2, 3):
        orbits = hexagonal_orbits(radius)
        flat = [o for orbit in orbits for o in orbit]
        assert len(flat) == len(set(flat)) == 1 + 3 * radius * (radius + 1)


def test_isotropic_kernel_is_invariant_under_every_d6_index_map():
    torch.manual_seed(0)
    conv = IsotropicConv(2, 3, radius=2)
    k = conv.kernel().detach().numpy()
    r = 2
    for op in TriangularLattice(1).point_group:
        for a in range(-r, r + 1):
            for b in range(-r, r + 1):
                a2, b2 = op.integer_matrix @ np.array([a, b])
                if max(abs(a), abs(b), abs(a + b)) > r:
                    assert np.all(k[..., r + a, r + b] == 0)
                    continue
                assert np.array_equal(k[..., r + a, r + b], k[..., r + a2, r + b2])


def test_exact_spin_rotation_and_time_reversal_equivariance(model, rng):
    spins = np.stack([random_spins(12, rng) for _ in range(2)])
    t = _predict(model, spins)
    for _ in range(3):
        rot = random_rotation(rng)
        assert_allclose(_predict(model, spins @ rot.T), t @ rot.T, rtol=0, atol=ATOL_FLOAT64)
    assert_allclose(_predict(model, -spins), -t, rtol=0, atol=ATOL_FLOAT64)


def test_exact_lattice_symmetry_equivariance(model, rng):
    lattice = TriangularLattice(12)
    spins = random_spins(12, rng)
    t = _predict(model, spins[None])[0]
    for op in lattice.point_group:
        moved = _predict(model, lattice.apply_point_group(spins, op)[None])[0]
        assert_allclose(moved, lattice.apply_point_group(t, op), rtol=0, atol=ATOL_FLOAT64)
    shifted = _predict(model, lattice.translate(spins, (5, 2))[None])[0]
    assert_allclose(shifted, lattice.translate(t, (5, 2)), rtol=0, atol=ATOL_FLOAT64)


def test_output_is_perpendicular_to_each_spin_and_runs_on_any_size(model, rng):
    for L in (6, 9, 12):
        spins = random_spins(L, rng)
        t = _predict(model, spins[None])[0]
        assert t.shape == (L, L, 3)
        assert np.abs((t * spins).sum(-1)).max() <= ATOL_FLOAT64


def test_float32_model_is_equivariant_to_single_precision(rng):
    torch.manual_seed(1)
    model = EquivariantTorqueCNN(EquivariantModelConfig(8, 8, num_blocks=2))
    spins = random_spins(12, rng)[None]
    rot = random_rotation(rng)
    t = _predict(model, spins)
    assert_allclose(_predict(model, spins @ rot.T), t @ rot.T, rtol=0, atol=ATOL_FLOAT32)


def test_equivariant_model_trains_saves_and_runs_as_solver(
    tiny_datasets, single_thread, tmp_path, rng
):
    from torquenet.config import from_mapping
    from torquenet.ml import CNNSolver, TrainConfig, load_model_file, train
    from torquenet.model import SDModelParams

    config = from_mapping(
        TrainConfig,
        {
            "model": {
                "architecture": "equivariant",
                "vector_channels": 4,
                "scalar_channels": 4,
                "num_blocks": 1,
                "radius": 1,
            },
            "batch_size": 4,
            "epochs": 2,
            "device": "cpu",
        },
    )
    assert isinstance(config.model, EquivariantModelConfig)
    train_set, val_set = tiny_datasets
    result = train(config, train_set, val_set, tmp_path / "run", params=SDModelParams())
    assert result.epochs_completed == 2
    model, info = load_model_file(result.model_path)
    assert isinstance(model, EquivariantTorqueCNN) and info.model_config == config.model
    # the rebuilt network from the file equals the trained one bit for bit
    again, _ = load_model_file(result.model_path)
    spins = random_spins(6, rng)
    assert np.array_equal(_predict(model, spins[None]), _predict(again, spins[None]))
    solver = CNNSolver.from_file(result.model_path, SDModelParams())
    rot = random_rotation(rng)
    fields = solver.compute(spins).fields
    assert_allclose(
        solver.compute(spins @ rot.T).fields,
        fields @ rot.T,
        rtol=0,
        atol=ATOL_FLOAT32 * np.abs(fields).max(),
    )


def test_unknown_architecture_is_refused():
    from torquenet.config import from_mapping
    from torquenet.ml import TrainConfig

    with pytest.raises(ValueError, match="architecture must be one of"):
        from_mapping(TrainConfig, {"model": {"architecture": "transformer"}})


def test_bond_basis_matches_a_direct_sum_over_each_shell(rng):
    L, degree = 7, 3
    spins = random_spins(L, rng)
    basis = BondBasis(radius=2, degree=degree)
    x = torch.tensor(np.moveaxis(spins, -1, 0)[None])
    vectors, invariants = (t[0].numpy() for t in basis(x))
    assert vectors.shape == (3 * (degree + 1), 3, L, L)
    assert invariants.shape == (3 * degree, L, L)
    legendre = [np.polynomial.legendre.Legendre.basis(n) for n in range(degree + 1)]
    i, j = 2, 5
    for s, shell in enumerate(basis.shells):
        neighbours = [spins[(i + a) % L, (j + b) % L] for a, b in shell]
        cosines = [float(spins[i, j] @ n) for n in neighbours]
        for n in range(degree + 1):
            expected = np.mean([legendre[n](c) * v for c, v in zip(cosines, neighbours)], axis=0)
            assert_allclose(vectors[s * (degree + 1) + n, :, i, j], expected, atol=1e-12)
            if n:
                expected_invariant = np.mean([legendre[n](c) for c in cosines])
                assert_allclose(
                    invariants[s * degree + n - 1, i, j], expected_invariant, atol=1e-12
                )


def test_bond_basis_of_a_ferromagnet_is_the_spin_itself():
    spins = np.zeros((6, 6, 3))
    spins[..., 2] = 1.0
    vectors, invariants = BondBasis(radius=1, degree=2)(
        torch.tensor(np.moveaxis(spins, -1, 0)[None])
    )
    assert_allclose(vectors[0, :, 2].numpy(), 1.0)  # P_n(1) = 1: every vector is S = z
    assert_allclose(vectors[0, :, :2].numpy(), 0.0)
    assert_allclose(invariants.numpy(), 1.0)


@pytest.mark.parametrize("bond_basis_degree", [0, 3])
def test_seeded_initialisation_predicts_order_one_torques(rng, bond_basis_degree):
    # Normalised labels have mean magnitude 1; undamped fan-in initialisation gave ~1e2.
    config = EquivariantModelConfig(bond_basis_degree=bond_basis_degree)
    model = EquivariantTorqueCNN(config, generator=torch.Generator().manual_seed(0))
    spins = np.stack([random_spins(12, rng) for _ in range(2)])
    rms = np.sqrt(np.mean(_predict(model, spins) ** 2))
    assert 0.1 < rms < 10
