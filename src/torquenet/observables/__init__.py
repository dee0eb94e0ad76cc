"""Observables of spin textures (pure functions of spins on the lattice)."""

from torquenet.observables._observables import (
    magnetization,
    perpendicular_part,
    solid_angles,
    structure_factor,
    topological_charge,
)
from torquenet.observables._skyrmions import (
    count_skyrmions,
    peak_intensity,
    skyrmion_lattice_order,
    skyrmion_peak_indices,
)

__all__ = [
    "count_skyrmions",
    "magnetization",
    "peak_intensity",
    "perpendicular_part",
    "skyrmion_lattice_order",
    "skyrmion_peak_indices",
    "solid_angles",
    "structure_factor",
    "topological_charge",
]
