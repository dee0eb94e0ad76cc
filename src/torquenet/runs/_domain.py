"""LLG trajectories split over torch.distributed processes: one row slab of the lattice each.

``simulate_domains(config, out)`` is what ``torchrun --nproc-per-node N -m torquenet simulate
--solver cnn ...`` runs on every process.  Each process integrates its own rows
(:class:`~torquenet.ml.RowSlabs`) with the SIB scheme; every field evaluation exchanges halos of
the network's receptive radius (:class:`~torquenet.ml.DomainCNNSolver`); the Langevin noise of a
site is a function of (seed, step, site) (:class:`~torquenet.dynamics.CounterNoise`).  So the
trajectory does not depend on the number of processes: it equals the single-process
:func:`~torquenet.runs.simulate` of the same config to float32 rounding of the network.

Files are the single-process ones: process 0 gathers the slabs at saved and checkpoint steps and
writes the usual checkpoint chain in ``<out>.partial/`` and the trajectory ``out`` (root
attribute ``num_processes``); a killed run is resumed by running the same command again, with
any number of processes (the checkpoints hold the whole lattice and no generator state).
"""

from __future__ import annotations

import logging
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch.distributed as dist
from numpy.typing import NDArray

from torquenet._device import resolve_device
from torquenet._typing import FieldResult
from torquenet.data.locking import RunInUseError, exclusive_run
from torquenet.dynamics._noise import COUNTER_NOISE
from torquenet.ml import (
    CNNSolver,
    DistributedContext,
    DomainCNNSolver,
    RowSlabs,
    current_context,
)
from torquenet.runs._simulate import (
    _integrate,
    _noise_source,
    _noise_state,
    _note_process_count,
)
from torquenet.runs._simulation_config import (
    SimulationConfig,
    check_settings,
    frame_steps,
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

logger = logging.getLogger(__name__)

#: Exceptions process 0 may meet while preparing the files; every process re-raises them.
_SHARED_ERRORS = {
    e.__name__: e for e in (ValueError, FileExistsError, FileNotFoundError, RunInUseError)
}


def _control_group(context: DistributedContext) -> Any:
    """A gloo group for the small Python objects (start state, gathered frames); None means the
    default group when it already is gloo."""
    if dist.get_backend() == "gloo":
        return None
    return dist.new_group(backend="gloo")


def _shared_start(
    config: SimulationConfig,
    out: Path,
    overwrite: bool,
    context: DistributedContext,
    group: Any,
    lock: ExitStack,
) -> _StartPoint | None:
    """Process 0 takes the run's lock (held in ``lock``) and reads or creates the start state;
    every process receives it (or its error)."""
    message: list[Any] = [None]
    if context.is_main:
        try:
            lock.enter_context(exclusive_run(out))
            message[0] = ("start", _start_point(config, out, overwrite))
        except tuple(_SHARED_ERRORS.values()) as exc:
            message[0] = ("error", type(exc).__name__, str(exc))
        except Exception as exc:  # noqa: BLE001 - handed on to every process, then re-raised
            message[0] = ("error", "RuntimeError", f"{type(exc).__name__}: {exc}")
    dist.broadcast_object_list(message, src=0, group=group)
    if message[0][0] == "error":
        _, name, text = message[0]
        raise _SHARED_ERRORS.get(name, RuntimeError)(text)
    return message[0][1]


def _process_solver(config: SimulationConfig, slabs: RowSlabs, context: DistributedContext):
    """This process's DomainCNNSolver (on ``cuda:local_rank`` when the config asks for CUDA)."""
    cnn = config.solver.cnn
    device = resolve_device(cnn.device)
    if device.type == "cuda":
        cnn = replace(cnn, device=f"cuda:{context.local_rank}")
    solver = build_solver(replace(config.solver, cnn=cnn), config.model)
    assert isinstance(solver, CNNSolver)
    return DomainCNNSolver(solver, slabs, context)


class _SlabGatherer:
    """StepObserver on every process: at steps that are saved or checkpointed, the slabs of the
    spins and fields are gathered on process 0 and handed to its recorder (with the lattice's
    Omega of an energy model, which every process already holds)."""

    def __init__(
        self,
        config: SimulationConfig,
        context: DistributedContext,
        group: Any,
        recorder: _Recorder | None,
        last_checkpoint: int,
    ) -> None:
        self.context = context
        self.group = group
        self.recorder = recorder
        self.config = config
        self.frame_set = set(frame_steps(config.num_steps, config.save_every))
        self.first_fresh = last_checkpoint + 1

    def needed(self, step: int) -> bool:
        every, last = self.config.checkpoint_every, self.config.num_steps
        return step >= self.first_fresh and (
            step in self.frame_set or step % every == 0 or step == last
        )

    def _gather(self, slab: NDArray[np.float64]) -> NDArray[np.float64] | None:
        parts: list[Any] | None = [None] * self.context.world_size if self.context.is_main else None
        dist.gather_object(slab, parts, dst=0, group=self.group)
        return np.concatenate(parts, axis=0) if parts is not None else None

    def __call__(self, step: int, spins: NDArray[np.float64], result: FieldResult) -> None:
        if not self.needed(step):
            if self.recorder is not None and self.recorder.progress is not None:
                self.recorder.progress(step, self.config.num_steps)
            return
        full_spins = self._gather(spins)
        full_fields = self._gather(result.fields)
        if self.recorder is not None:
            # Omega of an energy model is already the whole lattice's on every process
            whole = FieldResult(fields=full_fields, grand_potential=result.grand_potential)
            self.recorder(step, full_spins, whole)


def check_domain_config(config: SimulationConfig, num_processes: int) -> None:
    """ValueError unless ``config`` can be split over ``num_processes`` processes."""
    if config.solver.kind != "cnn":
        raise ValueError(
            f"a run over {num_processes} processes needs --solver cnn (a local network whose "
            f"fields need only halos from the neighbouring slabs); got solver "
            f"{config.solver.kind!r}: run ED or KPM as one process"
        )
    if config.noise != COUNTER_NOISE:
        raise ValueError(
            f"a run over {num_processes} processes needs noise = {COUNTER_NOISE!r} (a function of "
            f"seed, step and site); noise {config.noise!r} is one stream drawn in site order"
        )
    RowSlabs(config.L, num_processes)  # at most L processes


def simulate_domains(
    config: SimulationConfig,
    out: str | Path,
    progress: ProgressCallback | None = None,
    *,
    overwrite: bool = False,
    force: bool = False,
    context: DistributedContext | None = None,
) -> Path:
    """:func:`~torquenet.runs.simulate` split over the processes of a torch.distributed group.

    A collective call: every process of the initialised group calls it with the same arguments
    (``torchrun ... -m torquenet simulate`` does).  Process 0 does all file work; ``progress``
    is called there only.

    Parameters
    ----------
    config : SimulationConfig
        Must use the CNN solver and counter-based noise (:func:`check_domain_config`).
    out : path
        Trajectory file, as for :func:`~torquenet.runs.simulate` (same layout; root attribute
        ``num_processes``).
    progress, overwrite, force
        As for :func:`~torquenet.runs.simulate`.
    context : DistributedContext, optional
        The process group (default: :func:`~torquenet.ml.current_context`).

    Raises
    ------
    ValueError
        A config that cannot be split (other solver, sequential noise, slabs thinner than the
        network's halo), or any error :func:`~torquenet.runs.simulate` raises for the files
        (raised on every process), :class:`~torquenet.data.RunInUseError` included.
    """
    context = current_context() if context is None else context
    out = Path(out)
    check_domain_config(config, context.world_size)
    check_settings(config, force)
    slabs = RowSlabs(config.L, context.world_size)
    solver = _process_solver(config, slabs, context)
    group = _control_group(context) if context.is_distributed else None
    with ExitStack() as lock:  # process 0 holds the run's lock until the file is written
        if context.is_distributed:
            start = _shared_start(config, out, overwrite, context, group, lock)
        else:
            lock.enter_context(exclusive_run(out))
            start = _start_point(config, out, overwrite)
        if start is not None:
            _run_domains(config, out, progress, context, slabs, solver, group, start)
    return out


def _run_domains(config, out, progress, context, slabs, solver, group, start) -> None:
    """:func:`simulate_domains` from its start state, every process."""
    if context.is_main:
        _note_process_count(start, context.world_size, out)
    first, end = slabs.bounds(context.rank)
    noise = _noise_source(config, start, first_site=slabs.first_site(context.rank))
    workdir = work_directory(out)
    last_checkpoint = start.step if start.resuming else -1
    recorder = None
    if context.is_main:
        recorder = _Recorder(
            config,
            solver,
            _noise_state(noise, context.world_size),
            workdir,
            last_checkpoint=last_checkpoint,
            progress=progress,
        )
    observer = _SlabGatherer(config, context, group, recorder, last_checkpoint)
    _integrate(
        np.ascontiguousarray(start.spins[first:end]),
        solver,
        config,
        config.llg,
        noise,
        start.step,
        observer,
        workdir,
        lambda: recorder.last_checkpoint if recorder is not None else last_checkpoint,
        recorder.checkpoint if recorder is not None else lambda: None,
    )
    if context.is_main:
        _assemble(workdir, out, config, None, num_processes=context.world_size)
    if context.is_distributed:
        dist.barrier(group=group)
