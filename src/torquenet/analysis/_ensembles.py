"""Ensemble averages of trajectory observables: S(q, t), Bragg-peak intensity, charge, energy."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from torquenet.analysis._figures import pyplot
from torquenet.observables import peak_intensity, structure_factor


@dataclass(frozen=True)
class EnsembleStructureFactor:
    """S(q, t) averaged over runs (paper Eq. 12: thermal and initial-condition average).

    Attributes
    ----------
    times : ndarray, shape (T,)
        Times in units of t0.
    mean : ndarray, shape (T, L, L)
        Run-averaged S(q, t) on the momentum grid.
    peak_per_run : ndarray, shape (R, T)
        Mean S at the six +-Q_eta for every run (None when L is not a multiple of 12).
    """

    times: NDArray[np.float64]
    mean: NDArray[np.float64]
    peak_per_run: NDArray[np.float64] | None

    @property
    def num_runs(self) -> int:
        return 0 if self.peak_per_run is None else self.peak_per_run.shape[0]

    def peak_mean_and_error(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Ensemble mean of the peak intensity and its standard error, each shape (T,)."""
        if self.peak_per_run is None:
            raise ValueError("peak intensities need L divisible by 12")
        runs = self.peak_per_run
        err = (
            runs.std(axis=0, ddof=1) / np.sqrt(len(runs))
            if len(runs) > 1
            else np.zeros(runs.shape[1])
        )
        return runs.mean(axis=0), err


def ensemble_structure_factor(
    trajectories: Sequence[NDArray[np.float64]], times: NDArray[np.float64]
) -> EnsembleStructureFactor:
    """Average S(q, t) over runs whose spins (T, L, L, 3) share the same save times."""
    if not trajectories:
        raise ValueError("need at least one trajectory")
    shapes = {t.shape for t in trajectories}
    if len(shapes) != 1:
        raise ValueError(f"all runs must have the same (T, L, L, 3) shape, got {sorted(shapes)}")
    total = None
    peaks = []
    L = trajectories[0].shape[-2]
    for spins in trajectories:
        sq = structure_factor(spins)
        total = sq if total is None else total + sq
        if L % 12 == 0:
            peaks.append(peak_intensity(sq))
    return EnsembleStructureFactor(
        times=np.asarray(times, dtype=np.float64),
        mean=total / len(trajectories),
        peak_per_run=np.array(peaks) if peaks else None,
    )


def plot_time_series(
    times: NDArray[np.float64],
    series: dict[str, tuple[NDArray[np.float64], NDArray[np.float64] | None]],
    *,
    ylabel: str,
    ax: Any = None,
    title: str | None = None,
    logy: bool = False,
    vline: float | None = None,
    vline_label: str | None = None,
) -> Any:
    """Plot named (mean, error-or-None) series against time t / t0.  Returns the Axes."""
    plt = pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4), layout="constrained")
    for name, (mean, err) in series.items():
        (line,) = ax.plot(times, mean, label=name)
        if err is not None:
            ax.fill_between(times, mean - err, mean + err, color=line.get_color(), alpha=0.25)
    if vline is not None:
        ax.axvline(vline, color="k", ls="--", lw=1, label=vline_label)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(r"time $t$ ($t_0 = 1/\gamma J S$)")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if len(series) > 1 or vline_label:
        ax.legend()
    return ax
