"""Run drivers: what ``torquenet fields | simulate | generate | demo`` do, as Python functions.

They orchestrate the layers below (solvers and the learned model, dynamics, storage, analysis)
and own nothing numerical themselves:

* :func:`build_solver` / :func:`compute_fields`: a FieldSolver from a typed config and the physics;
* :func:`simulate`: one checkpointed, resumable LLG trajectory (:class:`SimulationConfig`);
* :func:`simulate_domains`: the same, split over the processes of a torch.distributed group
  (``torchrun``; CNN solver);
* :func:`generate`: an ensemble of trajectories as a training dataset (:class:`GenerateConfig`),
  in this process, a local process pool or on Dask;
* :func:`run_demo`: the README's main job (:class:`DemoConfig`);
* :func:`run_monte_carlo`: Metropolis sampling with a learned energy model
  (:class:`MonteCarloConfig`, ``torquenet mc``).

Every resumable job holds :func:`torquenet.data.exclusive_run` on its output while it writes: a
second copy of the same job is refused with :class:`torquenet.data.RunInUseError` instead of
interleaving checkpoints.
"""

from torquenet.runs._demo import DEMO_PERTURBATION, DemoConfig, run_demo
from torquenet.runs._domain import check_domain_config, simulate_domains
from torquenet.runs._generate import SAMPLING_MODES, GenerateConfig, generate, run_unit
from torquenet.runs._monte_carlo import MonteCarloConfig, load_energy_model, run_monte_carlo
from torquenet.runs._simulate import bath_parameters, simulate
from torquenet.runs._simulation_config import (
    INIT_KINDS,
    SEED_DERIVATION,
    SimulationConfig,
    check_settings,
    frame_steps,
    initial_spins,
    seed_derivation,
    work_directory,
)
from torquenet.runs._solvers import FieldsConfig, build_solver, compute_fields, energy_record
from torquenet.runs._trajectory_files import ProgressCallback, StepProgressBar, read_unfinished

__all__ = [
    "DEMO_PERTURBATION",
    "INIT_KINDS",
    "SAMPLING_MODES",
    "SEED_DERIVATION",
    "DemoConfig",
    "FieldsConfig",
    "GenerateConfig",
    "ProgressCallback",
    "SimulationConfig",
    "StepProgressBar",
    "MonteCarloConfig",
    "load_energy_model",
    "run_monte_carlo",
    "bath_parameters",
    "build_solver",
    "check_domain_config",
    "check_settings",
    "compute_fields",
    "energy_record",
    "frame_steps",
    "generate",
    "initial_spins",
    "read_unfinished",
    "run_demo",
    "run_unit",
    "seed_derivation",
    "simulate",
    "simulate_domains",
    "work_directory",
]
