"""One self-describing, portable file per trained model; loading never runs code from the file.

The file is ``torch.save`` of a dict holding only str, int, float, bool, None, lists, dicts and
CPU tensors, and it is read back with ``torch.load(weights_only=True)``, PyTorch's restricted
unpickler that refuses any other object (so no code from the file can execute).

Format (``format_version`` 1)::

    format            "torquenet-cnn-model"
    format_version    1
    package_version   torquenet version that wrote it
    model_config      {"widths": [...], "kernel_size": k, "head_width": int|None,
                       "project_perpendicular": bool}
    state_dict        {parameter/buffer name: float32 CPU tensor}  (includes torque_scale)
    torque_scale      float, mean |T| of the training data (t1); same value as the buffer
    sd_model_params   SDModelParams as a mapping (the physics the model was trained for)
    dataset_checksum  str, checksum of the training data (e.g. SHA-256)
    training_metrics  {name: float | int | str}, e.g. best validation loss, epochs
    train_config      plain mapping of the TrainConfig used (or {})
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import torch

from torquenet._device import resolve_device
from torquenet._version import __version__
from torquenet.config import from_mapping, to_mapping
from torquenet.ml._architectures import (
    AnyModelConfig,
    TorqueModel,
    build_model,
    is_torque_model,
    model_config_from_mapping,
)
from torquenet.model import SDModelParams

#: Value of the ``format`` entry that marks a file as a torquenet model.
MODEL_FILE_FORMAT = "torquenet-cnn-model"
#: Newest model-file layout written and read (files of versions 1 to this one are read).
MODEL_FILE_VERSION = 1

#: Keys of ``sd_model_params`` that files written before H_ext moved to the dynamics carry and
#: that never were part of the electron problem (H_ext acts on the local spins only and was
#: removed from the training torques, paper Sec. III C, so a model is valid at any H_ext).
_LEGACY_NON_ELECTRONIC_KEYS = ("external_field",)

_REQUIRED_KEYS = (
    "format_version",
    "package_version",
    "model_config",
    "state_dict",
    "torque_scale",
    "sd_model_params",
    "dataset_checksum",
    "training_metrics",
    "train_config",
)


@dataclass(frozen=True)
class ModelFileInfo:
    """Everything in a model file except the weights.

    Attributes
    ----------
    model_config : ModelConfig or EquivariantModelConfig
    torque_scale : float
        Mean torque magnitude of the training data (units of t1).
    params : SDModelParams
        The s-d model the network was trained for.
    dataset_checksum : str
    training_metrics : dict
    train_config : dict
    format_version : int
    package_version : str
    """

    model_config: AnyModelConfig
    torque_scale: float
    params: SDModelParams
    dataset_checksum: str
    training_metrics: dict = field(default_factory=dict)
    train_config: dict = field(default_factory=dict)
    format_version: int = MODEL_FILE_VERSION
    package_version: str = __version__


def save_model_file(
    path: str | Path,
    model: TorqueModel,
    *,
    params: SDModelParams,
    dataset_checksum: str,
    training_metrics: Mapping[str, float | int | str] | None = None,
    train_config: Mapping[str, Any] | None = None,
) -> Path:
    """Write ``model`` with its metadata to ``path`` (atomically: temp file, then rename).

    Parameters
    ----------
    path : str or Path
    model : TorqueCNN or EquivariantTorqueCNN
        Not a DistributedDataParallel wrapper: pass ``ddp.module``.
    params : SDModelParams
        Physics of the training data.
    dataset_checksum : str
    training_metrics : mapping of str to float, int or str, optional
    train_config : mapping, optional
        Plain (``to_mapping``) form of the training config.

    Returns
    -------
    Path
        The file written.
    """
    if not is_torque_model(model):
        raise TypeError(f"model must be a torquenet torque model, got {type(model).__name__}")
    if not isinstance(params, SDModelParams):
        raise TypeError(f"params must be SDModelParams, got {type(params).__name__}")
    payload = {
        "format": MODEL_FILE_FORMAT,
        "format_version": MODEL_FILE_VERSION,
        "package_version": __version__,
        "model_config": to_mapping(model.config),
        "state_dict": {k: v.detach().to("cpu").clone() for k, v in model.state_dict().items()},
        "torque_scale": float(model.torque_scale),
        "sd_model_params": to_mapping(params),
        "dataset_checksum": str(dataset_checksum),
        "training_metrics": _plain_metrics(training_metrics or {}),
        "train_config": to_mapping(dict(train_config or {})),
    }
    return atomic_torch_save(payload, path)


def atomic_torch_save(payload: dict, path: str | Path) -> Path:
    """``torch.save`` to a temporary sibling, then rename: a crash never leaves half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(payload, tmp)
    os.replace(tmp, path)
    return path


def safe_torch_load(path: str | Path, what: str) -> Any:
    """``torch.load(weights_only=True)`` with clear errors for missing or unreadable files."""
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{what} {str(path)!r} is a directory; name the .pt file itself")
    if not path.is_file():
        raise FileNotFoundError(f"{what} {str(path)!r} does not exist")
    if not zipfile.is_zipfile(path):
        raise ValueError(
            f"{str(path)!r} is not a readable {what}: it is not a torch.save archive (truncated, "
            "corrupt, or a different kind of file)"
        )
    # torch.load does not check the archive's CRC-32 checksums; a flipped bit in a weight would
    # load as another number.  testzip reads every member and checks them.
    try:
        with zipfile.ZipFile(path) as archive:
            damaged = archive.testzip()
    except Exception as exc:  # BadZipFile, zlib errors, bad headers: all mean a damaged file
        raise ValueError(f"{str(path)!r} is a damaged {what}: {type(exc).__name__}: {exc}") from exc
    if damaged is not None:
        raise ValueError(
            f"{str(path)!r} is a damaged {what}: member {damaged!r} fails its CRC-32 checksum"
        )
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # damaged archives raise OSError, KeyError, UnpicklingError, ...
        raise ValueError(
            f"{str(path)!r} is not a readable {what} (damaged, or holding objects other than "
            f"tensors and plain data, which are never unpickled): {type(exc).__name__}: {exc}"
        ) from exc


def read_model_file(path: str | Path) -> tuple[ModelFileInfo, dict[str, torch.Tensor]]:
    """Metadata and CPU state dict of a model file, validated, without building the network.

    Raises
    ------
    FileNotFoundError
        No such file.
    ValueError
        Truncated or corrupt file, not a torquenet model, a newer format, or bad metadata.
    """
    payload = safe_torch_load(path, "torquenet model file")
    where = f"model file {str(path)!r}"
    if not isinstance(payload, dict) or payload.get("format") != MODEL_FILE_FORMAT:
        found = payload.get("format") if isinstance(payload, dict) else type(payload).__name__
        raise ValueError(
            f"{where} is not a torquenet model: expected format {MODEL_FILE_FORMAT!r}, "
            f"found {found!r}"
        )
    missing = [k for k in _REQUIRED_KEYS if k not in payload]
    if missing:
        raise ValueError(f"{where} lacks the entries {missing}; it is incomplete or corrupt")
    version = payload["format_version"]
    if not isinstance(version, int) or version > MODEL_FILE_VERSION or version < 1:
        raise ValueError(
            f"{where} has format_version {version!r}; this torquenet ({__version__}) reads "
            f"versions 1..{MODEL_FILE_VERSION}"
        )
    info = ModelFileInfo(
        model_config=model_config_from_mapping(payload["model_config"], f"{where}: model_config"),
        torque_scale=float(payload["torque_scale"]),
        params=_stored_params(payload["sd_model_params"], where),
        dataset_checksum=str(payload["dataset_checksum"]),
        training_metrics=dict(payload["training_metrics"]),
        train_config=dict(payload["train_config"]),
        format_version=version,
        package_version=str(payload["package_version"]),
    )
    return info, payload["state_dict"]


def _stored_params(mapping: Any, where: str) -> SDModelParams:
    """The file's SDModelParams (keys of older files that are not s-d parameters dropped)."""
    if isinstance(mapping, dict):
        mapping = {k: v for k, v in mapping.items() if k not in _LEGACY_NON_ELECTRONIC_KEYS}
    return from_mapping(SDModelParams, mapping, f"{where}: sd_model_params")


def check_physics_matches(trained: SDModelParams, requested: SDModelParams, source: str) -> None:
    """Raise ValueError naming every s-d parameter where ``requested`` differs.

    Values are compared exactly: they round-trip through the file as Python floats.
    """
    diffs = [
        f"{f.name}: trained {getattr(trained, f.name)!r}, requested {getattr(requested, f.name)!r}"
        for f in fields(SDModelParams)
        if getattr(trained, f.name) != getattr(requested, f.name)
    ]
    if diffs:
        raise ValueError(
            f"{source} was trained for different physics than requested ("
            + "; ".join(diffs)
            + "); retrain for these parameters or request the ones it was trained for"
        )


def load_model_file(
    path: str | Path,
    *,
    params: SDModelParams | None = None,
    device: str = "cpu",
) -> tuple[TorqueModel, ModelFileInfo]:
    """Rebuild the trained network from a model file.

    Parameters
    ----------
    path : str or Path
    params : SDModelParams, optional
        The physics the caller wants; refused unless it equals the s-d parameters the model was
        trained for.  None skips the check (use the file's parameters).
    device : str
        "cpu", "cuda", "cuda:N" or "auto".

    Returns
    -------
    model : TorqueCNN or EquivariantTorqueCNN
        In eval mode, float32, on ``device``.
    info : ModelFileInfo

    Raises
    ------
    FileNotFoundError, ValueError
        See :func:`read_model_file`; also a physics mismatch or weights that do not fit the
        stored architecture.
    """
    info, state_dict = read_model_file(path)
    source = f"model file {str(path)!r}"
    if params is not None:
        check_physics_matches(info.params, params, source)
    model = build_model(info.model_config, torque_scale=info.torque_scale)
    try:
        model.load_state_dict(state_dict, strict=True)
    except RuntimeError as exc:
        raise ValueError(f"{source}: weights do not fit its model_config: {exc}") from exc
    return model.to(resolve_device(device)).eval(), info


def _plain_metrics(metrics: Mapping[str, Any]) -> dict[str, float | int | str]:
    out: dict[str, float | int | str] = {}
    for key, value in metrics.items():
        if not isinstance(value, (int, float, str)) and hasattr(value, "item"):
            value = value.item()  # numpy / torch scalars
        if not isinstance(value, (int, float, str)):
            raise TypeError(f"training metric {key!r} must be a number or str, got {value!r}")
        out[str(key)] = value
    return out
