"""The CNN torque models (paper Sec. III): networks, symmetry augmentation, loss, training, files.

Typical use::

    from torquenet.ml import MODEL_PRESETS, TrainConfig, train, CNNSolver
    result = train(TrainConfig(model=MODEL_PRESETS["default"]), train_set, val_set, "run",
                   params=SDModelParams())
    solver = CNNSolver.from_file(result.model_path, SDModelParams())  # a FieldSolver

or, on dataset directories from ``torquenet generate``, :func:`train_on_directory` (the API of
``torquenet train``).
"""

from torquenet.ml._architectures import (
    ARCHITECTURES,
    AnyModelConfig,
    TorqueModel,
    build_model,
    is_energy_model,
    theoretical_receptive_field,
)
from torquenet.ml._augment import (
    NUM_POINT_GROUP_OPERATIONS,
    augment_pairs,
    haar_rotations,
    point_group_gather_indices,
    transform_pairs,
)
from torquenet.ml._checkpoint import RESUMABLE_CHANGES
from torquenet.ml._dataset_training import combined_identity, dataset_identity, train_on_directory
from torquenet.ml._datasets import (
    AugmentedDataset,
    DatasetSummary,
    TensorPairDataset,
    summarize_dataset,
)
from torquenet.ml._distributed import DistributedContext, current_context, setup_distributed
from torquenet.ml._domain import DomainCNNSolver, RowSlabs, exchange_row_halos
from torquenet.ml._energy import (
    EnergyModelConfig,
    EquivariantEnergyCNN,
    SiteEnergies,
    SiteEnergyOutputs,
)
from torquenet.ml._equivariant import (
    BondBasis,
    EquivariantBackbone,
    EquivariantModelConfig,
    EquivariantTorqueCNN,
    IsotropicConv,
    hexagonal_orbits,
    legendre_series,
)
from torquenet.ml._field_solver import CNNSolver
from torquenet.ml._loss import (
    MIN_TORQUE_MAGNITUDE,
    energy_per_site_loss,
    relative_l1_loss,
    relative_l1_per_site,
)
from torquenet.ml._metrics import (
    TorqueErrorSummary,
    evaluate_torques,
    relative_magnitude_errors,
    signed_relative_magnitude_errors,
    summarize_errors,
    torque_angles_degrees,
)
from torquenet.ml._model import (
    MODEL_PRESETS,
    ModelConfig,
    TorqueCNN,
    count_parameters,
    receptive_field,
)
from torquenet.ml._model_file import (
    MODEL_FILE_FORMAT,
    MODEL_FILE_VERSION,
    ModelFileInfo,
    check_physics_matches,
    load_model_file,
    read_model_file,
    save_model_file,
)
from torquenet.ml._tiling import (
    DEFAULT_MAX_MEMORY,
    TilePlan,
    activation_bytes_per_site,
    halo_forward,
    halo_radius,
    plan_tiles,
    tiled_forward,
)
from torquenet.ml._train import TrainConfig, TrainResult, train
from torquenet.ml._warm_start import initialize_from_file, widen_equivariant

__all__ = [
    # networks
    "ARCHITECTURES",
    "MODEL_PRESETS",
    "AnyModelConfig",
    "BondBasis",
    "EnergyModelConfig",
    "EquivariantBackbone",
    "EquivariantEnergyCNN",
    "EquivariantModelConfig",
    "EquivariantTorqueCNN",
    "IsotropicConv",
    "ModelConfig",
    "TorqueCNN",
    "TorqueModel",
    "build_model",
    "count_parameters",
    "hexagonal_orbits",
    "is_energy_model",
    "legendre_series",
    "receptive_field",
    "theoretical_receptive_field",
    # the learned FieldSolver, its tiled evaluation and its files
    "DEFAULT_MAX_MEMORY",
    "TilePlan",
    "activation_bytes_per_site",
    "halo_radius",
    "plan_tiles",
    "tiled_forward",
    "halo_forward",
    "MODEL_FILE_FORMAT",
    "MODEL_FILE_VERSION",
    "CNNSolver",
    "SiteEnergies",
    "SiteEnergyOutputs",
    "ModelFileInfo",
    "check_physics_matches",
    "load_model_file",
    "read_model_file",
    "save_model_file",
    # domain decomposition over torch.distributed (simulation)
    "DistributedContext",
    "DomainCNNSolver",
    "RowSlabs",
    "current_context",
    "exchange_row_halos",
    "setup_distributed",
    # symmetry augmentation and training data
    "NUM_POINT_GROUP_OPERATIONS",
    "AugmentedDataset",
    "DatasetSummary",
    "TensorPairDataset",
    "augment_pairs",
    "haar_rotations",
    "point_group_gather_indices",
    "summarize_dataset",
    "transform_pairs",
    # loss and error metrics
    "MIN_TORQUE_MAGNITUDE",
    "TorqueErrorSummary",
    "evaluate_torques",
    "energy_per_site_loss",
    "relative_l1_loss",
    "relative_l1_per_site",
    "relative_magnitude_errors",
    "signed_relative_magnitude_errors",
    "summarize_errors",
    "torque_angles_degrees",
    # training
    "RESUMABLE_CHANGES",
    "TrainConfig",
    "TrainResult",
    "combined_identity",
    "dataset_identity",
    "initialize_from_file",
    "train",
    "train_on_directory",
    "widen_equivariant",
]
