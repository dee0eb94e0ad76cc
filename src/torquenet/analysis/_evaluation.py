"""Benchmarks of a torque model: accuracy (paper Figs. 3-4) and symmetry (Fig. 9).

``evaluate_model`` is the Python mirror of ``torquenet evaluate`` (the receptive-field report of
``torquenet erf``, Fig. 10, is :mod:`torquenet.analysis._receptive_field_report`).  Torques are
compared in physical units (t1): the labels of a dataset are the electron fields' components
perpendicular to the spins, H_perp = H - (H.S) S (paper Sec. III C, H_ext excluded), and the
model file's network predicts exactly that quantity (its output is rescaled by the training
set's mean magnitude).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from torquenet._validation import check_finite, check_int
from torquenet.analysis._evaluation_figures import draw_evaluation
from torquenet.analysis._metrics import (
    ANGLE_THRESHOLDS,
    MAGNITUDE_DEVIATION_LINES,
    PERCENTILES,
    angle_error_degrees,
    equivariance_errors,
    torque_metrics,
)
from torquenet.config import save_config, to_mapping
from torquenet.data import TrajectoryDataset
from torquenet.ml import (
    CNNSolver,
    check_physics_matches,
    haar_rotations,
    theoretical_receptive_field,
)
from torquenet.model import SDModelParams

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class EvaluationConfig:
    """Settings of ``torquenet evaluate``.

    Parameters
    ----------
    split : str
        Dataset split: "validation" (held-out trajectories), "train" or "all".
    max_frames : int, optional
        Evaluate at most this many frames, divided evenly between the start types present
        (at least one each), spread evenly through each start type's frames.  None: all.  The
        default, 2000 frames (4.6 M sites at L = 48), saturates the error statistics while the
        frames held in memory (3 arrays of 24 L^2 bytes each per frame) stay near 0.3 GB.
    num_rotations : int
        Haar-random SO(3) rotations for the equivariance test (paper Fig. 9).
    num_equivariance_frames : int
        Frames (spread over the evaluated ones) on which equivariance is tested.
    seed : int
        Seed of the random rotations.
    device : str
        "cpu", "cuda", "cuda:N" or "auto".
    batch_size : int
        Frames per forward pass.
    """

    split: str = "validation"
    max_frames: int | None = 2000
    num_rotations: int = 8
    num_equivariance_frames: int = 4
    seed: int = 0
    device: str = "cpu"
    batch_size: int = 16

    def __post_init__(self) -> None:
        if self.split not in ("train", "validation", "all"):
            raise ValueError(
                f"split must be one of ('train', 'validation', 'all'), got {self.split!r}"
            )
        if self.max_frames is not None:
            check_int("max_frames", self.max_frames, minimum=1)
        check_int("num_rotations", self.num_rotations, minimum=1)
        check_int("num_equivariance_frames", self.num_equivariance_frames, minimum=1)
        check_int("seed", self.seed, minimum=0)
        check_int("batch_size", self.batch_size, minimum=1)


def select_frames(dataset: TrajectoryDataset, max_frames: int | None) -> dict[str, list[int]]:
    """Dataset items by start type (``START_TYPES``), thinned to ``max_frames`` in total."""
    by_type: dict[str, list[int]] = {}
    for item, (unit, _) in enumerate(dataset.index):
        by_type.setdefault(dataset.units[unit].start_type, []).append(item)
    if not by_type:
        raise ValueError(f"dataset {str(dataset.directory)!r} has no frames in this split")
    if max_frames is None:
        return by_type
    per_type = max(1, max_frames // len(by_type))
    out = {}
    for start, items in by_type.items():
        keep = np.unique(np.rint(np.linspace(0, len(items) - 1, min(per_type, len(items)))))
        out[start] = [items[int(k)] for k in keep]
    return out


def _percentiles(values: NDArray[np.float64], prefix: str) -> dict[str, float]:
    return {f"{prefix}_p{p}": float(np.percentile(values, p)) for p in PERCENTILES}


def accuracy_metrics(predicted: NDArray[np.float64], true: NDArray[np.float64]) -> dict[str, Any]:
    """Eq. (11) loss, angle and magnitude error percentiles and the paper's threshold fractions.

    Parameters
    ----------
    predicted, true : ndarray, shape (..., 3)
        Torques (t1).

    Returns
    -------
    dict
        :func:`~torquenet.analysis.torque_metrics` plus absolute magnitude differences
        ``abs_magnitude_difference_p*`` (t1), the fractions of sites whose magnitude difference
        lies below each of :data:`MAGNITUDE_DEVIATION_LINES`, the fractions whose angle exceeds
        each of :data:`ANGLE_THRESHOLDS`, the mean true magnitude and the percentiles of
        |T_pred - T_true| (``abs_error_p*``, t1).

    Examples
    --------
    >>> t = np.array([[0.01, 0.0, 0.0], [0.0, 0.02, 0.0]])
    >>> m = accuracy_metrics(t, t)
    >>> m["eq11_loss"], m["fraction_magnitude_difference_below_0.001"]
    (0.0, 1.0)
    """
    out: dict[str, Any] = torque_metrics(predicted, true)
    true_norm = np.linalg.norm(true, axis=-1).ravel()
    difference = np.abs(np.linalg.norm(predicted, axis=-1).ravel() - true_norm)
    angle = angle_error_degrees(predicted, true).ravel()
    out.update(_percentiles(difference, "abs_magnitude_difference"))
    out.update(_percentiles(np.linalg.norm(predicted - true, axis=-1).ravel(), "abs_error"))
    for line in MAGNITUDE_DEVIATION_LINES:
        out[f"fraction_magnitude_difference_below_{line:g}"] = float(np.mean(difference < line))
    for threshold in ANGLE_THRESHOLDS:
        out[f"fraction_angle_above_{threshold:g}_deg"] = float(np.mean(angle > threshold))
    out["mean_true_magnitude"] = float(true_norm.mean())
    return out


# ----------------------------------------------------------------------------- evaluate
def _dataset_params(dataset: TrajectoryDataset) -> SDModelParams:
    return dataset.manifest.physics()


def _predict(solver: CNNSolver, spins: NDArray[np.float64], batch_size: int) -> NDArray:
    predicted = np.concatenate(
        [solver.compute(spins[k : k + batch_size]).fields for k in range(0, len(spins), batch_size)]
    )
    return check_finite("predicted torques", predicted, f" of {solver!r} (NaN weights?)")


def evaluate_model(
    model_path: str | Path,
    data_dir: str | Path,
    out_dir: str | Path,
    config: EvaluationConfig | None = None,
) -> dict[str, Any]:
    """Evaluate a model file on a generated dataset; write the figures and ``metrics.json``.

    Parameters
    ----------
    model_path : path
        Model file (``torquenet.ml.save_model_file``).
    data_dir : path
        Dataset directory (``torquenet generate``); its physics must be the model's.
    out_dir : path
        Output directory (created).
    config : EvaluationConfig, optional

    Returns
    -------
    dict
        The content of ``metrics.json``: ``per_start_type`` and ``all`` (see
        :func:`accuracy_metrics`), ``equivariance`` (percentiles of the SO(3), pooled D6 and
        per-operation errors next to those of the prediction error on the same frames), the
        model's metadata and the files written.

    Raises
    ------
    ValueError
        The model was trained for other electronic parameters than the dataset's.

    Notes
    -----
    Figures (PNG and PDF): ``parity`` (Fig. 3, rows by start type), ``magnitude_angle``
    (Fig. 4), ``equivariance`` and ``equivariance_d6`` (Fig. 9).  All errors are per site, in
    t1.  The Eq. (11) loss is mean_i sum_a |T_a - T^_a| / |T^| with T^ the truth.

    Examples
    --------
    >>> metrics = evaluate_model("run/model.pt", "data", "evaluation",
    ...                          EvaluationConfig(max_frames=200))  # doctest: +SKIP
    >>> metrics["per_start_type"]["random"]["angle_deg_p50"]  # doctest: +SKIP
    """
    config = config or EvaluationConfig()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    dataset = TrajectoryDataset(data_dir, split=config.split, verify=True, normalize=False)
    solver = CNNSolver.from_file(model_path, device=config.device, batch_size=config.batch_size)
    check_physics_matches(
        solver.params,
        _dataset_params(dataset),
        f"model file {str(model_path)!r} (evaluated on dataset {str(data_dir)!r})",
    )
    groups = {}
    try:
        for start, items in select_frames(dataset, config.max_frames).items():
            frames = [dataset.frame(k) for k in items]
            spins = np.stack([f[0] for f in frames])
            true = np.stack([f[1] for f in frames])
            groups[start] = (spins, _predict(solver, spins, config.batch_size), true)
    finally:
        dataset.close()
    result = _metrics_and_figures(solver, groups, out, config)
    info = solver.info
    result.update(
        model=str(model_path),
        data=str(data_dir),
        split=config.split,
        units="torques and errors in t1; angles in degrees",
        model_info={
            "model_config": to_mapping(info.model_config),
            "torque_scale": info.torque_scale,
            "dataset_checksum": info.dataset_checksum,
            "training_metrics": info.training_metrics,
            "theoretical_receptive_field": theoretical_receptive_field(info.model_config),
        },
    )
    save_config(config, out / "evaluation_config.yaml")
    result["files_written"] = sorted(
        [*result.pop("_figures"), "evaluation_config.yaml", "metrics.json"]
    )
    (out / "metrics.json").write_text(json.dumps(result, indent=1) + "\n")
    logger.info("evaluated %s on %s (%s): wrote %s", model_path, data_dir, config.split, out)
    return result


def _metrics_and_figures(solver, groups, out: Path, config: EvaluationConfig) -> dict[str, Any]:
    """Accuracy and equivariance numbers of the selected frames; the figures drawn from them."""
    per_type = {start: accuracy_metrics(pred, true) for start, (_, pred, true) in groups.items()}
    for start, (spins, _, _) in groups.items():
        per_type[start]["num_frames"] = len(spins)
    all_pred = np.concatenate([g[1] for g in groups.values()])
    all_true = np.concatenate([g[2] for g in groups.values()])
    overall = accuracy_metrics(all_pred, all_true)
    overall["num_frames"] = len(all_pred)
    # equivariance on a few frames, taken alternately from each start type
    pool = [
        (s, k)
        for k in range(max(len(g[0]) for g in groups.values()))
        for s in groups
        if k < len(groups[s][0])
    ]
    chosen = pool[: config.num_equivariance_frames]
    spins = np.stack([groups[s][0][k] for s, k in chosen])
    reference_error = np.linalg.norm(
        np.stack([groups[s][1][k] - groups[s][2][k] for s, k in chosen]), axis=-1
    )
    rotations = haar_rotations(
        config.num_rotations, torch.Generator().manual_seed(config.seed)
    ).numpy()
    errors = equivariance_errors(lambda s: _predict(solver, s, config.batch_size), spins, rotations)
    pooled = np.concatenate([e.ravel() for n, e in errors.items() if n not in ("SO(3)", "R0")])
    equivariance = {
        "num_frames": len(spins),
        "num_rotations": config.num_rotations,
        "seed": config.seed,
        "prediction_error_same_frames": _percentiles(reference_error.ravel(), "abs_error"),
        "SO(3)": _percentiles(errors["SO(3)"].ravel(), "abs_error"),
        "D6_pooled_nontrivial": _percentiles(pooled, "abs_error"),
        "D6": {n: _percentiles(e.ravel(), "abs_error") for n, e in errors.items() if n != "SO(3)"},
    }
    figures = draw_evaluation(groups, all_pred, all_true, errors, out)
    return {
        "per_start_type": per_type,
        "all": overall,
        "equivariance": equivariance,
        "_figures": [p.name for p in figures],
    }
