"""The CNN torque model (paper Sec. III): network, symmetry augmentation, loss, training, files.

Typical use::

    from torquenet.ml import MODEL_PRESETS, TrainConfig, train, CNNSolver
    result = train(TrainConfig(model=MODEL_PRESETS["default"]), train_set, val_set, "run",
                   params=SDModelParams())
    solver = CNNSolver.from_file(result.model_path, SDModelParams())  # a FieldSolver
"""

from torquenet.ml._architectures import ARCHITECTURES, build_model, model_config_from_mapping
from torquenet.ml._augment import (
    NUM_POINT_GROUP_OPERATIONS,
    augment_pairs,
    haar_rotations,
    point_group_gather_indices,
    transform_pairs,
)
from torquenet.ml._checkpoint import RESUMABLE_CHANGES
from torquenet.ml._datasets import (
    MAX_START_TYPES,
    AugmentedDataset,
    DatasetSummary,
    TensorPairDataset,
    sample_seed,
    summarize_dataset,
)
from torquenet.ml._distributed import DistributedContext, setup_distributed
from torquenet.ml._equivariant import EquivariantModelConfig, EquivariantTorqueCNN
from torquenet.ml._field_solver import CNNSolver
from torquenet.ml._loss import MIN_TORQUE_MAGNITUDE, relative_l1_loss, relative_l1_per_site
from torquenet.ml._metrics import (
    TorqueErrorSummary,
    evaluate_torques,
    relative_magnitude_errors,
    torque_angles_degrees,
)
from torquenet.ml._model import (
    MODEL_PRESETS,
    ModelConfig,
    ResNetBlock,
    TorqueCNN,
    count_parameters,
    project_perpendicular,
    receptive_field,
)
from torquenet.ml._model_file import (
    ELECTRONIC_PARAMETERS,
    MODEL_FILE_FORMAT,
    MODEL_FILE_VERSION,
    ModelFileInfo,
    check_physics_matches,
    load_model_file,
    read_model_file,
    save_model_file,
)
from torquenet.ml._train import TrainConfig, TrainResult, train

__all__ = [
    "ARCHITECTURES",
    "EquivariantModelConfig",
    "EquivariantTorqueCNN",
    "build_model",
    "model_config_from_mapping",
    "ELECTRONIC_PARAMETERS",
    "MAX_START_TYPES",
    "MIN_TORQUE_MAGNITUDE",
    "MODEL_FILE_FORMAT",
    "MODEL_FILE_VERSION",
    "MODEL_PRESETS",
    "NUM_POINT_GROUP_OPERATIONS",
    "RESUMABLE_CHANGES",
    "AugmentedDataset",
    "CNNSolver",
    "DatasetSummary",
    "DistributedContext",
    "ModelConfig",
    "ModelFileInfo",
    "ResNetBlock",
    "TensorPairDataset",
    "TorqueCNN",
    "TorqueErrorSummary",
    "TrainConfig",
    "TrainResult",
    "augment_pairs",
    "check_physics_matches",
    "count_parameters",
    "evaluate_torques",
    "haar_rotations",
    "load_model_file",
    "point_group_gather_indices",
    "project_perpendicular",
    "read_model_file",
    "receptive_field",
    "relative_l1_loss",
    "relative_l1_per_site",
    "relative_magnitude_errors",
    "sample_seed",
    "save_model_file",
    "setup_distributed",
    "summarize_dataset",
    "torque_angles_degrees",
    "train",
    "transform_pairs",
]
