"""Training on a dataset directory from ``torquenet generate`` (API of ``torquenet train``)."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from torquenet.config import from_mapping
from torquenet.data.dataset import TrajectoryDataset
from torquenet.data.manifest import read_manifest
from torquenet.ml._train import TrainConfig, TrainResult, train
from torquenet.model import SDModelParams

logger = logging.getLogger(__name__)


def dataset_identity(directory: str | Path) -> tuple[str, SDModelParams]:
    """(checksum, physics) of a generated dataset: SHA-256 over its files' checksums in order."""
    manifest = read_manifest(directory)
    digest = hashlib.sha256()
    for unit in manifest.units:
        if unit.sha256 is None:
            raise ValueError(f"dataset {str(directory)!r} is incomplete ({unit.name} unfinished)")
        digest.update(f"{unit.name}:{unit.split}:{unit.sha256}\n".encode())
    params = from_mapping(SDModelParams, manifest.config["solver"]["model"], "manifest model")
    return digest.hexdigest(), params


def train_on_directory(
    config: TrainConfig,
    data_directory: str | Path,
    out_directory: str | Path,
    *,
    resume: bool = True,
    show_progress: bool = False,
) -> TrainResult:
    """Train on the train/validation splits of a generated dataset (checksums verified).

    The model file records the dataset's checksum and the s-d parameters it was generated with.
    """
    checksum, params = dataset_identity(data_directory)
    # train() expects torques in physical units (t1) and sets the output scale itself.
    train_set = TrajectoryDataset(data_directory, "train", normalize=False)
    val_set = TrajectoryDataset(data_directory, "validation", normalize=False, verify=False)
    if len(val_set) == 0:
        raise ValueError(
            f"dataset {str(data_directory)!r} has no validation trajectories; generate it with "
            f"validation_fraction > 0"
        )
    logger.info(
        "dataset %s: %d train / %d validation frames", data_directory, len(train_set), len(val_set)
    )
    return train(
        config,
        train_set,
        val_set,
        out_directory,
        params=params,
        dataset_checksum=checksum,
        resume=resume,
        show_progress=show_progress,
    )
