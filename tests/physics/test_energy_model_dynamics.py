"""Dynamics and statistics of a conservative (energy) model.

- alpha = 0, T = 0: the model's energy is conserved by SIB to second order in dt
  (2000 steps at dt = 0.05 against 1000 at dt = 0.1, the same time span; measured order 1.98).
- Metropolis (torquenet mc) and LLG-Langevin with the same energy model at the same T sample
  the same Boltzmann distribution exp(-E/T): equal mean energy and S(q) at the peak, within
  two standard errors (batch means).
"""

import numpy as np
import pytest
import torch

from torquenet.dynamics import CounterNoise, LLGParams, run_llg
from torquenet.ml import CNNSolver, EnergyModelConfig, EquivariantEnergyCNN, SiteEnergies
from torquenet.model import SDModelParams
from torquenet.observables import structure_factor
from torquenet.sampling import MetropolisParams, metropolis_sweep, start_state, total_energy
from torquenet.textures import random_spins

#: A small smooth energy model (site energy radius 1: every field is a derivative of it).
CONFIG = EnergyModelConfig(4, 4, num_blocks=0, radius=1, bond_basis_degree=1, head_width=4)
#: SIB is a second-order scheme (measured energy-error order 1.98 here; 1.95 for dt = 0.2 / 0.1).
MIN_ENERGY_ERROR_ORDER = 1.8


def _model(torque_scale):
    return EquivariantEnergyCNN(CONFIG, torque_scale, torch.Generator().manual_seed(5))


def energies(solver, spins, params, num_steps, noise=None, skip=0):
    external = params.external_field_vector
    out = []

    def observer(step, s, result):
        if step >= skip:
            out.append(result.grand_potential - external @ s.reshape(-1, 3).sum(axis=0))

    final = run_llg(spins, solver, params, noise, num_steps, observer=observer)
    return np.array(out), final


@pytest.mark.slow
def test_energy_of_the_energy_model_is_conserved_at_second_order_without_damping(single_thread):
    solver = CNNSolver(_model(0.1), SDModelParams(), dtype="float64")
    spins = random_spins(6, np.random.default_rng(0))
    drifts = []
    time_steps = (0.1, 0.05)
    for dt in time_steps:
        params = LLGParams(time_step=dt, damping=0.0)
        energy, _ = energies(solver, spins, params, round(100 / dt))
        drifts.append(np.abs(energy - energy[0]).max())
    order = np.log(drifts[0] / drifts[1]) / np.log(2)
    assert order >= MIN_ENERGY_ERROR_ORDER, drifts
    # and the motion is real: with damping the same run dissipates far more
    damped, _ = energies(solver, spins, LLGParams(time_step=0.1, damping=0.05), 2000)
    assert drifts[1] < 1e-2 * (damped[0] - damped[-1])


def batch_means(values, num_batches=20):
    values = np.asarray(values)
    n = len(values) // num_batches
    means = values[: n * num_batches].reshape(num_batches, n, *values.shape[1:]).mean(axis=1)
    return means.mean(axis=0), means.std(axis=0, ddof=1) / np.sqrt(num_batches)


@pytest.mark.slow
def test_metropolis_and_llg_langevin_sample_the_same_boltzmann_distribution(single_thread):
    model = _model(0.5)
    temperature, L, field = 0.1, 6, (0.0, 0.0, 0.005)
    rng = np.random.default_rng(0)
    # Metropolis: 6000 sweeps after 300 of equilibration
    energy_fn = SiteEnergies(model)
    state = start_state(random_spins(L, rng), energy_fn)
    params = MetropolisParams(temperature, 0.6, field)
    mc_energy, mc_sq = [], []
    for sweep in range(6300):
        metropolis_sweep(state, energy_fn, CONFIG.energy_radius, params, rng)
        if sweep >= 300:
            mc_energy.append(total_energy(state, params))
            mc_sq.append(structure_factor(state.spins))
    # LLG-Langevin, strong damping (any alpha samples exp(-E/T)), t = 600 after t = 30
    solver = CNNSolver(model, SDModelParams(), dtype="float64")
    llg = LLGParams(time_step=0.05, damping=1.0, temperature=temperature, external_field=field)
    llg_energy, llg_sq = [], []

    def observer(step, s, result):
        if step >= 600:
            llg_energy.append(result.grand_potential - llg.external_field_vector @ s.sum((0, 1)))
            llg_sq.append(structure_factor(s))

    run_llg(random_spins(L, rng), solver, llg, CounterNoise(1), 12600, observer=observer)
    (e_mc, se_mc), (e_llg, se_llg) = batch_means(mc_energy), batch_means(llg_energy)
    assert abs(e_mc - e_llg) < 2 * np.hypot(se_mc, se_llg), (e_mc, se_mc, e_llg, se_llg)
    (sq_mc, sq_se_mc), (sq_llg, sq_se_llg) = batch_means(mc_sq), batch_means(llg_sq)
    peak = np.unravel_index(np.argmax(sq_mc), sq_mc.shape)
    assert abs(sq_mc[peak] - sq_llg[peak]) < 2 * np.hypot(sq_se_mc[peak], sq_se_llg[peak])
