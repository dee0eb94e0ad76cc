"""The random part of fresh-probe KPM fields: its variance, measured over probe draws.

With fresh probes (``KPMParams(fresh_probes=True)``) every LLG step sees the M-moment field plus
a random error delta H that is independent from step to step (new phases) and has zero mean
over draws.  Only its part perpendicular to the spin moves the spin, so the number the dynamics
needs is the variance per perpendicular component,

.. math::
    \\sigma^2 = \\frac{1}{2N} \\sum_i \\operatorname{Var}_{\\rm draws}
        \\big[\\delta\\mathbf H_{i} - (\\delta\\mathbf H_i\\cdot\\mathbf S_i)\\mathbf S_i\\big],

estimated here from ``num_draws`` independent phase sets on given textures (unbiased sample
variance over draws, averaged over sites, components and textures).  It turns into an
equivalent Langevin temperature in :func:`torquenet.dynamics.probe_noise_temperature`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from torquenet._validation import check_int, check_spins
from torquenet.solvers._kpm import KPMSolver
from torquenet.solvers._supercell import SupercellSolver

#: Stream of the calibration draws (:meth:`KPMSolver.begin_step`): far above the run seeds that
#: ``simulate`` uses as streams, so calibration phases are never those of a run's steps.
CALIBRATION_STREAM = 2**62


@dataclass(frozen=True)
class ProbeFieldNoise:
    """Variance of fresh-probe fields over probe draws.

    Attributes
    ----------
    variance : float
        sigma^2, per perpendicular component and site (units of t1^2).
    per_site : ndarray, shape (F, L, L)
        The same per texture and site (sum over the two perpendicular components / 2).
    num_draws : int
        Draws it was estimated from (its relative statistical error is ~sqrt(2 / (n - 1)) per
        site, much less for the mean).
    """

    variance: float
    per_site: NDArray[np.float64]
    num_draws: int


def fresh_probe_kpm(solver: object) -> KPMSolver | None:
    """The fresh-probe KPM solver that draws ``solver``'s phases: ``solver`` itself, or the
    inner solver of a :class:`~torquenet.solvers.SupercellSolver` (the twisted system of the
    frontier and the labels); None for every other solver."""
    if isinstance(solver, SupercellSolver):
        solver = solver.inner
    if isinstance(solver, KPMSolver) and solver.settings.fresh_probes:
        return solver
    return None


def probe_field_noise(
    solver: KPMSolver | SupercellSolver,
    spins: NDArray[np.float64],
    num_draws: int = 8,
    stream: int = CALIBRATION_STREAM,
) -> ProbeFieldNoise:
    """Measure the draw-to-draw variance of a fresh-probe KPM solver's fields on textures.

    Parameters
    ----------
    solver : KPMSolver or SupercellSolver
        With ``fresh_probes=True`` (otherwise the fields do not change between draws), or a
        supercell of one (the noise of the cell's fields).
    spins : ndarray, shape (L, L, 3) or (F, L, L, 3)
        The textures (dynamics frames: the variance depends on the texture).
    num_draws : int
        Independent phase sets (>= 2), drawn as steps 0..n-1 of ``stream``.
    stream : int
        Stream of the draws (:data:`CALIBRATION_STREAM` by default).

    Raises
    ------
    ValueError
        ``fresh_probes`` is off, fewer than two draws, or bad spins.
    """
    if fresh_probe_kpm(solver) is None:
        raise ValueError(
            f"probe noise needs a KPMSolver with fresh_probes=True, got {solver!r}: fixed probes "
            f"give the same fields at every draw (a bias, not a noise)"
        )
    num_draws = check_int("num_draws", num_draws, minimum=2)
    spins = check_spins(spins)
    frames = spins.reshape(-1, *spins.shape[-3:])
    draws = []
    for draw in range(num_draws):
        solver.begin_step(stream, draw)
        fields = solver.compute(frames).fields
        draws.append(fields - np.sum(fields * frames, axis=-1, keepdims=True) * frames)
    stack = np.stack(draws)  # (n, F, L, L, 3) perpendicular parts
    per_site = stack.var(axis=0, ddof=1).sum(axis=-1) / 2.0
    return ProbeFieldNoise(variance=float(per_site.mean()), per_site=per_site, num_draws=num_draws)
