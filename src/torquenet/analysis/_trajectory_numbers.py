"""The numbers of ``torquenet analyze``: run-averaged S(q, t), Bragg peaks, charges, energies.

Pure computation on trajectory files (read one at a time); no figures, no files written.  The
S(q) normalisation is :data:`~torquenet.analysis.STRUCTURE_FACTOR_NORMALISATION`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from torquenet.analysis._ensembles import EnsembleStructureFactor, ensemble_structure_factor
from torquenet.analysis._ring import fold_to_first_zone, ring_moments
from torquenet.data import Trajectory, read_trajectory
from torquenet.lattice import TriangularLattice
from torquenet.observables import count_skyrmions, skyrmion_peak_indices

#: Save times of different runs must agree to this (units of t0): they are step * dt products of
#: the same floats, so anything beyond rounding means the runs were saved on different schedules.
TIME_MATCH_ATOL = 1e-9


@dataclass(frozen=True)
class EnsembleSummary:
    """Per-run time series of an ensemble of trajectories, read one file at a time.

    Attributes
    ----------
    paths : tuple of Path
    structure_factor : EnsembleStructureFactor
        Run-averaged S(q, t) (T, L, L) and the per-run +-Q_eta intensities (R, T).
    topological_charge, magnetization_z : ndarray, shape (R, T)
    energy_per_site : ndarray, shape (R, T), or None
        E / N (t1), when every file stores /energy.
    skyrmion_counts : ndarray, shape (R, T, 2), or None
        :func:`count_skyrmions` of every frame (charge -1, charge +1), when requested.
    kept_run : Trajectory or None
        The one run kept whole (snapshots, movie).
    """

    paths: tuple[Path, ...]
    structure_factor: EnsembleStructureFactor
    topological_charge: NDArray[np.float64]
    magnetization_z: NDArray[np.float64]
    energy_per_site: NDArray[np.float64] | None
    skyrmion_counts: NDArray[np.float64] | None
    kept_run: Trajectory | None

    @property
    def times(self) -> NDArray[np.float64]:
        return self.structure_factor.times

    @property
    def L(self) -> int:
        return int(self.structure_factor.mean.shape[-1])

    @property
    def num_runs(self) -> int:
        return len(self.paths)


def _check_member(run: Trajectory, path: Path, reference: Trajectory, first: Path, what: str):
    if run.L != reference.L:
        raise ValueError(
            f"{what} {str(path)!r} has L = {run.L}, but {str(first)!r} has "
            f"L = {reference.L}; an ensemble needs one lattice size"
        )
    same_times = run.num_frames == reference.num_frames and np.allclose(
        run.times, reference.times, rtol=0, atol=TIME_MATCH_ATOL
    )
    if not same_times:
        raise ValueError(
            f"{what} {str(path)!r} is saved at {run.num_frames} times "
            f"{_describe_times(run.times)}, but {str(first)!r} at {reference.num_frames} "
            f"times {_describe_times(reference.times)}; an ensemble needs matching save times"
        )


def summarize_ensemble(
    paths: Sequence[str | Path],
    *,
    what: str = "trajectory",
    keep_run: int | None = None,
    count: bool = False,
) -> EnsembleSummary:
    """Read trajectory files forming one ensemble (same L and save times), one at a time.

    Only one run's spins are in memory at once (plus ``keep_run``), so ensembles of many long
    runs on large lattices can be analysed.

    Raises
    ------
    ValueError
        No paths, ``keep_run`` out of range, or runs with different L, number of frames or save
        times (both files named).
    """
    paths = tuple(Path(p) for p in paths)
    if not paths:
        raise ValueError(f"need at least one {what} file")
    if keep_run is not None and not 0 <= keep_run < len(paths):
        raise ValueError(f"run {keep_run} was requested but only {len(paths)} run(s) were given")
    reference = kept = None
    total, peaks, charge, mz, energy, counts = None, [], [], [], [], []
    for n, path in enumerate(paths):
        run = read_trajectory(path)
        if reference is None:
            reference = run
        _check_member(run, path, reference, paths[0], what)
        single = ensemble_structure_factor([run.spins], run.times)
        total = single.mean if total is None else total + single.mean
        if single.peak_per_run is not None:
            peaks.append(single.peak_per_run[0])
        charge.append(run.topological_charge)
        mz.append(run.magnetization[:, 2])
        energy.append(None if run.energy is None else run.energy / (run.L * run.L))
        if count:
            counts.append([count_skyrmions(s) for s in run.spins])
        if n == keep_run:
            kept = run
    has_energy = all(e is not None for e in energy)
    return EnsembleSummary(
        paths=paths,
        structure_factor=EnsembleStructureFactor(
            times=reference.times,
            mean=total / len(paths),
            peak_per_run=np.array(peaks) if peaks else None,
        ),
        topological_charge=np.stack(charge),
        magnetization_z=np.stack(mz),
        energy_per_site=np.stack(energy) if has_energy else None,
        skyrmion_counts=np.array(counts, dtype=float) if count else None,
        kept_run=kept,
    )


def _describe_times(times: NDArray[np.float64]) -> str:
    return f"t = {times[0]:g}..{times[-1]:g}" if len(times) else "(none)"


def frame_indices(
    times: NDArray[np.float64], requested: Sequence[float] | None, num_panels: int
) -> list[int]:
    """Indices of the saved frames nearest to ``requested`` times (or evenly spaced ones).

    Examples
    --------
    >>> frame_indices(np.array([0.0, 0.5, 1.0, 1.5]), [0.6, 1.5], 4)
    [1, 3]
    >>> frame_indices(np.array([0.0, 0.5, 1.0, 1.5]), None, 3)
    [0, 2, 3]
    """
    if requested is None:
        picks = np.linspace(0, len(times) - 1, min(num_panels, len(times)))
        return sorted({int(round(p)) for p in picks})
    spacing = float(np.max(np.diff(times))) if len(times) > 1 else 0.0
    out = []
    for t in requested:
        if not times[0] - spacing <= t <= times[-1] + spacing:
            raise ValueError(
                f"requested time {t:g} lies outside the saved times "
                f"{times[0]:g}..{times[-1]:g} (units of t0)"
            )
        out.append(int(np.argmin(np.abs(times - t))))
    return out


def mean_and_error(per_run: NDArray[np.float64]) -> tuple[NDArray, NDArray]:
    """Mean over runs (axis 0) and its standard error (ddof = 1; zeros for a single run)."""
    mean = per_run.mean(axis=0)
    if len(per_run) < 2:
        return mean, np.zeros_like(mean)
    return mean, per_run.std(axis=0, ddof=1) / np.sqrt(len(per_run))


def dominant_wavevectors(
    mean_structure_factor: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Momentum of the largest S(q != 0) at every time, folded into the first Brillouin zone.

    Parameters
    ----------
    mean_structure_factor : ndarray, shape (T, L, L)

    Returns
    -------
    q : ndarray, shape (T, 2)
        Cartesian momentum (units of 1/a) of the maximum, the image closest to Gamma.
    at_nesting : ndarray of bool, shape (T,)
        Whether the maximum sits on one of the six +-Q_eta (always False when L % 12 != 0).
    """
    L = mean_structure_factor.shape[-1]
    lattice = TriangularLattice(L)
    flat = mean_structure_factor.reshape(len(mean_structure_factor), -1).copy()
    flat[:, 0] = -np.inf  # q = 0 is the magnetisation, not a modulation
    best = np.argmax(flat, axis=1)
    m1, m2 = np.divmod(best, L)
    q = fold_to_first_zone(lattice.momenta[m1, m2], lattice)
    peaks = set(skyrmion_peak_indices(L)) if L % 12 == 0 else set()
    at_nesting = np.array([(int(a), int(c)) in peaks for a, c in zip(m1, m2)], dtype=bool)
    return q, at_nesting


def trajectory_series(summary: EnsembleSummary) -> dict[str, list]:
    """Every per-time number of the report, as JSON-ready lists."""
    ensemble = summary.structure_factor
    series: dict[str, Any] = {"time": ensemble.times}
    if ensemble.peak_per_run is not None:
        mean, err = ensemble.peak_mean_and_error()
        series["peak_intensity_mean"], series["peak_intensity_error"] = mean, err
        series["peak_weight_fraction"] = 6 * mean  # share of sum_q S(q) = 1 in the six peaks
    q, at_nesting = dominant_wavevectors(ensemble.mean)
    series["dominant_qx"], series["dominant_qy"] = q[:, 0], q[:, 1]
    series["dominant_q_abs"] = np.linalg.norm(q, axis=1)
    series["dominant_at_nesting_vector"] = at_nesting
    ring = ring_moments(ensemble.mean)
    series["ring_radius"], series["ring_width"] = ring.radius, ring.width
    series["correlation_length"] = ring.length
    series["ring_weight"] = ring.weight
    per_run = {
        "topological_charge": summary.topological_charge,
        "num_negative_objects": summary.skyrmion_counts[..., 0],
        "num_positive_objects": summary.skyrmion_counts[..., 1],
        "magnetization_z": summary.magnetization_z,
        "energy_per_site": summary.energy_per_site,
    }
    for name, values in per_run.items():
        if values is not None:
            series[f"{name}_mean"], series[f"{name}_error"] = mean_and_error(values)
    return {k: np.asarray(v).tolist() for k, v in series.items()}
