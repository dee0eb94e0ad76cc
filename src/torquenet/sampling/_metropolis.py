"""Metropolis Monte Carlo of classical spins with a local energy, many sites updated at once.

The target is the Boltzmann distribution exp(-E/T) of unit spins with

.. math:: E(\\{\\mathbf S\\}) = \\sum_i \\varepsilon_i(\\{\\mathbf S\\}) - \\mathbf H_\\mathrm{ext}
          \\cdot \\sum_i \\mathbf S_i,

where the site energy eps_i depends only on the spins within ``energy_radius`` r of site i
(hexagonal lattice distance), as for :class:`~torquenet.ml.EquivariantEnergyCNN`.

**Simultaneous updates that stay exact.**  Moving spin k changes only the eps_j with
|j - k| <= r.  Sites farther apart than 2 r therefore have disjoint sets of affected site
energies, and their Metropolis decisions are independent: the lattice is split into
``s x s`` interleaved *update groups* (sites (o1 + s m1, o2 + s m2)) with s >= 2 r + 1 dividing
L, one group is proposed at once, the site energies of the proposed lattice are evaluated in
one call, and the energy change of proposal k is the sum of eps'_j - eps_j over the s x s block
of sites owned by k (the block holds k's whole r-neighbourhood when s >= 2 r + 1).  Each
accepted move is then exactly a single-spin Metropolis move of the model's energy; one sweep
visits every group once (in a random order), so every site once.  When no divisor of L is at
least 2 r + 1, s = L: one site at a time.

**Proposals.**  S' = (S + delta g) / |S + delta g| with g a standard normal 3-vector: the
density of S' depends only on the angle to S, so the proposal is symmetric on the sphere and
the acceptance min(1, exp(-dE/T)) gives detailed balance.  ``step_size`` delta sets the
acceptance rate (delta -> infinity: uniform proposals).

References
----------
Metropolis et al., J. Chem. Phys. 21, 1087 (1953); for simultaneous updates of non-interacting
sublattices: Landau & Binder, A Guide to Monte Carlo Simulations in Statistical Physics
(Cambridge, 2015), Ch. 4.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from torquenet._validation import check_float, check_int, check_spins


class SiteEnergyFunction(Protocol):
    """Site energies eps_i (L, L) float64 of a texture (L, L, 3) (their sum is the energy)."""

    def __call__(self, spins: NDArray[np.float64]) -> NDArray[np.float64]: ...


def update_group_spacing(L: int, energy_radius: int) -> int:
    """Smallest divisor s of L with s >= 2 r + 1 (else L): the spacing of one update group.

    Examples
    --------
    >>> update_group_spacing(96, 10), update_group_spacing(12, 10), update_group_spacing(12, 1)
    (24, 12, 3)
    """
    L = check_int("L", L, minimum=1)
    r = check_int("energy_radius", energy_radius, minimum=0)
    for s in range(2 * r + 1, L + 1):
        if L % s == 0:
            return s
    return L


def block_sums(values: NDArray[np.float64], spacing: int, radius: int) -> NDArray[np.float64]:
    """Sums of ``values`` (L, L) over the s x s blocks [o - r, o - r + s) of every group site.

    Returns (L / s, L / s): entry (m1, m2) is the sum over the block whose corner offset is
    (-r, -r) from site (s m1, s m2); with ``np.roll`` the caller moves its group to offset 0.
    """
    L = values.shape[0]
    n = L // spacing
    shifted = np.roll(values, shift=(radius, radius), axis=(0, 1))
    return shifted.reshape(n, spacing, n, spacing).sum(axis=(1, 3))


def propose(spins: NDArray[np.float64], step_size: float, rng: np.random.Generator):
    """Symmetric proposals S' = normalise(S + step_size * g), g standard normal, per site."""
    moved = spins + step_size * rng.standard_normal(spins.shape)
    return moved / np.linalg.norm(moved, axis=-1, keepdims=True)


@dataclass(frozen=True)
class MetropolisParams:
    """One Metropolis sweep: temperature, proposal width and external field.

    Parameters
    ----------
    temperature : float
        T > 0 (units of t1, k_B = 1).
    step_size : float
        Width delta of the proposals (see module docstring); > 0.
    external_field : tuple of 3 floats
        H_ext (t1), adding -H_ext . S_i to the energy, as in the LLG runs.
    """

    temperature: float = 0.01
    step_size: float = 0.5
    external_field: tuple[float, float, float] = (0.0, 0.0, 0.005)

    def __post_init__(self) -> None:
        check_float("temperature", self.temperature, minimum=0.0, strict_minimum=True)
        check_float("step_size", self.step_size, minimum=0.0, strict_minimum=True)
        field = tuple(float(x) for x in self.external_field)
        if len(field) != 3 or not np.all(np.isfinite(field)):
            raise ValueError(f"external_field must be 3 finite numbers, got {self.external_field}")
        object.__setattr__(self, "external_field", field)


@dataclass
class MetropolisState:
    """Spins and their cached site energies (updated in place by :func:`metropolis_sweep`)."""

    spins: NDArray[np.float64]
    site_energies: NDArray[np.float64]
    accepted: int = 0
    proposed: int = 0

    @property
    def acceptance(self) -> float:
        """Accepted / proposed moves so far (nan before the first)."""
        return self.accepted / self.proposed if self.proposed else float("nan")


def start_state(spins: NDArray[np.float64], energy_fn: SiteEnergyFunction) -> MetropolisState:
    """A :class:`MetropolisState` at ``spins`` (one energy evaluation)."""
    spins = check_spins(spins).copy()
    energies = np.asarray(energy_fn(spins), dtype=np.float64)
    if energies.shape != spins.shape[:2]:
        raise ValueError(
            f"the site-energy function returned shape {energies.shape}, expected {spins.shape[:2]}"
        )
    return MetropolisState(spins, energies)


def total_energy(state: MetropolisState, params: MetropolisParams) -> float:
    """E = sum_i eps_i - H_ext . sum_i S_i of the current state."""
    zeeman = -float(state.spins.reshape(-1, 3).sum(axis=0) @ np.asarray(params.external_field))
    return float(state.site_energies.sum()) + zeeman


def group_energy_changes(
    state: MetropolisState,
    offset: tuple[int, int],
    new: NDArray[np.float64],
    energy_fn: SiteEnergyFunction,
    energy_radius: int,
    external_field: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Energy change of each proposal of one update group, and the proposed site energies.

    ``new`` (L / s, L / s, 3) are the proposed spins of the group at ``offset`` (o1, o2).
    Returns (dE (L / s, L / s): the exact change of E = sum eps - H_ext . sum S if that
    proposal alone were made, site energies (L, L) of the lattice with all of them made).
    """
    spins = state.spins
    L = spins.shape[0]
    s = update_group_spacing(L, energy_radius)
    o1, o2 = offset
    sites = (slice(o1, None, s), slice(o2, None, s))
    trial = spins.copy()
    trial[sites] = new
    trial_energies = np.asarray(energy_fn(trial), dtype=np.float64)
    # move the group to offset (0, 0) so block (m1, m2) belongs to site (s m1, s m2)
    change = np.roll(trial_energies - state.site_energies, shift=(-o1, -o2), axis=(0, 1))
    delta = block_sums(change, s, energy_radius) - (new - spins[sites]) @ external_field
    return delta, trial_energies


def metropolis_sweep(
    state: MetropolisState,
    energy_fn: SiteEnergyFunction,
    energy_radius: int,
    params: MetropolisParams,
    rng: np.random.Generator,
) -> None:
    """One sweep: every update group once, in a random order (see the module docstring).

    Costs s^2 evaluations of ``energy_fn`` on the whole lattice (s from
    :func:`update_group_spacing`).  Updates ``state`` in place.
    """
    spins = state.spins
    L = spins.shape[0]
    s = update_group_spacing(L, energy_radius)
    r = energy_radius
    field = np.asarray(params.external_field)
    beta = 1.0 / params.temperature
    offsets = [(a, b) for a in range(s) for b in range(s)]
    for index in rng.permutation(len(offsets)):
        o1, o2 = offsets[index]
        sites = (slice(o1, None, s), slice(o2, None, s))
        old = spins[sites]
        new = propose(old, params.step_size, rng)
        delta, trial_energies = group_energy_changes(state, (o1, o2), new, energy_fn, r, field)
        accept = rng.random(delta.shape) < np.exp(np.minimum(0.0, -beta * delta))
        state.proposed += accept.size
        if not accept.any():
            continue
        state.accepted += int(accept.sum())
        spins[sites] = np.where(accept[..., None], new, old)
        # site energies: the proposed ones inside the blocks of accepted moves
        block_mask = np.repeat(np.repeat(accept, s, axis=0), s, axis=1)
        block_mask = np.roll(block_mask, shift=(o1 - r, o2 - r), axis=(0, 1))
        state.site_energies = np.where(block_mask, trial_energies, state.site_energies)
