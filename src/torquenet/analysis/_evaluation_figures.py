"""The figures of ``torquenet evaluate``: parity (paper Fig. 3), magnitude and angle errors
(Fig. 4) and equivariance errors next to the prediction error (Fig. 9)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from torquenet.analysis._figures import pyplot, save_figure
from torquenet.analysis._metrics import (
    MAGNITUDE_DEVIATION_LINES,
    angle_error_degrees,
    relative_l1_loss,
)

#: Errors exactly 0 (e.g. the identity of D6) are drawn at this floor on logarithmic axes (t1);
#: below float32 resolution of torques of order 1e-2.
LOG_FLOOR = 1e-12


def _density(ax, x, y, *, log_axes: bool, cmap: str = "viridis") -> Any:
    """2-D histogram with a logarithmic count scale; returns the image for a colour bar."""
    from matplotlib.colors import LogNorm

    bins = int(np.clip(np.sqrt(x.size) / 2, 20, 200))
    if log_axes:
        low = max(min(x.min(), y.min()), LOG_FLOOR)
        edges = np.geomspace(low, max(x.max(), y.max()) * 1.05, bins + 1)
    else:
        half = 1.05 * max(np.abs(x).max(), np.abs(y).max(), LOG_FLOOR)
        edges = np.linspace(-half, half, bins + 1)
    *_, image = ax.hist2d(x, y, bins=[edges, edges], norm=LogNorm(), cmap=cmap, cmin=1)
    return image, edges


def plot_parity(groups: dict[str, tuple[NDArray, NDArray]]) -> Any:
    """Paper Fig. 3: predicted vs true T_x, T_y, T_z, one row per start type.  Returns Figure.

    ``groups`` maps a start type to (predicted, true) torques (..., 3) in t1.
    """
    plt = pyplot()
    fig = plt.figure(figsize=(13, 4.3 * len(groups)), layout="constrained")
    rows = np.atleast_1d(fig.subfigures(len(groups), 1))
    for row, (start, (pred, true)) in zip(rows, groups.items()):
        axes = row.subplots(1, 3)
        for a, (ax, name) in enumerate(zip(axes, "xyz")):
            image, edges = _density(ax, true[..., a].ravel(), pred[..., a].ravel(), log_axes=False)
            ax.plot(edges[[0, -1]], edges[[0, -1]], "r:", lw=1.2, label="perfect prediction")
            ax.set_aspect("equal")
            ax.set_xlabel(f"true $T_{name}$ ($t_1$)")
            ax.set_ylabel(f"predicted $T_{name}$ ($t_1$)")
        row.colorbar(image, ax=axes.tolist(), label="sites per bin", shrink=0.9)
        row.suptitle(
            f"{start} starts: {true[..., 0].size} sites, Eq. (11) loss "
            f"{relative_l1_loss(pred, true):.3g}"
        )
        axes[0].legend(loc="upper left", fontsize=8)
    return fig


def plot_magnitude_and_angle(pred: NDArray, true: NDArray) -> Any:
    """Paper Fig. 4: |T_pred| vs |T_true| (log-log density, deviation lines) and angle errors."""
    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5.2), layout="constrained")
    true_norm = np.linalg.norm(true, axis=-1).ravel()
    pred_norm = np.maximum(np.linalg.norm(pred, axis=-1).ravel(), LOG_FLOOR)
    image, edges = _density(left, true_norm, pred_norm, log_axes=True, cmap="magma")
    left.set_xscale("log")
    left.set_yscale("log")
    x = np.geomspace(edges[0], edges[-1], 400)
    left.plot(x, x, "r-", lw=1.2, label="prediction = truth")
    for line, style in zip(MAGNITUDE_DEVIATION_LINES, ("r:", "r--")):
        left.plot(x, x + line, style, lw=1.0, label=f"$\\pm${line:g} $t_1$")
        below = x > line * 1.001
        left.plot(x[below], x[below] - line, style, lw=1.0)
    left.set_xlim(edges[0], edges[-1])
    left.set_ylim(edges[0], edges[-1])
    left.set_aspect("equal")
    left.set_xlabel(r"true $|\mathbf{T}|$ ($t_1$)")
    left.set_ylabel(r"predicted $|\mathbf{T}|$ ($t_1$)")
    left.set_title("(a) torque magnitude")
    left.legend(loc="upper left", fontsize=8)
    fig.colorbar(image, ax=left, label="sites per bin (log scale)")
    angle = angle_error_degrees(pred, true).ravel()
    right.hist(angle, bins=np.linspace(0, 180, 181), color="C0")
    right.set_yscale("log")
    for p, style in ((50, "--"), (99, ":")):
        value = np.percentile(angle, p)
        right.axvline(value, color="k", ls=style, label=f"{p}th percentile: {value:.3g}$^\\circ$")
    right.set_xlim(0, max(30.0, float(np.percentile(angle, 99.9)) * 1.1))
    right.set_xlabel(r"angle between predicted and true $\mathbf{T}$ (degrees)")
    right.set_ylabel("number of sites")
    right.set_title(f"(b) direction error ({angle.size} sites)")
    right.legend()
    return fig


def _log_hist(ax, values: NDArray, edges: NDArray, label: str, **style) -> None:
    """Step histogram on log-spaced ``edges``; errors that are exactly 0 are noted."""
    values = values.ravel()
    zero = values == 0
    if zero.all():
        ax.plot([], [], label=f"{label}: exactly 0", **style)
        return
    if zero.any():
        label = f"{label} ({100 * zero.mean():.0f}% exactly 0)"
    # fraction of sites per logarithmic bin, so that the curves' areas compare directly
    weights = np.full(values.size - int(zero.sum()), 1.0 / values.size)
    ax.hist(
        values[~zero], bins=edges, weights=weights, histtype="step", lw=1.5, label=label, **style
    )


def plot_equivariance(prediction_error: NDArray, errors: dict[str, NDArray]) -> tuple[Any, Any]:
    """Paper Fig. 9: |f(gS) - g f(S)| for SO(3) and D6 vs the prediction error |T_pred - T_true|.

    ``prediction_error`` is taken over all evaluated sites (the paper's "overall prediction
    error on the test dataset"); ``errors`` is the output of
    :func:`~torquenet.analysis.equivariance_errors`.

    Returns two Figures: the summary (prediction error, SO(3), all non-identity D6 pooled) and
    one histogram per D6 operation.
    """
    plt = pyplot()
    d6 = {name: e for name, e in errors.items() if name != "SO(3)"}
    pooled = np.concatenate([e.ravel() for name, e in d6.items() if name != "R0"])
    everything = np.concatenate([prediction_error.ravel(), errors["SO(3)"].ravel(), pooled])
    positive = everything[everything > 0]
    low = max(positive.min() if positive.size else LOG_FLOOR, LOG_FLOOR) / 2
    edges = np.geomspace(low, max(everything.max(), low * 10) * 2, 80)
    fig, ax = plt.subplots(figsize=(7.5, 4.8), layout="constrained")
    _log_hist(ax, prediction_error, edges, "prediction error $|T_{pred} - T_{true}|$", color="C0")
    _log_hist(ax, errors["SO(3)"], edges, "SO(3): $|f(RS) - R f(S)|$", color="C1")
    _log_hist(ax, pooled, edges, "D$_6$ (11 non-trivial ops): $|f(gS) - g f(S)|$", color="C2")
    ax.set_xscale("log")
    ax.set_xlabel("error per site ($t_1$)")
    ax.set_ylabel("fraction of sites per bin")
    ax.set_title("equivariance error vs prediction error")
    ax.legend(fontsize=8)
    summary = fig
    # fixed margins: constrained layout of twelve logarithmic axes costs seconds per figure
    fig, axes = plt.subplots(3, 4, figsize=(14, 8.5), sharex=True, sharey=True)
    fig.subplots_adjust(left=0.06, right=0.98, bottom=0.08, top=0.9, hspace=0.3, wspace=0.12)
    for ax, (name, e) in zip(axes.ravel(), d6.items()):
        _log_hist(ax, prediction_error, edges, "prediction error", color="C0")
        _log_hist(ax, e, edges, "this operation", color="C2")
        ax.set_xscale("log")
        ax.set_title(f"{name}: median {np.median(e):.2g} $t_1$", fontsize=9)
        ax.tick_params(labelsize=7)
    for ax in axes[-1]:
        ax.set_xlabel("error per site ($t_1$)")
    for ax in axes[:, 0]:
        ax.set_ylabel("fraction per bin")
    axes[0, 0].legend(fontsize=7)
    fig.suptitle(
        "D$_6$ equivariance error per operation (R$k$: rotation by $k$ degrees, M: then mirror); "
        "blue: prediction error"
    )
    return summary, fig


def draw_evaluation(
    groups: dict[str, tuple[NDArray, NDArray, NDArray]],
    predicted: NDArray,
    true: NDArray,
    equivariance: dict[str, NDArray],
    out: Path,
) -> list[Path]:
    """Every figure of ``torquenet evaluate``; the files written.

    ``groups``: start type -> (spins, predicted, true torques); ``predicted``/``true``: all of
    them; ``equivariance``: the per-site errors of :func:`~torquenet.analysis.equivariance_errors`.
    """
    figures = []
    fig = plot_parity({s: (g[1], g[2]) for s, g in groups.items()})
    figures += save_figure(fig, out / "parity")
    figures += save_figure(plot_magnitude_and_angle(predicted, true), out / "magnitude_angle")
    summary, per_op = plot_equivariance(np.linalg.norm(predicted - true, axis=-1), equivariance)
    figures += save_figure(summary, out / "equivariance")
    figures += save_figure(per_op, out / "equivariance_d6")
    return figures
