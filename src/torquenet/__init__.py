"""torquenet: machine-learned spin dynamics of itinerant magnets."""

from torquenet._typing import FieldResult, FieldSolver
from torquenet._version import __version__
from torquenet.lattice import TriangularLattice
from torquenet.model import SDModelParams
from torquenet.solvers import EDParams, EDSolver, KPMParams, KPMSolver, SolverConfig

__all__ = [
    "EDParams",
    "EDSolver",
    "FieldResult",
    "FieldSolver",
    "KPMParams",
    "KPMSolver",
    "SolverConfig",
    "SDModelParams",
    "TriangularLattice",
    "__version__",
]
