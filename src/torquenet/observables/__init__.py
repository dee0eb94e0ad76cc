"""Observables of spin textures (pure functions of spins on the lattice)."""

from torquenet.observables._observables import (
    magnetization,
    perpendicular_part,
    solid_angles,
    structure_factor,
    topological_charge,
)

__all__ = [
    "magnetization",
    "perpendicular_part",
    "solid_angles",
    "structure_factor",
    "topological_charge",
]
