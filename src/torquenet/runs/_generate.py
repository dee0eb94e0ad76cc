"""Ensembles of exact LLG trajectories as training data (paper Sec. III C), local or on Dask.

Each trajectory is one unit of work written to its own HDF5 file ``DIR/trajectories/<name>.h5``;
``DIR/manifest.json`` records checksums, splits and the label normalisation.  Re-running the same
config resumes: finished units (checksum verified) are skipped, unfinished ones continue from
their own checkpoints, failed ones are retried and then reported, never dropped.

Two sampling modes:

* ``exact``: the trajectory is integrated with ``solver`` and every saved frame keeps its fields
  (the paper's recipe).
* ``relabel``: the trajectory is integrated with the cheaper ``dynamics_solver`` (e.g. ED without
  boundary twists) and only the saved frames are labelled with ``solver`` (one exact evaluation
  per frame instead of 2 x save_every).  The labels are exact for the configurations visited;
  only the path through configuration space differs slightly from the exact dynamics.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from torquenet._validation import check_float, check_int
from torquenet.config import to_mapping
from torquenet.data.locking import exclusive_run
from torquenet.data.manifest import (
    START_TYPES,
    Manifest,
    UnitRecord,
    read_manifest,
    sha256_of,
    verify_unit,
)
from torquenet.data.storage import read_trajectory, write_trajectory
from torquenet.dynamics import LLGParams
from torquenet.model import SDModelParams
from torquenet.observables import perpendicular_part
from torquenet.runs._simulate import simulate
from torquenet.runs._simulation_config import SimulationConfig, check_settings
from torquenet.runs._solvers import build_solver, checked_result
from torquenet.runs._trajectory_files import upgraded_config_json
from torquenet.solvers import SolverConfig
from torquenet.textures import OrderedPhaseDistribution, SkyrmionPerturbation

logger = logging.getLogger(__name__)

#: Values of ``GenerateConfig.sampling``: "exact" integrates with ``solver`` and keeps the
#: fields of every saved frame; "relabel" integrates with the cheaper ``dynamics_solver`` and
#: labels only the saved frames with ``solver``.
SAMPLING_MODES = ("exact", "relabel")
#: The initial state (SimulationConfig.init) of each start type.
INITS = {"random": "random", "skyrmion": "skl-perturbed", "ordered": "ordered-perturbed"}
#: Frames labelled per batched solver call in "relabel" mode.
LABEL_BATCH = 8


@dataclass(frozen=True)
class GenerateConfig:
    """An ensemble of LLG trajectories and how to label them.

    Parameters
    ----------
    L : int
        Lattice size (multiple of 12 when num_skyrmion or num_ordered > 0).
    num_random, num_skyrmion, num_ordered : int
        Trajectories started from random spins, from perturbed skyrmion lattices and from
        random ordered phases with spin noise (ferromagnets, spirals, skyrmion-lattice ansatz;
        :class:`~torquenet.textures.OrderedPhaseDistribution`).  Seeds and the split of each
        start type do not depend on the counts of the others.
    num_steps, save_every, checkpoint_every : int
        Steps per trajectory, frame interval, checkpoint interval.
    seed : int
        Ensemble seed: trajectory seeds and the split derive from it.
    validation_fraction : float
        Fraction of each start type's trajectories held out (split by trajectory, stratified).
    sampling : str
        "exact" or "relabel" (see module docstring).
    model : SDModelParams
        The s-d model, shared by every solver of the ensemble (labels and dynamics).
    llg : LLGParams
        dt, damping, Langevin temperature and external field of the dynamics.
    solver : SolverConfig
        The labelling solver (and the dynamics solver in "exact" mode).
    dynamics_solver : SolverConfig or None
        The solver that drives the dynamics in "relabel" mode.
    perturbation : SkyrmionPerturbation
        Randomness of the perturbed skyrmion-lattice starts.
    ordered : OrderedPhaseDistribution
        The distribution of the ordered-phase starts.
    max_attempts : int
        Attempts per trajectory before it is reported as failed.
    threads_per_unit : int
        torch threads used by each trajectory.  LAPACK's results depend (at rounding level) on
        the thread count, so files are bit-identical across executors only when this is fixed;
        1 is also the fastest choice for L <= 24 when several units run at once.
    """

    L: int = 12
    num_random: int = 2
    num_skyrmion: int = 2
    num_steps: int = 50
    save_every: int = 10
    checkpoint_every: int = 100
    seed: int = 0
    validation_fraction: float = 0.3
    sampling: str = "exact"
    model: SDModelParams = field(default_factory=SDModelParams)
    llg: LLGParams = field(default_factory=LLGParams)
    solver: SolverConfig = field(default_factory=SolverConfig)
    dynamics_solver: SolverConfig | None = None
    perturbation: SkyrmionPerturbation = field(default_factory=SkyrmionPerturbation)
    max_attempts: int = 2
    threads_per_unit: int = 1
    num_ordered: int = 0
    ordered: OrderedPhaseDistribution = field(default_factory=OrderedPhaseDistribution)

    def __post_init__(self) -> None:
        check_int("L", self.L, minimum=1)
        check_int("num_random", self.num_random, minimum=0)
        check_int("num_skyrmion", self.num_skyrmion, minimum=0)
        check_int("num_ordered", self.num_ordered, minimum=0)
        if self.num_random + self.num_skyrmion + self.num_ordered == 0:
            raise ValueError(
                "num_random + num_skyrmion + num_ordered must be >= 1, got 0 trajectories"
            )
        check_int("num_steps", self.num_steps, minimum=1)
        check_int("save_every", self.save_every, minimum=1)
        check_int("checkpoint_every", self.checkpoint_every, minimum=1)
        check_int("seed", self.seed, minimum=0)
        check_int("max_attempts", self.max_attempts, minimum=1)
        check_int("threads_per_unit", self.threads_per_unit, minimum=1)
        check_float("validation_fraction", self.validation_fraction, minimum=0.0, maximum=0.9)
        if (self.num_skyrmion or self.num_ordered) and self.L % 12:
            raise ValueError(
                f"skyrmion-lattice and ordered-phase starts need L divisible by 12, got "
                f"L = {self.L}"
            )
        if not isinstance(self.ordered, OrderedPhaseDistribution):
            raise TypeError(f"ordered must be an OrderedPhaseDistribution, got {self.ordered!r}")
        if self.sampling not in SAMPLING_MODES:
            raise ValueError(f"sampling must be one of {SAMPLING_MODES}, got {self.sampling!r}")
        if self.sampling == "relabel" and self.dynamics_solver is None:
            raise ValueError("sampling 'relabel' needs a dynamics_solver")

    def units(self) -> list[UnitRecord]:
        """The trajectories: names, start types, seeds and split (all derived from ``seed``)."""
        rng = np.random.default_rng(np.random.SeedSequence([self.seed, 1]))
        records = []
        for code, (start_type, count) in enumerate(
            zip(START_TYPES, (self.num_random, self.num_skyrmion, self.num_ordered), strict=True)
        ):
            num_validation = int(round(self.validation_fraction * count))
            if count > 1 and self.validation_fraction > 0:
                num_validation = min(max(num_validation, 1), count - 1)
            held_out = set(rng.permutation(count)[:num_validation].tolist())
            for index in range(count):
                seed = int(np.random.SeedSequence([self.seed, code, index]).generate_state(1)[0])
                records.append(
                    UnitRecord(
                        name=f"{start_type}_{index:03d}",
                        start_type=start_type,
                        seed=seed,
                        split="validation" if index in held_out else "train",
                    )
                )
        return records

    def simulation_config(self, record: UnitRecord) -> SimulationConfig:
        """The LLG run of one trajectory."""
        exact = self.sampling == "exact"
        return SimulationConfig(
            L=self.L,
            init=INITS[record.start_type],
            num_steps=self.num_steps,
            save_every=self.save_every,
            checkpoint_every=self.checkpoint_every,
            seed=record.seed,
            save_fields=exact,
            model=self.model,
            llg=self.llg,
            solver=self.solver if exact else self.dynamics_solver,
            perturbation=self.perturbation,
            ordered=self.ordered,
        )


def run_unit(
    config: GenerateConfig, record: UnitRecord, directory: str, force: bool = False
) -> tuple[str, str, int]:
    """Produce one trajectory file (resuming if possible); returns (name, sha256, num_frames).

    Top-level so that process pools and Dask workers can pickle it.  Runs with
    ``config.threads_per_unit`` torch threads (restored afterwards).
    """
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(config.threads_per_unit)
    try:
        return _produce(config, record, Path(directory), force)
    finally:
        torch.set_num_threads(previous)


def _produce(
    config: GenerateConfig, record: UnitRecord, root: Path, force: bool
) -> tuple[str, str, int]:
    final = root / record.relative_path
    final.parent.mkdir(parents=True, exist_ok=True)
    if not final.is_file():  # files appear atomically: an existing one is complete
        sim = config.simulation_config(record)
        if config.sampling == "exact":
            simulate(sim, final, force=force)
        else:
            staging = root / "staging" / f"{record.name}.dynamics.h5"
            staging.parent.mkdir(parents=True, exist_ok=True)
            if not staging.is_file():
                simulate(sim, staging, force=force)
            _relabel(staging, final, config)
    trajectory = read_trajectory(final)
    return record.name, sha256_of(final), trajectory.num_frames


def _relabel(source: Path, destination: Path, config: GenerateConfig) -> None:
    """Label every frame of ``source`` with ``config.solver`` and write ``destination``."""
    trajectory = read_trajectory(source)
    solver = build_solver(config.solver, config.model)
    fields, omega = [], []
    for start in range(0, trajectory.num_frames, LABEL_BATCH):
        result = checked_result(
            solver.compute(trajectory.spins[start : start + LABEL_BATCH]), solver
        )
        fields.append(result.fields)
        omega.append(result.grand_potential)
    fields_all = np.concatenate(fields)
    attributes = dict(trajectory.attributes)
    attributes["label_solver"] = json.dumps(to_mapping(config.solver), sort_keys=True)
    labelled = replace(trajectory, fields=fields_all, attributes=attributes)
    if solver.provides_energy:
        grand_potential = np.concatenate(omega)
        zeeman = config.llg.zeeman_energy(trajectory.spins)
        labelled = replace(
            labelled, grand_potential=grand_potential, energy=grand_potential + zeeman
        )
    write_trajectory(destination, labelled)


#: How often (s) a pool worker checks that the process that started it is still alive.
PARENT_POLL_SECONDS = 1.0


def exit_with_parent(parent_pid: int) -> None:
    """Pool-worker initializer: end this worker soon after its parent dies.

    A killed ``generate`` (SIGTERM, SIGKILL) cannot shut its pool down, and the workers would
    go on with the units already queued to them, racing a rerun that resumes the same
    trajectories.  A daemon thread polls the parent pid every :data:`PARENT_POLL_SECONDS` and
    exits the worker when it changes (checkpoints are atomic, so no finished work is lost).
    """

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(PARENT_POLL_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


ProgressFn = Callable[[int, int], None]


def generate(
    config: GenerateConfig,
    directory: str | Path,
    *,
    workers: int = 1,
    scheduler: str | None = None,
    progress: ProgressFn | None = None,
    force: bool = False,
) -> Manifest:
    """Generate (or resume) the ensemble of ``config`` in ``directory``.

    Parameters
    ----------
    workers : int
        Local worker processes (1: run in this process).  Each worker uses one torch thread.
    scheduler : str, optional
        Address of a Dask distributed scheduler ("tcp://host:8786"); the same units are submitted
        to it instead of a local pool.
    progress : callable, optional
        progress(finished_units, total_units).
    force : bool
        Run dynamics settings that :func:`~torquenet.runs.check_settings` calls physically
        absurd (with a warning) instead of refusing them before any work starts.

    Raises
    ------
    ValueError
        The directory holds a dataset generated with a different config, or a finished file
        no longer matches its checksum.
    RuntimeError
        Some trajectories failed ``max_attempts`` times (all others are finished and recorded).
    RunInUseError
        Another process is generating into ``directory`` right now (a RuntimeError too).
    """
    check_int("workers", workers, minimum=1)
    check_settings(config.simulation_config(config.units()[0]), force)
    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    with exclusive_run(root):
        return _generate(config, root, workers, scheduler, progress, force)


def _generate(config, root, workers, scheduler, progress, force) -> Manifest:
    """:func:`generate` once the dataset directory's lock is held."""
    manifest = _open_manifest(config, root)
    todo = [u for u in manifest.units if u.sha256 is None]
    done_count = len(manifest.units) - len(todo)
    if progress:
        progress(done_count, len(manifest.units))
    failures: list[str] = []
    if todo:
        submit, wait, shutdown = _executor(workers, scheduler)
        try:
            pending = {submit(run_unit, config, u, str(root), force): (u, 1) for u in todo}
            while pending:
                finished, _ = wait(list(pending))
                for future in finished:
                    record, attempt = pending.pop(future)
                    try:
                        name, digest, num_frames = future.result()
                    except Exception as exc:  # noqa: BLE001 - reported below, never dropped
                        logger.warning(
                            "trajectory %s failed (attempt %d/%d): %r",
                            record.name,
                            attempt,
                            config.max_attempts,
                            exc,
                        )
                        if attempt < config.max_attempts:
                            retry = submit(run_unit, config, record, str(root), force)
                            pending[retry] = (record, attempt + 1)
                        else:
                            failures.append(f"{record.name}: {exc!r}")
                        continue
                    manifest.replace_unit(replace(record, sha256=digest, num_frames=num_frames))
                    manifest.write(root)
                    done_count += 1
                    if progress:
                        progress(done_count, len(manifest.units))
        finally:
            shutdown()
    if failures:
        raise RuntimeError(
            f"{len(failures)} trajectories failed after {config.max_attempts} attempts "
            f"(finished ones are kept; re-run to retry): " + "; ".join(failures)
        )
    if manifest.torque_scale is None:
        _normalise(manifest, root)
        manifest.write(root)
    return manifest


def _open_manifest(config: GenerateConfig, root: Path) -> Manifest:
    mapping = json.loads(json.dumps(to_mapping(config)))
    try:
        manifest = read_manifest(root)
    except FileNotFoundError:
        manifest = Manifest(config=mapping, units=config.units())
        manifest.write(root)
        return manifest
    # a dataset begun before the config gained an option (with a default) is the same dataset
    if json.loads(upgraded_config_json(json.dumps(manifest.config), GenerateConfig)) != mapping:
        raise ValueError(
            f"{str(root)!r} holds a dataset generated with a different config; use a new "
            f"directory (or the original config to resume)"
        )
    for record in manifest.finished():
        verify_unit(root, record)
    return manifest


def _executor(workers: int, scheduler: str | None):
    """(submit, wait_first_completed, shutdown) for inline, process-pool or Dask execution."""
    if scheduler is not None:
        from distributed import Client
        from distributed import wait as dask_wait

        client = Client(scheduler)

        def submit(fn, *args):
            return client.submit(fn, *args, pure=False)

        def wait(futures):
            result = dask_wait(futures, return_when="FIRST_COMPLETED")
            return result.done, result.not_done

        return submit, wait, client.close
    if workers > 1:
        import multiprocessing

        context = multiprocessing.get_context("spawn")  # safe with torch's OpenMP threads

        def new_pool() -> cf.ProcessPoolExecutor:
            return cf.ProcessPoolExecutor(
                max_workers=workers,
                mp_context=context,
                initializer=exit_with_parent,
                initargs=(os.getpid(),),
            )

        pools = [new_pool()]

        def submit_pool(fn, *args):
            try:
                return pools[-1].submit(fn, *args)
            except cf.process.BrokenProcessPool:
                # a worker died abruptly (killed, out of memory): start a fresh pool for retries
                pools[-1].shutdown(wait=False, cancel_futures=True)
                pools.append(new_pool())
                return pools[-1].submit(fn, *args)

        def wait(futures):
            return cf.wait(futures, return_when=cf.FIRST_COMPLETED)

        return submit_pool, wait, lambda: pools[-1].shutdown()

    def submit_inline(fn, *args):
        future: cf.Future = cf.Future()
        try:
            future.set_result(fn(*args))
        except KeyboardInterrupt:
            raise
        except Exception as exc:  # noqa: BLE001 - handed to the retry logic via the future
            future.set_exception(exc)
        return future

    return submit_inline, lambda futures: (set(futures), set()), lambda: None


def _normalise(manifest: Manifest, root: Path) -> None:
    """Mean torque magnitude over the training split (the paper's normalisation) + statistics."""
    train = manifest.finished("train") or manifest.finished()
    norms, parallel = [], 0.0
    for record in train:
        trajectory = read_trajectory(verify_unit(root, record))
        torques = perpendicular_part(trajectory.fields, trajectory.spins)
        norms.append(np.linalg.norm(torques, axis=-1).ravel())
        parallel = max(parallel, float(np.abs(np.sum(torques * trajectory.spins, -1)).max()))
    magnitude = np.concatenate(norms)
    manifest.torque_scale = float(magnitude.mean())
    manifest.label_statistics = {
        "num_train_site_samples": int(magnitude.size),
        "torque_magnitude_mean": float(magnitude.mean()),
        "torque_magnitude_p1": float(np.percentile(magnitude, 1)),
        "torque_magnitude_p50": float(np.percentile(magnitude, 50)),
        "torque_magnitude_p99": float(np.percentile(magnitude, 99)),
        "max_abs_torque_dot_spin": parallel,
    }
