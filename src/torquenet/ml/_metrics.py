"""Accuracy of predicted torques: angle and relative magnitude error per site (paper Fig. 4)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from numpy.typing import NDArray
from torch.utils.data import DataLoader, Dataset

from torquenet._validation import check_int
from torquenet.ml._loss import relative_l1_per_site


def torque_angles_degrees(
    predicted: torch.Tensor, target: torch.Tensor, dim: int = 1
) -> torch.Tensor:
    """Angle between predicted and true torque on every site, degrees.

    Uses atan2(|a x b|, a.b), accurate at small angles where arccos of the cosine is not.
    ``dim`` holds the vector components (1: channels-first (batch, 3, L, L) -> (batch, L, L);
    -1: channels-last arrays of any leading shape).
    """
    cross = torch.linalg.cross(predicted, target, dim=dim).norm(dim=dim)
    dot = (predicted * target).sum(dim=dim)
    return torch.rad2deg(torch.atan2(cross, dot))


def signed_relative_magnitude_errors(
    predicted: torch.Tensor, target: torch.Tensor, dim: int = 1
) -> torch.Tensor:
    """(|T_pred| - |T_true|) / |T_true| on every site (components along ``dim``)."""
    true_norm = target.norm(dim=dim)
    return (predicted.norm(dim=dim) - true_norm) / true_norm


def relative_magnitude_errors(predicted: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """| |T_pred| - |T_true| | / |T_true| on every site, shape (batch, L, L)."""
    return signed_relative_magnitude_errors(predicted, target).abs()


@dataclass(frozen=True)
class TorqueErrorSummary:
    """Distribution of per-site torque errors over a set of samples.

    Attributes
    ----------
    num_sites : int
    median_angle_degrees, p99_angle_degrees : float
    median_relative_magnitude_error, p99_relative_magnitude_error : float
    mean_relative_l1 : float
        The Eq. (11) loss over the same sites.
    """

    num_sites: int
    median_angle_degrees: float
    p99_angle_degrees: float
    median_relative_magnitude_error: float
    p99_relative_magnitude_error: float
    mean_relative_l1: float


def summarize_errors(
    angles: NDArray[np.float64], magnitude_errors: NDArray[np.float64], relative_l1: NDArray
) -> TorqueErrorSummary:
    """Median and 99th percentile of flat per-site error arrays."""
    return TorqueErrorSummary(
        num_sites=int(angles.size),
        median_angle_degrees=float(np.median(angles)),
        p99_angle_degrees=float(np.percentile(angles, 99)),
        median_relative_magnitude_error=float(np.median(magnitude_errors)),
        p99_relative_magnitude_error=float(np.percentile(magnitude_errors, 99)),
        mean_relative_l1=float(np.mean(relative_l1)),
    )


@torch.no_grad()
def evaluate_torques(
    model: torch.nn.Module,
    dataset: Dataset,
    *,
    batch_size: int = 8,
    device: torch.device | str = "cpu",
) -> dict[int, TorqueErrorSummary]:
    """Per-site error statistics of ``model`` on ``dataset``, separately for each start type.

    Parameters
    ----------
    model : torch.nn.Module
        Maps spins (batch, 3, L, L) to torques (batch, 3, L, L).
    dataset : Dataset
        Items ``{"spins", "torques", "start_type"}`` (see ``torquenet.ml._datasets``).
    batch_size : int
    device : torch.device or str

    Returns
    -------
    dict of int to TorqueErrorSummary
        Keyed by start type (e.g. random vs skyrmion starts), in ascending order.
    """
    check_int("batch_size", batch_size, minimum=1)
    model.eval()
    collected: dict[int, list[list[NDArray]]] = {}
    for batch in DataLoader(dataset, batch_size=batch_size):
        spins = batch["spins"].to(device)
        target = batch["torques"].to(device)
        predicted = model(spins)
        errors = (
            torque_angles_degrees(predicted, target),
            relative_magnitude_errors(predicted, target),
            relative_l1_per_site(predicted, target),
        )
        for b, start in enumerate(torch.as_tensor(batch["start_type"]).tolist()):
            lists = collected.setdefault(int(start), [[], [], []])
            for store, values in zip(lists, errors):
                store.append(values[b].double().cpu().numpy().ravel())
    return {
        start: summarize_errors(*(np.concatenate(v) for v in lists))
        for start, lists in sorted(collected.items())
    }
