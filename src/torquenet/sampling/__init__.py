"""Equilibrium sampling of spin textures: Metropolis Monte Carlo with a local energy model."""

from torquenet.sampling._metropolis import (
    MetropolisParams,
    MetropolisState,
    SiteEnergyFunction,
    block_sums,
    group_energy_changes,
    metropolis_sweep,
    propose,
    start_state,
    total_energy,
    update_group_spacing,
)

__all__ = [
    "MetropolisParams",
    "MetropolisState",
    "SiteEnergyFunction",
    "block_sums",
    "group_energy_changes",
    "metropolis_sweep",
    "propose",
    "start_state",
    "total_energy",
    "update_group_spacing",
]
