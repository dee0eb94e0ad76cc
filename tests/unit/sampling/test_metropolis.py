"""Metropolis sampling: exact group energy changes, detailed balance, Boltzmann statistics."""

import numpy as np
import pytest

from torquenet.lattice import TriangularLattice
from torquenet.sampling import (
    MetropolisParams,
    group_energy_changes,
    metropolis_sweep,
    propose,
    start_state,
    update_group_spacing,
)
from torquenet.textures import random_spins

NEIGHBOURS = [tuple(int(x) for x in o) for o in TriangularLattice.neighbor_offsets(1)]


def heisenberg_site_energies(spins, coupling=1.0):
    """eps_i = -(J / 2) sum_(j nn i) S_i . S_j on the triangular lattice (radius 1)."""
    total = np.zeros(spins.shape[:2])
    for a, b in NEIGHBOURS:
        total += np.sum(spins * np.roll(spins, shift=(-a, -b), axis=(0, 1)), axis=-1)
    return -0.5 * coupling * total


def test_group_spacing_divides_L_and_keeps_sites_apart():
    assert update_group_spacing(12, 1) == 3
    assert update_group_spacing(10, 2) == 5
    assert update_group_spacing(14, 3) == 7
    assert update_group_spacing(14, 4) == 14
    assert update_group_spacing(7, 0) == 1


@pytest.mark.parametrize("L, radius", [(6, 1), (9, 1), (7, 1), (10, 2)])
def test_group_energy_changes_equal_single_move_differences(L, radius, rng):
    field = np.array([0.1, -0.2, 0.3])

    def energy_fn(spins):  # radius 1 Heisenberg, or radius 2 with a second-shell copy
        site = heisenberg_site_energies(spins)
        if radius == 2:
            site = site + 0.3 * heisenberg_site_energies(np.roll(spins, 1, axis=0))
        return site

    def total(spins):
        return energy_fn(spins).sum() - spins.reshape(-1, 3).sum(axis=0) @ field

    state = start_state(random_spins(L, rng), energy_fn)
    s = update_group_spacing(L, radius)
    offset = (1 % s, 2 % s)
    new = propose(state.spins[offset[0] :: s, offset[1] :: s], 0.7, rng)
    delta, _ = group_energy_changes(state, offset, new, energy_fn, radius, field)
    base = total(state.spins)
    for m1 in range(L // s):
        for m2 in range(L // s):
            single = state.spins.copy()
            single[offset[0] + s * m1, offset[1] + s * m2] = new[m1, m2]
            assert delta[m1, m2] == pytest.approx(total(single) - base, abs=1e-12)


def test_sweeps_keep_the_cached_site_energies_exact(rng):
    state = start_state(random_spins(9, rng), heisenberg_site_energies)
    params = MetropolisParams(temperature=0.5, step_size=0.6, external_field=(0, 0, 0.2))
    for _ in range(5):
        metropolis_sweep(state, heisenberg_site_energies, 1, params, rng)
    np.testing.assert_allclose(
        state.site_energies, heisenberg_site_energies(state.spins), atol=1e-12
    )
    assert 0.2 < state.acceptance < 0.95


def langevin_function(x):
    return 1.0 / np.tanh(x) - 1.0 / x


def test_free_spins_in_a_field_follow_the_langevin_function(rng):
    """E = -h sum S_z: <S_z> = L(h / T) and <S_z^2> = 1 - 2 L(x) / x (analytic)."""
    h, temperature = 0.3, 0.2
    state = start_state(random_spins(8, rng), lambda s: np.zeros(s.shape[:2]))
    params = MetropolisParams(temperature=temperature, step_size=0.8, external_field=(0, 0, h))
    first, second = [], []
    for sweep in range(5000):
        metropolis_sweep(state, lambda s: np.zeros(s.shape[:2]), 0, params, rng)
        if sweep >= 100:
            first.append(state.spins[..., 2].mean())
            second.append((state.spins[..., 2] ** 2).mean())
    x = h / temperature
    # 64 independent spins x 4900 sweeps (correlation ~ a few sweeps): SE ~ 2e-3
    assert np.mean(first) == pytest.approx(langevin_function(x), abs=0.008)
    assert np.mean(second) == pytest.approx(1 - 2 * langevin_function(x) / x, abs=0.008)
    # a wrong acceptance (e.g. exp(-dE / 2T)) would give L(h / 2T) = 0.25 instead of 0.47
    assert abs(np.mean(first) - langevin_function(x / 2)) > 0.1


def test_bad_parameters_are_named():
    with pytest.raises(ValueError, match="temperature"):
        MetropolisParams(temperature=0.0)
    with pytest.raises(ValueError, match="step_size"):
        MetropolisParams(step_size=-1.0)
    with pytest.raises(ValueError, match="returned shape"):
        start_state(random_spins(6, np.random.default_rng(0)), lambda s: np.zeros(3))
