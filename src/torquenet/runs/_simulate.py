"""LLG trajectories on disk: initial states, saved frames, checkpoints and exact resume.

``simulate(config, out)`` is the Python mirror of ``torquenet simulate``.  While it runs, the
work lives in ``<out>.partial/``: a chain of checkpoint files, each written atomically and
holding the frames saved since the previous one plus the full integrator state (spins, step,
noise state; the file side is in ``_trajectory_files``).  Calling ``simulate`` again with the
same config after any interruption (Ctrl-C, SIGKILL, crash, blow-up) resumes from the last
checkpoint and produces bit-for-bit the file an uninterrupted run writes.  ``out`` itself
appears only when the run is complete, via an atomic rename, so it is never a partial or
corrupted file.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from torquenet._typing import FieldResult, FieldSolver
from torquenet.data.locking import exclusive_run
from torquenet.dynamics import (
    CounterNoise,
    IntegrationError,
    LangevinNoise,
    LLGParams,
    SequentialNoise,
    probe_noise_temperature,
    run_llg,
)
from torquenet.dynamics._noise import COUNTER_NOISE
from torquenet.ml import current_context
from torquenet.runs._simulation_config import (
    SimulationConfig,
    check_settings,
    initial_spins,
    work_directory,
)
from torquenet.runs._solvers import build_solver
from torquenet.runs._trajectory_files import (
    ProgressCallback,
    _assemble,
    _Recorder,
    _start_point,
    _StartPoint,
)
from torquenet.solvers import fresh_probe_kpm, probe_field_noise

logger = logging.getLogger(__name__)


def check_single_process(name: str) -> None:
    """RuntimeError when called inside a torch.distributed group of several processes (each
    would integrate the whole lattice and write the same file): use :func:`simulate_domains`."""
    context = current_context()
    if context.is_distributed:
        raise RuntimeError(
            f"{name}() integrates the whole lattice in one process, but this is process "
            f"{context.rank} of a torch.distributed group of {context.world_size}: call "
            f"simulate_domains() on every process (torchrun ... torquenet simulate does)"
        )


def bath_parameters(
    config: SimulationConfig, solver: FieldSolver
) -> tuple[LLGParams, dict[str, Any]]:
    """The LLG parameters the integrator uses, and the file attributes they add.

    For fresh-probe KPM, T_noise is measured on the initial state (deterministic, so a resumed
    run finds the same value) and recorded; with ``temperature_includes_probe_noise`` the
    thermostat gets T - T_noise.  Otherwise ``config.llg`` as it is.

    Raises
    ------
    ValueError
        ``temperature_includes_probe_noise`` with T below T_noise (both numbers named).
    """
    kpm = fresh_probe_kpm(solver)  # also behind a SupercellSolver (the twisted system)
    if kpm is None:
        return config.llg, {}
    init_seq, _ = np.random.SeedSequence(config.seed).spawn(2)
    spins = initial_spins(config, np.random.default_rng(init_seq))
    measured = probe_field_noise(solver, spins)
    t_noise = probe_noise_temperature(measured.variance, config.llg) if config.llg.damping else 0.0
    extra = {"probe_noise_temperature": float(t_noise)}
    if not config.temperature_includes_probe_noise:
        return config.llg, extra
    total = config.llg.temperature
    if total < t_noise:
        raise ValueError(
            f"temperature T = {total:g} is below the temperature of the probe noise alone, "
            f"T_noise = {t_noise:.3g} (KPM M = {kpm.settings.num_moments}, d = "
            f"{kpm.settings.probing_distance}, sigma^2 = {measured.variance:.3g} per "
            f"component on the initial state, dt = {config.llg.time_step:g}, alpha = "
            f"{config.llg.damping:g}): with temperature_includes_probe_noise the total cannot "
            f"be lower; use T >= {t_noise:.3g}, more moments or a larger probing distance, or "
            f"let T be the thermostat's alone"
        )
    logger.info(
        "probe noise T_noise = %.3g: the thermostat adds T - T_noise = %.3g",
        t_noise,
        total - t_noise,
    )
    return replace(config.llg, temperature=total - t_noise), extra


def _step_hook(solver: FieldSolver, seed: int):
    """``before_step`` of run_llg for solvers with per-step state (fresh-probe KPM): the run's
    seed is their stream, the step number their draw."""
    begin_step = getattr(solver, "begin_step", None)
    if begin_step is None:
        return None
    return lambda step: begin_step(seed, step)


def _integrate(
    spins: NDArray[np.float64],
    solver: FieldSolver,
    config: SimulationConfig,
    llg: LLGParams,
    noise: LangevinNoise,
    start: int,
    recorder: Callable[[int, NDArray[np.float64], FieldResult], None],
    workdir: Path,
    last_checkpoint: Callable[[], int],
    checkpoint_on_interrupt: Callable[[], None],
) -> None:
    """run_llg with a checkpoint on Ctrl-C and the checkpoint's location in blow-up errors."""
    try:
        run_llg(
            spins,
            solver,
            llg,
            noise,
            config.num_steps,
            start_step=start,
            observer=recorder,
            before_step=_step_hook(solver, config.seed),
        )
    except KeyboardInterrupt:
        checkpoint_on_interrupt()
        logger.warning(
            "interrupted; state of step %d kept in %s (run again to resume)",
            last_checkpoint(),
            workdir,
        )
        raise
    except IntegrationError as exc:
        raise IntegrationError(
            f"{exc}. The last good checkpoint (step {last_checkpoint()}) is kept in "
            f"{str(workdir)!r}; delete it to start over with other parameters"
        ) from exc


def _noise_state(noise: LangevinNoise, num_processes: int) -> Callable[[], dict[str, Any]]:
    """What a checkpoint stores of the noise: the generator state (sequential noise), or the
    generator's name, seed and the number of processes of the run (counter noise)."""
    if isinstance(noise, CounterNoise):
        return lambda: {**noise.state(), "num_processes": int(num_processes)}
    return noise.state


def _note_process_count(start: _StartPoint, num_processes: int, out: Path) -> None:
    """Log when a run checkpointed by one number of processes is resumed with another."""
    previous = (start.noise_state or {}).get("num_processes", num_processes)
    if previous != num_processes:
        logger.warning(
            "resuming %s, checkpointed by %d process(es), with %d: the trajectory does not "
            "depend on the process count (counter-based noise, halo-exact fields), so the run "
            "goes on; the file records num_processes = %d",
            out,
            previous,
            num_processes,
            num_processes,
        )


def _noise_source(
    config: SimulationConfig, start: _StartPoint, first_site: int = 0
) -> LangevinNoise:
    """The run's Langevin noise, positioned at ``start`` (restored from the checkpoint)."""
    stored = start.noise_state
    if config.noise == COUNTER_NOISE:
        if stored is not None and stored.get("generator") != COUNTER_NOISE:
            raise ValueError(
                f"the checkpoint holds the state of another noise generator ({stored}); the "
                f"run's config asks for counter-based noise"
            )
        return CounterNoise(config.seed, first_site=first_site)
    _, noise_seq = np.random.SeedSequence(config.seed).spawn(2)
    rng = np.random.default_rng(noise_seq)
    if stored is not None:
        rng.bit_generator.state = stored
    return SequentialNoise(rng)


def simulate(
    config: SimulationConfig,
    out: str | Path,
    progress: ProgressCallback | None = None,
    *,
    overwrite: bool = False,
    solver: FieldSolver | None = None,
    force: bool = False,
) -> Path:
    """Run (or resume) the LLG trajectory of ``config`` and write it to the HDF5 file ``out``.

    Parameters
    ----------
    config : SimulationConfig
    out : path
        Trajectory file to create (layout: :mod:`torquenet.data`, ``TRAJECTORY_DATASETS``).
    progress : ProgressCallback, optional
        progress(completed_steps, num_steps), e.g. to drive a progress bar.
    overwrite : bool
        Discard an existing ``out`` and any unfinished run for it.  Otherwise an unfinished run in
        ``<out>.partial/`` is resumed from its newest intact checkpoint (its config must equal
        ``config``), and a finished ``out`` of the same config is returned as it is (a no-op);
        one of another config is an error.
    solver : FieldSolver, optional
        A field engine to use instead of building ``config.solver`` (a custom or instrumented
        solver).  Its ``params`` must equal ``config.model``; the file then records
        ``repr(solver)`` in its ``field_solver`` attribute, since ``config.solver`` no longer
        describes the fields.
    force : bool
        Run settings that :func:`check_settings` calls physically absurd (with a warning)
        instead of refusing them.

    Returns
    -------
    Path
        ``out``.

    Raises
    ------
    RunInUseError
        Another process is writing ``out`` right now (:func:`~torquenet.data.exclusive_run`).
    FileExistsError
        ``out`` holds a finished run of another configuration and overwrite is False.
    ValueError
        Invalid initial state, absurd settings without ``force``, a corrupt ``out``, or an
        unfinished run with a different configuration.
    IntegrationError
        The integration blew up; the message names the step; the last good checkpoint is kept.

    Examples
    --------
    >>> import tempfile
    >>> from torquenet.data import read_trajectory
    >>> cfg = SimulationConfig(L=6, num_steps=4, save_every=2)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     run = read_trajectory(simulate(cfg, Path(d) / "run.h5"))
    >>> run.steps.tolist(), run.spins.shape
    ([0, 2, 4], (3, 6, 6, 3))
    """
    out = Path(out)
    check_single_process("simulate")
    with exclusive_run(out):
        return _simulate(config, out, progress, overwrite, solver, force)


def _simulate(config, out, progress, overwrite, solver, force) -> Path:
    """:func:`simulate` once the run's lock is held."""
    workdir = work_directory(out)
    if not overwrite and out.exists():
        _start_point(config, out, overwrite)  # a finished run of this config, or an error
        return out
    check_settings(config, force)
    override = solver
    if solver is None:
        solver = build_solver(config.solver, config.model)
    elif getattr(solver, "params", None) != config.model:
        raise ValueError(
            f"the solver passed to simulate() is for {getattr(solver, 'params', None)}, the "
            f"config for {config.model}; they must be the same s-d model"
        )
    llg, extra = bath_parameters(config, solver)
    start = _start_point(config, out, overwrite)
    assert start is not None  # out does not exist, or overwrite
    noise = _noise_source(config, start)
    _note_process_count(start, 1, out)
    recorder = _Recorder(
        config,
        solver,
        _noise_state(noise, 1),
        workdir,
        last_checkpoint=start.step if start.resuming else -1,
        progress=progress,
    )
    try:
        _integrate(
            start.spins,
            solver,
            config,
            llg,
            noise,
            start.step,
            recorder,
            workdir,
            lambda: recorder.last_checkpoint,
            recorder.checkpoint,
        )
    except BaseException:
        if not any(workdir.iterdir()):  # failed before the first checkpoint: leave no litter
            workdir.rmdir()
        raise
    return _assemble(workdir, out, config, override, extra_attributes=extra)
