"""Trajectory data: HDF5 layout (schema), storage, and checkpointed LLG runs (simulate)."""

from torquenet.data.schema import SCHEMA_VERSION, TRAJECTORY_DATASETS, DatasetSpec
from torquenet.data.simulate import (
    INIT_KINDS,
    SimulationConfig,
    StepProgressBar,
    frame_steps,
    initial_spins,
    simulate,
    work_directory,
)
from torquenet.data.storage import (
    Checkpoint,
    Trajectory,
    read_checkpoint,
    read_trajectory,
    write_checkpoint,
    write_trajectory,
)

__all__ = [
    "INIT_KINDS",
    "SCHEMA_VERSION",
    "TRAJECTORY_DATASETS",
    "Checkpoint",
    "DatasetSpec",
    "SimulationConfig",
    "StepProgressBar",
    "Trajectory",
    "frame_steps",
    "initial_spins",
    "read_checkpoint",
    "read_trajectory",
    "simulate",
    "work_directory",
    "write_checkpoint",
    "write_trajectory",
]
