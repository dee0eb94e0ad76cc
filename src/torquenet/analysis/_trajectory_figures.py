"""The figures of ``torquenet analyze``: S(q) panels, Bragg-peak intensity, topology, energy,
snapshots and the movie, drawn from the numbers of :mod:`._trajectory_numbers`."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from torquenet._validation import check_int
from torquenet.analysis._ensembles import plot_time_series
from torquenet.analysis._figures import pyplot, save_figure
from torquenet.analysis._momentum import (
    STRUCTURE_FACTOR_SCALES,
    plot_structure_factor,
    structure_factor_scale,
)
from torquenet.analysis._snapshots import plot_texture
from torquenet.analysis._trajectory_numbers import EnsembleSummary
from torquenet.data import Trajectory
from torquenet.lattice import TriangularLattice

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AnalysisConfig:
    """What ``torquenet analyze`` draws.

    Parameters
    ----------
    times : tuple of float, optional
        Times (units of t0) of the S(q) panels and snapshots; each is taken at the nearest saved
        frame.  None: ``num_panels`` frames evenly spaced from the first to the last.
    num_panels : int
        Number of panels when ``times`` is None.
    snapshot_run : int
        Which run (0-based, in the order given) the real-space snapshots and the movie show.
    structure_factor_scale : str
        Colour scale of the S(q) panels: "auto" (logarithmic when the Bragg peaks dominate,
        which shows the ring and the diffuse weight, else linear), "log" or "linear".
    movie : bool
        Also write ``movie.gif`` of the snapshot run (needs the pillow writer of matplotlib).
    movie_max_frames : int
        Upper bound on the number of movie frames (saved frames are strided to fit).
    movie_fps : int
        Frames per second of the movie.
    figure_formats : tuple of str
        File formats of every figure (matplotlib names; PDF is the slow one).
    """

    times: tuple[float, ...] | None = None
    num_panels: int = 4
    snapshot_run: int = 0
    structure_factor_scale: str = "auto"
    movie: bool = False
    movie_max_frames: int = 200
    movie_fps: int = 10
    figure_formats: tuple[str, ...] = ("png", "pdf")

    def __post_init__(self) -> None:
        if self.times is not None:
            times = tuple(float(t) for t in self.times)
            if not times:
                raise ValueError("times must name at least one time, got ()")
            object.__setattr__(self, "times", times)
        check_int("num_panels", self.num_panels, minimum=1)
        if self.structure_factor_scale not in STRUCTURE_FACTOR_SCALES:
            raise ValueError(
                f"structure_factor_scale must be one of {STRUCTURE_FACTOR_SCALES}, got "
                f"{self.structure_factor_scale!r}"
            )
        check_int("snapshot_run", self.snapshot_run, minimum=0)
        check_int("movie_max_frames", self.movie_max_frames, minimum=1)
        check_int("movie_fps", self.movie_fps, minimum=1)
        formats = tuple(self.figure_formats)
        if not formats or any(f not in ("png", "pdf", "svg") for f in formats):
            raise ValueError(
                f"figure_formats must be a non-empty subset of ('png', 'pdf', 'svg'), got "
                f"{self.figure_formats!r}"
            )
        object.__setattr__(self, "figure_formats", formats)


#: Axis label of the Bragg-peak intensity (paper Fig. 8), with its normalisation.
PEAK_LABEL = r"$\overline{S}(\pm\mathbf{Q}_\eta)$  (normalised: $\Sigma_\mathbf{q} S = 1$)"


def plot_structure_factor_row(
    panels: Sequence[tuple[NDArray[np.float64], str]],
    *,
    axes: Sequence[Any] | None = None,
    scale: str = "auto",
    vmax: Sequence[float | None] | None = None,
) -> Any:
    """S(q) maps side by side (paper Fig. 5), each (L, L) with its title.  Returns the Figure.

    ``scale`` "auto" is decided once for the whole row (:func:`structure_factor_scale` of all
    panels), so the panels of one figure share their kind of colour scale.
    """
    plt = pyplot()
    if axes is None:
        fig, axes = plt.subplots(
            1, len(panels), figsize=(4.6 * len(panels), 4.2), layout="constrained", squeeze=False
        )
        axes = axes[0]
    scale = structure_factor_scale(np.stack([sq for sq, _ in panels]), scale)
    for n, ((sq, title), ax) in enumerate(zip(panels, axes)):
        plot_structure_factor(
            sq, ax=ax, title=title, scale=scale, vmax=None if vmax is None else vmax[n]
        )
    return axes[0].figure


def _plot_topology(times, charge, negative, positive) -> Any:
    plt = pyplot()
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7, 6), sharex=True, layout="constrained")
    plot_time_series(times, {"topological charge Q": charge}, ylabel="Q", ax=top)
    top.set_xlabel("")
    top.set_title("topological charge (sum of triangle solid angles / 4$\\pi$)")
    plot_time_series(
        times,
        {"charge -1 objects": negative, "charge +1 objects": positive},
        ylabel="number per run",
        ax=bottom,
    )
    bottom.set_title("skyrmion count: clusters of same-sign solid angle, charge rounded")
    return fig


def _write_movie(run: Trajectory, path: Path, config: AnalysisConfig) -> Path:
    """GIF of the texture of one run (S_z colour, in-plane arrows) through its saved frames."""
    plt = pyplot()
    from matplotlib import animation
    from matplotlib.collections import PolyCollection
    from matplotlib.quiver import Quiver

    if not animation.writers.is_available("pillow"):
        raise RuntimeError(
            "--movie needs matplotlib's pillow writer (pip install pillow); it is not available"
        )
    stride = max(1, int(np.ceil(run.num_frames / config.movie_max_frames)))
    frames = list(range(0, run.num_frames, stride))
    first = run.spins[frames[0]]
    ax = plot_texture(first, title=f"t = {run.times[frames[0]]:g} $t_0$")
    fig = ax.figure
    cells = next(c for c in ax.collections if type(c) is PolyCollection)
    arrows = next(c for c in ax.collections if isinstance(c, Quiver))
    # The arrow sites, recovered from the arrow positions (r = i a1 + j a2), and the arrow scale
    # plot_texture chose for the first frame (its largest in-plane spin).
    lattice = TriangularLattice(run.L)
    ij = np.rint(np.column_stack([arrows.X, arrows.Y]) @ np.linalg.inv(lattice.primitive_vectors))
    i, j = ij[:, 0].astype(int), ij[:, 1].astype(int)
    scale = float(np.max(np.linalg.norm(first[..., :2], axis=-1))) or 1.0

    def update(n: int) -> list[Any]:
        spins = run.spins[frames[n]]
        cells.set_array(spins[..., 2].ravel())
        arrows.set_UVC(spins[i, j, 0] / scale, spins[i, j, 1] / scale)
        q = run.topological_charge[frames[n]]
        ax.set_title(f"t = {run.times[frames[n]]:g} $t_0$,  Q = {q:+.2f}")
        return [cells, arrows]

    movie = animation.FuncAnimation(fig, update, frames=len(frames), blit=False)
    movie.save(path, writer=animation.PillowWriter(fps=config.movie_fps), dpi=80)
    plt.close(fig)
    return path


def draw_trajectory_report(
    summary: EnsembleSummary, series, picks, out: Path, config: AnalysisConfig
) -> list[Path]:
    """Every figure of ``torquenet analyze`` from the computed numbers; the files written."""
    times, num_runs = summary.times, summary.num_runs
    written: list[Path] = []
    label = f"{num_runs} runs" if num_runs > 1 else "1 run"
    panels = [(summary.structure_factor.mean[k], f"t = {times[k]:g} $t_0$") for k in picks]
    fig = plot_structure_factor_row(panels, scale=config.structure_factor_scale)
    fig.suptitle(f"spin structure factor, mean of {label}, L = {summary.L}")
    written += save_figure(fig, out / "structure_factor_panels", config.figure_formats)
    arr = {k: np.asarray(v) for k, v in series.items()}
    if "peak_intensity_mean" in arr:
        ax = plot_time_series(
            times,
            {
                "mean of S(q) at the six $\\pm\\mathbf{Q}_\\eta$": (
                    arr["peak_intensity_mean"],
                    arr["peak_intensity_error"],
                )
            },
            ylabel=PEAK_LABEL,
            title=f"Bragg-peak intensity ({label}"
            + (", band: standard error)" if num_runs > 1 else ")"),
        )
        written += save_figure(ax.figure, out / "peak_intensity", config.figure_formats)
    else:
        logger.warning("L = %d is not a multiple of 12: no +-Q_eta peak intensity", summary.L)
    fig = _plot_topology(
        times,
        (arr["topological_charge_mean"], arr["topological_charge_error"]),
        (arr["num_negative_objects_mean"], arr["num_negative_objects_error"]),
        (arr["num_positive_objects_mean"], arr["num_positive_objects_error"]),
    )
    written += save_figure(fig, out / "topology", config.figure_formats)
    if "energy_per_site_mean" in arr:
        ax = plot_time_series(
            times,
            {"E / N": (arr["energy_per_site_mean"], arr["energy_per_site_error"])},
            ylabel=r"energy per site $E/N$ ($t_1$)",
            title="total energy (electrons + Zeeman)",
        )
        written += save_figure(ax.figure, out / "energy", config.figure_formats)
    run = summary.kept_run
    num_rows = -(-len(picks) // 3)  # at most three pictures per row
    num_cols = -(-len(picks) // num_rows)
    fig, axes = pyplot().subplots(
        num_rows,
        num_cols,
        figsize=(5.6 * num_cols, 4.4 * num_rows),
        layout="constrained",
        squeeze=False,
    )
    for ax in axes.ravel()[len(picks) :]:
        ax.set_visible(False)
    for k, ax in zip(picks, axes.ravel()):
        plot_texture(
            run.spins[k],
            ax=ax,
            title=f"t = {times[k]:g} $t_0$, Q = {run.topological_charge[k]:+.2f}",
        )
    fig.suptitle(f"run {config.snapshot_run}: colour $S_z$, arrows in-plane spin $(S_x, S_y)$")
    written += save_figure(fig, out / "snapshots", config.figure_formats)
    if config.movie:
        written.append(_write_movie(run, out / "movie.gif", config))
    return written
