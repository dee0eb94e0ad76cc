"""What a physicist looks at in LLG trajectories: S(q, t), Bragg peaks, skyrmions, energy, pictures.

``analyze_trajectories(paths, out_dir)`` is the Python mirror of ``torquenet analyze``: it reads
one or more trajectory files (an ensemble of runs with the same save times), averages the spin
structure factor of paper Eq. (12) over the runs, and writes the paper's Fig. 5 (S(q, t) panels
over the Brillouin zone), Fig. 8 (intensity at the six +-Q_eta vs time), Figs. 6-7 (real-space
snapshots), the topological charge and skyrmion count vs time, the energy vs time when the files
hold it, an optional GIF, and every number behind the figures in ``numbers.json`` / ``.csv``.

Normalisation of S(q) (from :func:`torquenet.observables.structure_factor`)::

    S(q) = | (1/N) sum_i S_i exp(i q . r_i) |^2   on the L x L grid q = (m1 b1 + m2 b2) / L,

so that sum_q S(q) = (1/N) sum_i |S_i|^2 = 1 for unit spins (Parseval): a ferromagnet has
S(0) = 1, a coplanar spiral 1/2 at each of +-Q, and the total weight at the six +-Q_eta is the
fraction of the spin "intensity" in the skyrmion-lattice Bragg peaks.  Run averages keep this
normalisation.
"""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from torquenet.analysis._trajectory_figures import AnalysisConfig, draw_trajectory_report
from torquenet.analysis._trajectory_numbers import (
    frame_indices,
    summarize_ensemble,
    trajectory_series,
)
from torquenet.config import save_config
from torquenet.lattice import TriangularLattice

logger = logging.getLogger(__name__)

#: One sentence on the S(q) normalisation, written into every numbers file.
STRUCTURE_FACTOR_NORMALISATION = (
    "S(q) = |(1/N) sum_i S_i exp(i q.r_i)|^2 (paper Eq. 12) on the L x L grid "
    "q = (m1 b1 + m2 b2)/L, averaged over runs; sum_q S(q) = 1 for unit spins (Parseval), "
    "a ferromagnet has S(0) = 1 and a coplanar spiral S(+-Q) = 1/2"
)


# ----------------------------------------------------------------------------- the report
def analyze_trajectories(
    paths: Sequence[str | Path], out_dir: str | Path, config: AnalysisConfig | None = None
) -> dict[str, Any]:
    """Analyse an ensemble of trajectory files; write figures, ``numbers.json`` and ``.csv``.

    Parameters
    ----------
    paths : sequence of path
        Trajectory files (:mod:`torquenet.data.schema`) with the same L and save times; the
        structure factor is averaged over them (paper Eq. 12: average over initial conditions).
    out_dir : path
        Output directory (created).
    config : AnalysisConfig, optional

    Returns
    -------
    dict
        The content of ``numbers.json``: per-time series (``series``), the panel times, the
        values at the last time (``final``) and the files written.

    Notes
    -----
    Files written: ``structure_factor_panels`` (Fig. 5), ``peak_intensity`` (Fig. 8; only when
    L % 12 == 0, where the +-Q_eta lie on the momentum grid), ``topology`` (charge and skyrmion
    count), ``energy`` (when every file holds /energy), ``snapshots`` (Figs. 6-7), each as PNG
    and PDF; ``structure_factor.npz`` (times, momenta, run-averaged S(q, t));
    ``numbers.json``, ``numbers.csv``, ``analysis_config.yaml`` and, on request, ``movie.gif``.
    The normalisation of S(q) is :data:`STRUCTURE_FACTOR_NORMALISATION`.  Errors are standard
    errors of the mean over runs (zero for a single run).

    Examples
    --------
    >>> numbers = analyze_trajectories(["run1.h5", "run2.h5"], "analysis",
    ...                                AnalysisConfig(times=(0.0, 50.0, 500.0)))  # doctest: +SKIP
    >>> numbers["final"]["peak_intensity_mean"]  # doctest: +SKIP
    """
    config = config or AnalysisConfig()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    summary = summarize_ensemble(paths, keep_run=config.snapshot_run, count=True)
    times, L = summary.times, summary.L
    picks = frame_indices(times, config.times, config.num_panels)
    series = trajectory_series(summary)
    written = draw_trajectory_report(summary, series, picks, out, config)
    np.savez_compressed(
        out / "structure_factor.npz",
        times=times,
        momenta=TriangularLattice(L).momenta,
        structure_factor=summary.structure_factor.mean,
    )
    written.append(out / "structure_factor.npz")
    numbers = {
        "files": [str(p) for p in paths],
        "num_runs": summary.num_runs,
        "L": L,
        "num_frames": len(times),
        "structure_factor_normalisation": STRUCTURE_FACTOR_NORMALISATION,
        "errors": "standard error of the mean over runs (0 for a single run)",
        "panel_times": [float(times[k]) for k in picks],
        "final": {name: values[-1] for name, values in series.items()},
        "series": series,
    }
    _write_csv(out / "numbers.csv", series)
    save_config(config, out / "analysis_config.yaml")
    written += [out / "numbers.csv", out / "analysis_config.yaml", out / "numbers.json"]
    numbers["files_written"] = sorted(str(p.relative_to(out)) for p in written)
    (out / "numbers.json").write_text(json.dumps(numbers, indent=1) + "\n")
    logger.info("analysed %d run(s) of L = %d; wrote %s", summary.num_runs, L, out)
    return numbers


def _write_csv(path: Path, series: dict[str, list]) -> None:
    names = list(series)
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(names)
        for row in zip(*(series[n] for n in names)):
            writer.writerow([repr(v) if isinstance(v, float) else v for v in row])
