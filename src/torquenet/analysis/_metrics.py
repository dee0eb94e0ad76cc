"""Accuracy metrics of predicted torques (paper Sec. IV A, Eq. 11) and equivariance errors."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from numpy.typing import NDArray

from torquenet.lattice import TriangularLattice
from torquenet.ml import (
    relative_l1_per_site,
    signed_relative_magnitude_errors,
    torque_angles_degrees,
)

PERCENTILES = (50, 90, 99)

#: Absolute deviations |T_pred| - |T_true| (t1) drawn in the magnitude plot (paper Fig. 4a).
MAGNITUDE_DEVIATION_LINES = (1e-2, 1e-3)

#: Angles (degrees) whose exceedance fractions are reported (paper Sec. IV A: "most vectors
#: have an angle smaller than 10 degrees ... almost impossible to find one beyond 30").
ANGLE_THRESHOLDS = (10.0, 30.0)


def _channels_last(metric, predicted: NDArray, true: NDArray) -> NDArray[np.float64]:
    """Apply a torch metric of :mod:`torquenet.ml` to channels-last float64 arrays."""
    p, t = (torch.as_tensor(np.asarray(a, dtype=np.float64)) for a in (predicted, true))
    return metric(p, t, dim=-1).numpy()


def angle_error_degrees(predicted: NDArray, true: NDArray) -> NDArray[np.float64]:
    """Angle between predicted and true torque vectors per site, degrees, shape (...)."""
    return _channels_last(torque_angles_degrees, predicted, true)


def relative_magnitude_error(predicted: NDArray, true: NDArray) -> NDArray[np.float64]:
    """(|T_pred| - |T_true|) / |T_true| per site, shape (...)."""
    return _channels_last(signed_relative_magnitude_errors, predicted, true)


def relative_l1_loss(predicted: NDArray, true: NDArray) -> float:
    """Paper Eq. (11) for channels-last arrays (..., 3): :func:`torquenet.ml.relative_l1_loss`."""
    return float(np.mean(_channels_last(relative_l1_per_site, predicted, true)))


def relative_rms_error(predicted: NDArray, true: NDArray) -> float:
    """sqrt(sum |T_pred - T_true|^2 / sum |T_true|^2) over all sites."""
    return float(np.sqrt(np.sum((predicted - true) ** 2) / np.sum(true**2)))


def torque_metrics(predicted: NDArray, true: NDArray) -> dict[str, float]:
    """Angle and magnitude error percentiles plus the Eq. (11) loss, as a flat dict."""
    angle = angle_error_degrees(predicted, true).ravel()
    magnitude = np.abs(relative_magnitude_error(predicted, true)).ravel()
    out = {
        "num_sites": int(angle.size),
        "eq11_loss": relative_l1_loss(predicted, true),
        "relative_rms_error": relative_rms_error(predicted, true),
    }
    for p in PERCENTILES:
        out[f"angle_deg_p{p}"] = float(np.percentile(angle, p))
        out[f"abs_rel_magnitude_error_p{p}"] = float(np.percentile(magnitude, p))
    return out


def equivariance_errors(
    predict: Callable[[NDArray], NDArray],
    spins: NDArray[np.float64],
    rotations: NDArray[np.float64],
) -> dict[str, NDArray[np.float64]]:
    """Per-site equivariance error vectors' magnitudes |f(gS) - g f(S)| for a torque model.

    Parameters
    ----------
    predict : callable
        (B, L, L, 3) spins -> (B, L, L, 3) torques.
    spins : ndarray, shape (B, L, L, 3)
    rotations : ndarray, shape (R, 3, 3)
        Spin rotations to test (e.g. Haar-random).

    Returns
    -------
    dict
        ``"SO(3)"``: errors under the rotations, shape (R, B, L, L); and one entry per D6
        operation name, shape (B, L, L).
    """
    lattice = TriangularLattice(spins.shape[-2])
    base = predict(spins)
    out: dict[str, NDArray[np.float64]] = {}
    so3 = [np.linalg.norm(predict(spins @ r.T) - base @ r.T, axis=-1) for r in rotations]
    out["SO(3)"] = np.stack(so3)
    for op in lattice.point_group:
        moved = predict(lattice.apply_point_group(spins, op))
        out[op.name] = np.linalg.norm(moved - lattice.apply_point_group(base, op), axis=-1)
    return out
