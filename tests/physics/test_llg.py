"""Physics checks of the LLG-Langevin dynamics.

- Langevin equilibrium of independent spins in a field: <S_z> = coth(h/T) - T/h within 2%.
- ED s-d model, alpha = 0.05, T = 0: the energy never increases, the relaxing perturbed skyrmion
  lattice keeps its topological charge.
- alpha = 0: the energy is conserved to the scheme's accuracy (error -> 0 at least as dt^2).
"""

from __future__ import annotations

import numpy as np
import pytest

from torquenet.dynamics import LLGParams, run_llg, sib_step
from torquenet.observables import topological_charge
from torquenet.solvers import EDSolver
from torquenet.textures import SkyrmionPerturbation, random_spins, skyrmion_lattice

# Acceptance: the Langevin equilibrium is reproduced within 2%.  Measured deviations with the
# parameters below: -0.2% .. +0.7% (four seeds), i.e. the O(alpha T dt) weak bias of the scheme
# plus ~0.2% statistical error.  A noise variance off by 1 + alpha^2 = 1.25 (the Gilbert-form
# amplitude) would move <S_z> by 4-9%.
RTOL_LANGEVIN = 0.02
# ED energies are sums of ~300 eigenvalue terms of O(1): rounding ~1e-13; "non-increasing within
# the solver's precision" allows that much.
ATOL_ENERGY_ROUNDING = 1e-10
# Acceptance: |S_i| = 1 to 1e-12.
ATOL_NORM = 1e-12
# Energy error at alpha = 0 must vanish at least as fast as dt^2 (second-order scheme; measured
# ~dt^3 for this scheme).
MIN_ENERGY_ERROR_ORDER = 1.8
# ... and at dt = 0.1 be negligible next to the physical dissipation at the paper's alpha = 0.05
# over the same time (measured ratio ~1e-4).
MAX_DRIFT_TO_DISSIPATION = 1e-2


pytestmark = pytest.mark.usefixtures("single_thread")


def langevin_function(x: float) -> float:
    return 1.0 / np.tanh(x) - 1.0 / x


@pytest.mark.parametrize("temperature", [0.25, 0.5])
def test_langevin_equilibrium_of_independent_spins_in_a_field(temperature, rng):
    """10^4 independent spins (one vectorised array) in H = h z equilibrate to Boltzmann."""
    h, alpha, dt = 1.0, 0.5, 0.05
    params = LLGParams(time_step=dt, damping=alpha, temperature=temperature)
    field = np.array([0.0, 0.0, h])

    def field_fn(spins):
        return np.broadcast_to(field, spins.shape)

    spins = np.tile([0.0, 0.0, 1.0], (10_000, 1))
    # relaxation times 1/(alpha h) = 2 and 1/(2 alpha T) <= 4: equilibrate for t = 15
    for _ in range(round(15 / dt)):
        spins = sib_step(spins, field_fn, params, rng)
    first, second = [], []
    for _ in range(round(30 / dt)):
        spins = sib_step(spins, field_fn, params, rng)
        first.append(spins[:, 2].mean())
        second.append((spins[:, 2] ** 2).mean())
    x = h / temperature
    expected_first = langevin_function(x)
    expected_second = 1.0 - 2.0 * langevin_function(x) / x  # <cos^2> for P ~ exp(x cos)
    assert np.mean(first) == pytest.approx(expected_first, rel=RTOL_LANGEVIN)
    assert np.mean(second) == pytest.approx(expected_second, rel=RTOL_LANGEVIN)


def energies(solver, spins, params, num_steps):
    """Total energy E = Omega - H_ext . sum S at every step, and the final spins."""
    external = params.external_field_vector
    out = []

    def observer(_step, s, result):
        out.append(float(result.grand_potential - external @ s.reshape(-1, 3).sum(axis=0)))

    final = run_llg(spins, solver, params, None, num_steps, observer=observer)
    return np.array(out), final


def test_energy_never_increases_with_damping_small_lattice():
    solver = EDSolver()
    energy, final = energies(solver, random_spins(6, np.random.default_rng(3)), LLGParams(), 300)
    assert np.diff(energy).max() <= ATOL_ENERGY_ROUNDING
    assert energy[-1] < energy[0] - 0.05  # it does relax
    assert np.abs(np.linalg.norm(final, axis=-1) - 1).max() <= ATOL_NORM


def test_energy_is_conserved_without_damping_to_the_schemes_accuracy():
    solver = EDSolver()
    spins = random_spins(6, np.random.default_rng(0))
    t_end = 10.0
    drifts = []
    time_steps = (0.2, 0.1, 0.05)
    for dt in time_steps:
        energy, _ = energies(solver, spins, LLGParams(time_step=dt, damping=0.0), round(t_end / dt))
        drifts.append(np.abs(energy - energy[0]).max())
    order = np.polyfit(np.log(time_steps), np.log(drifts), 1)[0]
    assert order >= MIN_ENERGY_ERROR_ORDER
    damped, _ = energies(solver, spins, LLGParams(time_step=0.1, damping=0.05), round(t_end / 0.1))
    assert drifts[1] <= MAX_DRIFT_TO_DISSIPATION * (damped[0] - damped[-1])


@pytest.mark.slow
def test_ed_relaxation_of_perturbed_skyrmion_lattice_keeps_charge_and_lowers_energy():
    """12 x 12, ED, alpha = 0.05, T = 0, dt = 0.1, 2000 steps (t = 200 = 10 damping times)."""
    solver = EDSolver()
    spins = skyrmion_lattice(12, perturbation=SkyrmionPerturbation(), rng=np.random.default_rng(1))
    charge = topological_charge(spins)
    assert charge == pytest.approx(-6.0, abs=1e-9)  # the perturbed ansatz keeps its 6 skyrmions
    external = LLGParams().external_field_vector
    energy, charges, torques = [], [], []

    def observer(_step, s, result):
        energy.append(float(result.grand_potential - external @ s.reshape(-1, 3).sum(axis=0)))
        charges.append(topological_charge(s))
        torques.append(np.abs(np.cross(s, result.fields + external)).max())

    final = run_llg(spins, solver, LLGParams(), None, 2000, observer=observer)
    assert np.diff(energy).max() <= ATOL_ENERGY_ROUNDING
    assert np.abs(np.array(charges) - charge).max() <= 1e-9
    assert torques[-1] < torques[0] / 3  # it relaxes (measured 0.063 -> 0.018)
    assert np.abs(np.linalg.norm(final, axis=-1) - 1).max() <= ATOL_NORM
