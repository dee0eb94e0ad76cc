"""The figures of ``torquenet compare``: exact vs model S(q, t) on one colour scale per column,
and the Bragg-peak intensity, its relative difference and the topological charge vs time."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from torquenet.analysis._ensembles import EnsembleStructureFactor, plot_time_series
from torquenet.analysis._figures import pyplot, save_figure
from torquenet.analysis._momentum import structure_factor_scale
from torquenet.analysis._trajectory_figures import PEAK_LABEL, plot_structure_factor_row


def draw_comparison(
    times,
    exact: EnsembleStructureFactor,
    model: EnsembleStructureFactor,
    picks,
    differences,
    charges,
    tolerance: float,
    out: Path,
    *,
    scale: str = "auto",
) -> list[Path]:
    """S(q, t) side by side and the Bragg-peak / charge comparison; the files written."""
    plt = pyplot()
    written: list[Path] = []
    fig, axes = plt.subplots(
        2, len(picks), figsize=(4.6 * len(picks), 8.4), layout="constrained", squeeze=False
    )
    vmax = [float(max(exact.mean[k].max(), model.mean[k].max())) for k in picks]
    shown = np.stack([ens.mean[k] for ens in (exact, model) for k in picks])
    scale = structure_factor_scale(shown, scale)  # one kind of scale for both rows
    for row, (name, ens) in enumerate((("exact", exact), ("model", model))):
        panels = [(ens.mean[k], f"{name}, t = {times[k]:g} $t_0$") for k in picks]
        plot_structure_factor_row(panels, axes=axes[row], vmax=vmax, scale=scale)
    fig.suptitle(
        f"S(q, t): exact ({exact.num_runs} runs, top) vs model ({model.num_runs} runs, bottom); "
        f"same colour scale in each column"
    )
    written += save_figure(fig, out / "structure_factor_comparison")
    fig, (top, middle, bottom) = plt.subplots(
        3, 1, figsize=(7, 9), sharex=True, layout="constrained"
    )
    plot_time_series(
        times,
        {"exact": exact.peak_mean_and_error(), "model": model.peak_mean_and_error()},
        ylabel=PEAK_LABEL,
        ax=top,
        title="Bragg-peak intensity (band: standard error over runs)",
    )
    plot_time_series(times, differences, ylabel="relative difference", ax=middle)
    middle.axhspan(
        -tolerance,
        tolerance,
        color="green",
        alpha=0.12,
        label=f"tolerance $\\pm${tolerance:g}",
    )
    middle.axhline(0.0, color="k", lw=0.8)
    middle.legend()
    plot_time_series(
        times,
        {"exact": charges["exact"], "model": charges["model"]},
        ylabel="topological charge Q (run mean)",
        ax=bottom,
    )
    for ax in (top, middle):
        ax.set_xlabel("")
    written += save_figure(fig, out / "peak_comparison")
    return written
