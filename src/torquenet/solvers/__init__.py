"""Field solvers behind the FieldSolver protocol: exact diagonalisation (ED)."""

from torquenet.solvers._config import SOLVER_KINDS, SolverConfig, build_solver, compute_fields
from torquenet.solvers._ed import EDParams, EDSolver

__all__ = ["SOLVER_KINDS", "EDParams", "EDSolver", "SolverConfig", "build_solver", "compute_fields"]
