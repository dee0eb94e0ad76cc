"""Field solvers behind the FieldSolver protocol: exact diagonalisation (ED) and KPM.

The learned solver (``kind="cnn"``) lives in :mod:`torquenet.ml`; the factory that builds any of
them from a :class:`SolverConfig` is :func:`torquenet.runs.build_solver`.
"""

from torquenet.solvers._config import SOLVER_KINDS, LearnedModelParams, SolverConfig
from torquenet.solvers._ed import EDParams, EDSolver
from torquenet.solvers._kpm import KPMParams, KPMSolver
from torquenet.solvers._moments import (
    exact_distance_on_torus,
    exact_probing_distance,
    local_spin_moments,
)
from torquenet.solvers._probe_noise import (
    CALIBRATION_STREAM,
    ProbeFieldNoise,
    fresh_probe_kpm,
    probe_field_noise,
)
from torquenet.solvers._supercell import SupercellSolver

__all__ = [
    "CALIBRATION_STREAM",
    "SOLVER_KINDS",
    "EDParams",
    "EDSolver",
    "KPMParams",
    "KPMSolver",
    "LearnedModelParams",
    "ProbeFieldNoise",
    "SolverConfig",
    "SupercellSolver",
    "exact_distance_on_torus",
    "exact_probing_distance",
    "fresh_probe_kpm",
    "local_spin_moments",
    "probe_field_noise",
]
