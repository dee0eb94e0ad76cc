"""Built-in spin textures: random, ferromagnet, spirals and (perturbed) skyrmion lattices."""

from torquenet.textures._textures import (
    Q_MAGNITUDE,
    SkyrmionLatticeAnsatz,
    SkyrmionPerturbation,
    ferromagnet,
    nesting_wavevectors,
    normalize,
    random_spins,
    skyrmion_lattice,
    spiral,
)

__all__ = [
    "Q_MAGNITUDE",
    "SkyrmionLatticeAnsatz",
    "SkyrmionPerturbation",
    "ferromagnet",
    "nesting_wavevectors",
    "normalize",
    "random_spins",
    "skyrmion_lattice",
    "spiral",
]
