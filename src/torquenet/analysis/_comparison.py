"""The dynamical benchmark of paper Sec. IV B: exact-solver ensemble vs model ensemble.

Both ensembles are quenches saved at the same times (in the paper: 30 runs from random starts
on 48 x 48, exact KPM dynamics at T = 0.001 and CNN dynamics at T = 0).  The comparison is made
on the run-averaged structure factor of Eq. (12) (normalised so that sum_q S(q) = 1, see
:data:`~torquenet.analysis._trajectory_report.STRUCTURE_FACTOR_NORMALISATION`): S(q, t) side by
side at matching times (Fig. 5) and the relative difference of the intensity at the six +-Q_eta
with its ensemble error bar.  When the two ensembles start from the same textures (run i of both
from the same seed, as in the paper), the *paired* difference (model run i minus exact run i) is
reported as well: its error bar is free of the run-to-run spread that both share, so it says
whether a difference is real with ten runs where the unpaired one cannot.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from torquenet._validation import check_float, check_int
from torquenet.analysis._comparison_figures import draw_comparison
from torquenet.analysis._momentum import STRUCTURE_FACTOR_SCALES
from torquenet.analysis._trajectory_numbers import (
    TIME_MATCH_ATOL,
    EnsembleSummary,
    frame_indices,
    mean_and_error,
    summarize_ensemble,
)
from torquenet.analysis._trajectory_report import STRUCTURE_FACTOR_NORMALISATION
from torquenet.config import save_config

logger = logging.getLogger(__name__)

#: How ``passed`` is decided (written into comparison.json).
PASS_CRITERION = (
    "passed = max over saved times of |P_model(t) - P_exact(t)| / P_exact(t) <= tolerance, "
    "P = run-averaged S at the six +-Q_eta"
)


@dataclass(frozen=True)
class ComparisonConfig:
    """Settings of ``torquenet compare``.

    Parameters
    ----------
    tolerance : float
        Largest allowed relative difference of the peak intensity at any saved time
        (:data:`PASS_CRITERION`); 0.1 = 10 %.
    times : tuple of float, optional
        Times (t0) of the S(q) panels; None: ``num_panels`` evenly spaced saved frames.
    num_panels : int
        Number of S(q) panels when ``times`` is None.
    structure_factor_scale : str
        Colour scale of the S(q) panels: "auto", "log" or "linear" (as in ``analyze``); exact
        and model share it.
    """

    tolerance: float = 0.1
    times: tuple[float, ...] | None = None
    num_panels: int = 4
    structure_factor_scale: str = "auto"

    def __post_init__(self) -> None:
        check_float("tolerance", self.tolerance, minimum=0.0)
        if self.times is not None:
            object.__setattr__(self, "times", tuple(float(t) for t in self.times))
        check_int("num_panels", self.num_panels, minimum=1)
        if self.structure_factor_scale not in STRUCTURE_FACTOR_SCALES:
            raise ValueError(
                f"structure_factor_scale must be one of {STRUCTURE_FACTOR_SCALES}, got "
                f"{self.structure_factor_scale!r}"
            )


def relative_difference(
    model: NDArray[np.float64],
    model_error: NDArray[np.float64],
    exact: NDArray[np.float64],
    exact_error: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(model - exact) / exact and its propagated standard error (independent ensembles).

    .. math::
        \\delta = \\frac{P_m - P_e}{P_e}, \\qquad
        \\sigma_\\delta = \\frac{\\sqrt{\\sigma_m^2 + (P_m / P_e)^2 \\sigma_e^2}}{P_e}

    NaN where the exact value is not positive.

    Examples
    --------
    >>> d, e = relative_difference(np.array([1.1]), np.array([0.0]), np.array([1.0]),
    ...                            np.array([0.1]))
    >>> float(np.round(d[0], 12)), float(np.round(e[0], 12))
    (0.1, 0.11)
    """
    positive = exact > 0
    safe = np.where(positive, exact, 1.0)
    delta = np.where(positive, (model - exact) / safe, np.nan)
    sigma = np.sqrt(model_error**2 + (model / safe) ** 2 * exact_error**2) / safe
    return delta, np.where(positive, sigma, np.nan)


#: Two ensembles count as paired when every run's t = 0 peak intensity agrees to this relative
#: tolerance (same seeds give bit-identical starts; different random starts differ at ~1e-2).
PAIRING_RTOL = 1e-9
PAIRING_DESCRIPTION = f"every run's t = 0 peak intensity equal to rtol {PAIRING_RTOL:g}"


def is_paired(model_runs: NDArray[np.float64], exact_runs: NDArray[np.float64]) -> bool:
    """Whether per-run peak intensities (R, T) come from the same R starting textures."""
    if model_runs.shape != exact_runs.shape or model_runs.shape[0] < 2:
        return False
    return bool(np.allclose(model_runs[:, 0], exact_runs[:, 0], rtol=PAIRING_RTOL, atol=0.0))


def paired_relative_difference(
    model_runs: NDArray[np.float64], exact_runs: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Relative difference of paired ensembles, mean(P_m - P_e) / mean(P_e), and its error.

    ``model_runs[r]`` and ``exact_runs[r]`` (shape (R, T)) start from the same texture.  The
    standard error is the delta-method error of the ratio of the means D = mean(P_m - P_e) and
    E = mean(P_e), with their covariance estimated from the same R runs:

    .. math::
        \\sigma_\\delta^2 = \\frac{\\sigma_D^2 - 2 \\delta\\,\\mathrm{cov}(D, E)
                           + \\delta^2 \\sigma_E^2}{E^2}

    NaN where the exact mean is not positive.

    Examples
    --------
    >>> exact = np.array([[1.0], [2.0], [3.0]])
    >>> d, e = paired_relative_difference(1.1 * exact, exact)  # every run 10% higher
    >>> float(np.round(d[0], 12)), float(np.round(e[0], 12))   # exactly, with no spread
    (0.1, 0.0)
    """
    runs = exact_runs.shape[0]
    diff = model_runs - exact_runs
    mean_diff, mean_exact = diff.mean(axis=0), exact_runs.mean(axis=0)
    positive = mean_exact > 0
    safe = np.where(positive, mean_exact, 1.0)
    delta = mean_diff / safe
    centred_d, centred_e = diff - mean_diff, exact_runs - mean_exact
    var_d = (centred_d**2).sum(axis=0) / (runs - 1) / runs
    var_e = (centred_e**2).sum(axis=0) / (runs - 1) / runs
    cov = (centred_d * centred_e).sum(axis=0) / (runs - 1) / runs
    variance = np.maximum(var_d - 2 * delta * cov + delta**2 * var_e, 0.0)
    sigma = np.sqrt(variance) / safe
    return np.where(positive, delta, np.nan), np.where(positive, sigma, np.nan)


def _finite_or_none(values: NDArray[np.float64]) -> list[float | None]:
    """JSON has no NaN: undefined entries become null."""
    return [float(v) if np.isfinite(v) else None for v in np.asarray(values, dtype=float)]


def compare_ensembles(
    exact_paths: Sequence[str | Path],
    model_paths: Sequence[str | Path],
    out_dir: str | Path,
    config: ComparisonConfig | None = None,
) -> dict[str, Any]:
    """Compare an exact-solver ensemble with a model ensemble; write figures and JSON.

    Parameters
    ----------
    exact_paths, model_paths : sequence of path
        Trajectory files of the two ensembles.  All runs need the same L (a multiple of 12, so
        that the +-Q_eta lie on the momentum grid) and the same save times.
    out_dir : path
        Output directory (created).
    config : ComparisonConfig, optional

    Returns
    -------
    dict
        The content of ``comparison.json``: ``summary`` (largest and mean relative difference,
        fraction of times within two standard errors, tolerance, ``passed``; ``paired``: the
        same for the paired difference, None unless both ensembles start from the same
        textures), per-time ``series`` and the input files.  ``passed`` is decided on the
        unpaired central values (:data:`PASS_CRITERION`).

    Raises
    ------
    ValueError
        The ensembles differ in L or save times, or L is not a multiple of 12.

    Notes
    -----
    Writes ``structure_factor_comparison`` (Fig. 5: exact on top, model below, one colour scale
    per time), ``peak_comparison`` (Fig. 8 for both, the relative difference with its error bar
    and the tolerance band, and the mean topological charge), each as PNG and PDF, plus
    ``comparison.json`` and ``comparison_config.yaml``.  The S(q) maps also yield
    ``structure_factor_l1_distance`` = sum_q |S_model - S_exact| (0 for identical ensembles, at
    most 2 with the normalisation sum_q S = 1).

    Examples
    --------
    >>> result = compare_ensembles(["kpm/run0.h5", "kpm/run1.h5"], ["cnn/run0.h5", "cnn/run1.h5"],
    ...                            "benchmark", ComparisonConfig(tolerance=0.1))  # doctest: +SKIP
    >>> result["summary"]["passed"]  # doctest: +SKIP
    """
    config = config or ComparisonConfig()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    exact_runs = summarize_ensemble(exact_paths, what="exact trajectory")
    model_runs = summarize_ensemble(model_paths, what="model trajectory")
    _check_matching(exact_runs, model_runs)
    times = exact_runs.times
    exact, model = exact_runs.structure_factor, model_runs.structure_factor
    exact_peak, exact_err = exact.peak_mean_and_error()
    model_peak, model_err = model.peak_mean_and_error()
    delta, delta_err = relative_difference(model_peak, model_err, exact_peak, exact_err)
    paired = (
        paired_relative_difference(model.peak_per_run, exact.peak_per_run)
        if is_paired(model.peak_per_run, exact.peak_per_run)
        else None
    )
    charges = {
        "exact": mean_and_error(exact_runs.topological_charge),
        "model": mean_and_error(model_runs.topological_charge),
    }
    picks = frame_indices(times, config.times, config.num_panels)
    differences = {"(model - exact) / exact": (delta, delta_err)}
    if paired:
        differences["paired (same starts)"] = paired
    written = draw_comparison(
        times,
        exact,
        model,
        picks,
        differences,
        charges,
        config.tolerance,
        out,
        scale=config.structure_factor_scale,
    )
    summary = _summary(times, delta, delta_err, config.tolerance)
    summary["paired"] = (
        {**_difference_statistics(times, *paired), "pairing": PAIRING_DESCRIPTION}
        if paired
        else None
    )
    result = {
        "exact_files": [str(p) for p in exact_paths],
        "model_files": [str(p) for p in model_paths],
        "num_runs": {"exact": exact_runs.num_runs, "model": model_runs.num_runs},
        "L": exact_runs.L,
        "structure_factor_normalisation": STRUCTURE_FACTOR_NORMALISATION,
        "errors": "standard error of the mean over runs (0 for a single run)",
        "panel_times": [float(times[k]) for k in picks],
        "summary": summary,
        "series": {
            "time": times.tolist(),
            "peak_exact_mean": exact_peak.tolist(),
            "peak_exact_error": exact_err.tolist(),
            "peak_model_mean": model_peak.tolist(),
            "peak_model_error": model_err.tolist(),
            "relative_difference": _finite_or_none(delta),
            "relative_difference_error": _finite_or_none(delta_err),
            "paired_relative_difference": _finite_or_none(paired[0]) if paired else None,
            "paired_relative_difference_error": _finite_or_none(paired[1]) if paired else None,
            "structure_factor_l1_distance": np.abs(model.mean - exact.mean)
            .sum(axis=(-2, -1))
            .tolist(),
            "topological_charge_exact_mean": charges["exact"][0].tolist(),
            "topological_charge_model_mean": charges["model"][0].tolist(),
        },
    }
    save_config(config, out / "comparison_config.yaml")
    written += [out / "comparison_config.yaml", out / "comparison.json"]
    result["files_written"] = sorted(str(p.relative_to(out)) for p in written)
    (out / "comparison.json").write_text(json.dumps(result, indent=1) + "\n")
    logger.info(
        "peak intensity: largest relative difference %.3g (tolerance %.3g): %s",
        summary["max_abs_relative_difference"] or float("nan"),
        config.tolerance,
        "PASS" if summary["passed"] else "FAIL",
    )
    if paired:
        logger.info(
            "paired (same starts): largest relative difference %.3g +- %.3g",
            summary["paired"]["max_abs_relative_difference"] or float("nan"),
            summary["paired"]["standard_error_at_max"] or float("nan"),
        )
    return result


def _check_matching(exact: EnsembleSummary, model: EnsembleSummary) -> None:
    exact_path, model_path = exact.paths[0], model.paths[0]
    if exact.L != model.L:
        raise ValueError(
            f"exact runs have L = {exact.L} ({str(exact_path)!r}) but model runs L = {model.L} "
            f"({str(model_path)!r}); the benchmark compares the same lattice"
        )
    if exact.L % 12 != 0:
        raise ValueError(
            f"the benchmark compares the intensity at the six +-Q_eta, which lie on the momentum "
            f"grid only for L divisible by 12; got L = {exact.L}"
        )
    same = len(exact.times) == len(model.times) and np.allclose(
        exact.times, model.times, rtol=0, atol=TIME_MATCH_ATOL
    )
    if not same:
        raise ValueError(
            f"exact runs ({str(exact_path)!r}) are saved at {len(exact.times)} times "
            f"t = {exact.times[0]:g}..{exact.times[-1]:g}, model runs ({str(model_path)!r}) at "
            f"{len(model.times)} times t = {model.times[0]:g}..{model.times[-1]:g}; "
            f"run both with the same dt, number of steps and save interval"
        )


def _difference_statistics(times, delta, delta_err) -> dict[str, Any]:
    """Largest |relative difference| (time, error bar), mean, and how often it lies within two
    standard errors of zero; all None when no time has a defined difference."""
    finite = np.isfinite(delta)
    if not finite.any():
        keys = ("max_abs_relative_difference", "time_of_max", "standard_error_at_max")
        keys += ("mean_abs_relative_difference", "fraction_within_two_standard_errors")
        return dict.fromkeys(keys)
    magnitude = np.where(finite, np.abs(delta), -np.inf)
    worst = int(np.argmax(magnitude))
    return {
        "max_abs_relative_difference": float(magnitude[worst]),
        "time_of_max": float(times[worst]),
        "standard_error_at_max": float(delta_err[worst]),
        "mean_abs_relative_difference": float(np.mean(np.abs(delta[finite]))),
        "fraction_within_two_standard_errors": float(
            np.mean(np.abs(delta[finite]) <= 2 * delta_err[finite])
        ),
    }


def _summary(times, delta, delta_err, tolerance: float) -> dict[str, Any]:
    stats = _difference_statistics(times, delta, delta_err)
    worst = stats["max_abs_relative_difference"]
    return {
        **stats,
        "tolerance": tolerance,
        "criterion": PASS_CRITERION,
        # every time must be defined (exact peak > 0) and within the tolerance
        "passed": bool(np.isfinite(delta).all() and worst is not None and worst <= tolerance),
    }
