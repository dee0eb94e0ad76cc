"""Built-in spin textures: random, ferromagnet, spirals, (perturbed) skyrmion lattices, random
ordered phases."""

from torquenet.textures._textures import (
    ORDERED_FAMILIES,
    Q_MAGNITUDE,
    OrderedPhaseDistribution,
    SkyrmionLatticeAnsatz,
    SkyrmionPerturbation,
    ferromagnet,
    nesting_wavevectors,
    normalize,
    random_ordered_phase,
    random_spins,
    skyrmion_lattice,
    spiral,
)

__all__ = [
    "ORDERED_FAMILIES",
    "Q_MAGNITUDE",
    "OrderedPhaseDistribution",
    "SkyrmionLatticeAnsatz",
    "SkyrmionPerturbation",
    "ferromagnet",
    "nesting_wavevectors",
    "normalize",
    "random_ordered_phase",
    "random_spins",
    "skyrmion_lattice",
    "spiral",
]
