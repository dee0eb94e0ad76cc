"""Storage and datasets: the HDF5 layout (schema), trajectory files, dataset manifests, frames.

Producing the data (LLG runs, ensembles) is the job of :mod:`torquenet.runs`; this package only
defines, writes, verifies and reads it.
"""

from torquenet.data.builtin_configs import builtin_config_names, resolve_config_path
from torquenet.data.dataset import SPLITS, TrajectoryDataset
from torquenet.data.export import (
    EXPORT_FORMATS,
    OVFData,
    export_ovf,
    export_trajectory,
    export_vtk,
    read_ovf,
)
from torquenet.data.locking import RunInUseError, exclusive_run, lock_path
from torquenet.data.manifest import (
    START_TYPES,
    Manifest,
    UnitRecord,
    dataset_info,
    read_manifest,
    sha256_of,
    verify_unit,
)
from torquenet.data.schema import (
    SCHEMA_VERSION,
    TRAJECTORY_ATTRIBUTES,
    TRAJECTORY_DATASETS,
    DatasetSpec,
)
from torquenet.data.storage import (
    Checkpoint,
    Trajectory,
    read_checkpoint,
    read_spins,
    read_trajectory,
    write_checkpoint,
    write_trajectory,
)

__all__ = [
    "EXPORT_FORMATS",
    "SCHEMA_VERSION",
    "SPLITS",
    "START_TYPES",
    "TRAJECTORY_ATTRIBUTES",
    "TRAJECTORY_DATASETS",
    "Checkpoint",
    "DatasetSpec",
    "Manifest",
    "OVFData",
    "RunInUseError",
    "Trajectory",
    "TrajectoryDataset",
    "UnitRecord",
    "builtin_config_names",
    "dataset_info",
    "exclusive_run",
    "export_ovf",
    "export_trajectory",
    "export_vtk",
    "lock_path",
    "read_checkpoint",
    "read_manifest",
    "read_ovf",
    "read_spins",
    "read_trajectory",
    "resolve_config_path",
    "sha256_of",
    "verify_unit",
    "write_checkpoint",
    "write_trajectory",
]
