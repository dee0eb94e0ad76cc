"""Domain decomposition of the CNN fields: row slabs with halos give the whole-lattice fields."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from torquenet import SDModelParams
from torquenet.ml import (
    CNNSolver,
    DistributedContext,
    DomainCNNSolver,
    EquivariantModelConfig,
    EquivariantTorqueCNN,
    RowSlabs,
    halo_forward,
)
from torquenet.textures import random_spins

pytestmark = pytest.mark.usefixtures("single_thread")

EQUIVARIANT = EquivariantModelConfig(
    vector_channels=4, scalar_channels=4, num_blocks=1, radius=1, bond_basis_degree=2
)  # halo 3


@pytest.fixture(scope="module")
def solver():
    model = EquivariantTorqueCNN(EQUIVARIANT, generator=torch.Generator().manual_seed(3))
    return CNNSolver(model, SDModelParams())


def test_row_slabs_cover_the_lattice_once():
    for L, P in ((10, 3), (96, 2), (7, 7)):
        slabs = RowSlabs(L, P)
        rows = [r for p in range(P) for r in range(*slabs.bounds(p))]
        assert rows == list(range(L))
        assert [slabs.first_site(p) for p in range(P)] == [slabs.bounds(p)[0] * L for p in range(P)]


def test_row_slabs_refuse_more_processes_than_rows_and_slabs_thinner_than_the_halo():
    with pytest.raises(ValueError, match="num_parts"):
        RowSlabs(4, 5)
    with pytest.raises(ValueError, match="fewer than the network's halo of 12 rows"):
        RowSlabs(12, 2).check_halo(12)
    RowSlabs(24, 2).check_halo(12)


def test_slab_fields_of_a_single_process_equal_the_torus_fields(solver):
    """World size 1: the slab is the whole lattice padded by its own periodic wrap."""
    spins = random_spins(20, np.random.default_rng(1))
    domain = DomainCNNSolver(solver, RowSlabs(20, 1), DistributedContext())
    expected = solver.compute(spins).fields
    np.testing.assert_allclose(domain.compute(spins).fields, expected, rtol=0, atol=2e-6)


@pytest.mark.parametrize("tile", [(5, 7), (16, 20), (3, 20)])
def test_halo_forward_of_any_block_equals_the_torus(solver, tile):
    """A block of rows cut from the periodic extension, evaluated in shifted equal windows,
    gives the torques of those rows on the torus: what each process of a run computes."""
    L, h = 20, solver.halo
    spins = random_spins(L, np.random.default_rng(2))
    expected = solver.compute(spins).fields
    x = torch.from_numpy(spins.transpose(2, 0, 1).astype(np.float32))[None]
    first, end = 4, 20  # the second of two slabs, rows 4..19
    rows = torch.arange(first - h, end + h) % L
    cols = torch.arange(-h, L + h) % L
    padded = x.index_select(-2, rows).index_select(-1, cols)
    with torch.inference_mode():
        y = halo_forward(solver.model, padded, h, min(tile[0], end - first), tile[1], 3)
    fields = y[0].numpy().transpose(1, 2, 0).astype(np.float64)
    fields -= np.sum(fields * spins[first:end], axis=-1, keepdims=True) * spins[first:end]
    np.testing.assert_allclose(fields, expected[first:end], rtol=0, atol=2e-6)


def test_domain_solver_refuses_wrong_slabs_and_solvers(solver):
    domain = DomainCNNSolver(solver, RowSlabs(20, 1), DistributedContext())
    with pytest.raises(ValueError, match=r"must have shape \(20, 20, 3\)"):
        domain.compute(random_spins(20, np.random.default_rng(0))[:10])
    with pytest.raises(ValueError, match="2 slabs for 1 processes"):
        DomainCNNSolver(solver, RowSlabs(20, 2), DistributedContext())
    with pytest.raises(TypeError, match="needs a CNNSolver"):
        DomainCNNSolver(object(), RowSlabs(20, 1), DistributedContext())


def test_an_energy_model_slab_gives_the_fields_and_omega_of_the_torus(rng):
    from torquenet.ml import EnergyModelConfig, EquivariantEnergyCNN

    config = EnergyModelConfig(4, 4, num_blocks=0, radius=1, bond_basis_degree=1, head_width=4)
    net = EquivariantEnergyCNN(config, 0.1, torch.Generator().manual_seed(2), energy_offset=-0.3)
    whole = CNNSolver(net, SDModelParams(), tile_size=8)
    domain = DomainCNNSolver(whole, RowSlabs(16, 1), DistributedContext())
    assert domain.provides_energy
    spins = random_spins(16, rng)
    expected = whole.compute(spins)
    got = domain.compute(spins)
    np.testing.assert_allclose(got.fields, expected.fields, rtol=0, atol=1e-6)
    assert got.grand_potential == pytest.approx(expected.grand_potential, rel=1e-6)
