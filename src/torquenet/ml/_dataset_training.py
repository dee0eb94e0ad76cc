"""Training on dataset directories from ``torquenet generate`` (API of ``torquenet train``)."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from pathlib import Path

from torch.utils.data import ConcatDataset

from torquenet.data import Manifest, TrajectoryDataset, read_manifest
from torquenet.ml._train import TrainConfig, TrainResult, train
from torquenet.model import SDModelParams

logger = logging.getLogger(__name__)


def dataset_identity(directory: str | Path) -> tuple[str, SDModelParams]:
    """(checksum, physics) of a generated dataset: SHA-256 over its files' checksums in order."""
    return _manifest_identity(read_manifest(directory), directory)


def _manifest_identity(manifest: Manifest, directory: str | Path) -> tuple[str, SDModelParams]:
    digest = hashlib.sha256()
    for unit in manifest.units:
        if unit.sha256 is None:
            raise ValueError(f"dataset {str(directory)!r} is incomplete ({unit.name} unfinished)")
        digest.update(f"{unit.name}:{unit.split}:{unit.sha256}\n".encode())
    return digest.hexdigest(), manifest.physics()


def combined_identity(directories: Sequence[str | Path]) -> tuple[str, SDModelParams]:
    """(checksum, physics) of several datasets trained on together.

    One directory: its :func:`dataset_identity`.  Several: SHA-256 over their checksums in the
    given order.  They must share the s-d parameters and the lattice size L.

    Raises
    ------
    ValueError
        No directory, or two directories whose physics or L differ (both named).
    """
    if not directories:
        raise ValueError("at least one dataset directory is needed")
    manifests = [read_manifest(d) for d in directories]
    identities = [_manifest_identity(m, d) for m, d in zip(manifests, directories)]
    sizes = [m.lattice_size for m in manifests]
    first, params, size = directories[0], identities[0][1], sizes[0]
    for directory, (_, other), other_size in zip(directories[1:], identities[1:], sizes[1:]):
        if other != params:
            raise ValueError(
                f"datasets {str(first)!r} and {str(directory)!r} were generated with different "
                f"s-d parameters ({params} vs {other}); a model learns one physics"
            )
        if other_size != size:
            raise ValueError(
                f"datasets {str(first)!r} (L = {size}) and {str(directory)!r} (L = {other_size}) "
                f"differ in lattice size; training batches need one L"
            )
    if len(directories) == 1:
        return identities[0]
    digest = hashlib.sha256()
    for checksum, _ in identities:
        digest.update(f"{checksum}\n".encode())
    return digest.hexdigest(), params


def train_on_directory(
    config: TrainConfig,
    data_directory: str | Path | Sequence[str | Path],
    out_directory: str | Path,
    *,
    resume: bool = True,
    show_progress: bool = False,
) -> TrainResult:
    """Train on the train/validation splits of one or several generated datasets.

    Several directories (same physics and L) are trained on as one dataset: their train splits
    together, their validation splits together, the output scale from all training frames.  The
    model file records the datasets' checksum (:func:`combined_identity`) and the s-d parameters
    they were generated with.
    """
    directories = (
        [data_directory] if isinstance(data_directory, (str, Path)) else list(data_directory)
    )
    checksum, params = combined_identity(directories)
    # train() expects torques in physical units (t1) and sets the output scale itself.
    train_set = ConcatDataset([TrajectoryDataset(d, "train", normalize=False) for d in directories])
    val_set = ConcatDataset(
        [TrajectoryDataset(d, "validation", normalize=False) for d in directories]
    )
    if len(val_set) == 0:
        raise ValueError(
            f"datasets {[str(d) for d in directories]} have no validation trajectories; "
            f"generate with validation_fraction > 0"
        )
    logger.info(
        "datasets %s: %d train / %d validation frames",
        [str(d) for d in directories],
        len(train_set),
        len(val_set),
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
