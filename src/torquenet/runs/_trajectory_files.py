"""An LLG run's files: the checkpoint chain in ``<out>.partial/``, resume points, the finished file.

While a run works, ``<out>.partial/`` holds a chain of checkpoint files, each written atomically
with the frames saved since the previous one and the integrator state.  The newest intact one
is the resume point (damaged ones are set aside); the chain is joined into ``out`` by an atomic
rename once the run is complete, so ``out`` is never partial.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray
from tqdm.auto import tqdm

from torquenet._typing import FieldResult, FieldSolver
from torquenet.config import from_mapping, to_mapping
from torquenet.data.schema import DATASETS
from torquenet.data.storage import (
    Checkpoint,
    Trajectory,
    git_revision,
    read_checkpoint,
    read_trajectory,
    write_checkpoint,
    write_trajectory,
)
from torquenet.dynamics import (
    LLG_EQUATION,
)
from torquenet.observables import magnetization, topological_charge
from torquenet.runs._simulation_config import (
    SimulationConfig,
    frame_steps,
    initial_spins,
    seed_derivation,
    work_directory,
)

logger = logging.getLogger(__name__)


class ProgressCallback(Protocol):
    """Called as progress(completed_steps, num_steps) at start/resume and after every step."""

    def __call__(self, completed_steps: int, num_steps: int) -> None: ...


class StepProgressBar:
    """A :class:`ProgressCallback` drawing a tqdm bar (steps/s, time left).

    The bar is created at the first report, so a resumed run starts at its completed step.
    """

    def __init__(self, description: str = "LLG") -> None:
        self.description = description
        self.bar: tqdm | None = None

    def __call__(self, completed_steps: int, num_steps: int) -> None:
        if self.bar is None:
            self.bar = tqdm(
                total=num_steps,
                initial=completed_steps,
                unit="step",
                desc=self.description,
                smoothing=0.1,
            )
        else:
            self.bar.update(completed_steps - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


class _Recorder:
    """StepObserver of run_llg: saves frames, writes checkpoints, reports progress."""

    def __init__(
        self,
        config: SimulationConfig,
        solver: FieldSolver,
        noise_state: Callable[[], dict[str, Any]],
        workdir: Path,
        *,
        last_checkpoint: int,
        progress: ProgressCallback | None,
    ) -> None:
        self.config = config
        self.config_json = config.to_json()
        self.llg = config.llg
        self.has_energy = bool(solver.provides_energy)
        self.noise_state = noise_state
        self.workdir = workdir
        self.progress = progress
        self.frame_set = set(frame_steps(config.num_steps, config.save_every))
        self.pending: list[dict[str, Any]] = []
        self.last_checkpoint = last_checkpoint
        self.latest: tuple[int, NDArray[np.float64], dict] | None = None

    def __call__(self, step: int, spins: NDArray[np.float64], result: FieldResult) -> None:
        # A checkpoint at step c holds every frame with step <= c, so a run resumed at c only
        # records frames after c.
        fresh = step > self.last_checkpoint
        if fresh and step in self.frame_set:
            self.pending.append(self._frame(step, spins, result))
        self.latest = (step, spins, self.noise_state())
        every = self.config.checkpoint_every
        if fresh and (step % every == 0 or step == self.config.num_steps):
            self.checkpoint()
        if self.progress is not None:
            self.progress(step, self.config.num_steps)

    def _frame(self, step: int, spins: NDArray, result: FieldResult) -> dict[str, Any]:
        frame = {
            "spins": np.array(spins, dtype=np.float64),
            "times": step * self.config.llg.time_step,
            "steps": step,
            "topological_charge": topological_charge(spins),
            "magnetization": magnetization(spins),
        }
        if self.config.save_fields:
            frame["fields"] = np.array(result.fields, dtype=np.float64)
        if self.has_energy:
            if result.grand_potential is None:
                raise RuntimeError("the solver says provides_energy but returned no energy")
            omega = float(result.grand_potential)
            frame["grand_potential"] = omega
            frame["energy"] = omega + float(self.llg.zeeman_energy(spins))
        return frame

    def _stacked_frames(self, up_to_step: int) -> Trajectory:
        frames = [f for f in self.pending if f["steps"] <= up_to_step]
        names = ["spins", "times", "steps", "topological_charge", "magnetization"]
        names += ["fields"] if self.config.save_fields else []
        names += ["grand_potential", "energy"] if self.has_energy else []
        return stack_frames(frames, names, self.config.L)

    def checkpoint(self) -> None:
        """Write the latest consistent state (and the frames up to it) as a checkpoint."""
        if self.latest is None or self.latest[0] <= self.last_checkpoint:
            return
        step, spins, rng_state = self.latest
        write_checkpoint(
            self.workdir / f"checkpoint_{step:012d}.h5",
            Checkpoint(
                step=step,
                previous_step=self.last_checkpoint,
                spins=spins,
                rng_state=rng_state,
                config=self.config_json,
                frames=self._stacked_frames(step),
            ),
        )
        self.pending = [f for f in self.pending if f["steps"] > step]
        self.last_checkpoint = step
        logger.debug("checkpoint at step %d", step)


def stack_frames(frames: list[dict[str, Any]], names, L: int) -> Trajectory:
    """Per-frame values (dicts by dataset name) as a Trajectory of the datasets ``names``, in
    the schema's dtypes; no frames gives empty datasets of the right shapes."""
    arrays = {}
    for name in names:
        spec = DATASETS[name]
        if frames:
            arrays[name] = np.array([f[name] for f in frames], dtype=spec.dtype)
        else:
            arrays[name] = np.zeros(spec.concrete_shape(0, L), dtype=spec.dtype)
    return Trajectory(**arrays)


def _checkpoint_chain(workdir: Path) -> list[Path]:
    """Checkpoint files of an unfinished run in step order (stale temporaries removed)."""
    for stale in workdir.glob("*.tmp"):
        stale.unlink()
    return sorted(workdir.glob("checkpoint_*.h5"))


def _config_difference(stored: str, current: str) -> list[str]:
    def flat(obj: Any, prefix: str = "") -> dict[str, Any]:
        if isinstance(obj, dict):
            out: dict[str, Any] = {}
            for key, value in obj.items():
                out.update(flat(value, f"{prefix}{key}."))
            return out
        return {prefix.rstrip("."): obj}

    a, b = flat(json.loads(stored)), flat(json.loads(current))
    return [
        f"{k}: {a.get(k)!r} -> {b.get(k)!r}"
        for k in sorted(set(a) | set(b))
        if a.get(k) != b.get(k)
    ]


def upgraded_config_json(stored: str, config_class: type) -> str:
    """A stored config JSON as this version writes it: options added since get their defaults.

    A run (or dataset) started before a config gained a field with a default is the same run
    under that default, so it must resume; anything else (a changed value, a removed field)
    still differs.
    """
    try:
        upgraded = from_mapping(config_class, json.loads(stored), where="stored config")
    except (ValueError, TypeError, FileNotFoundError):
        return stored  # not readable as this class: compare as stored, the difference shows
    return json.dumps(to_mapping(upgraded), sort_keys=True)


def _resume_point(workdir: Path, config_json: str, config_class: type) -> Checkpoint | None:
    """The newest intact checkpoint of an unfinished run (None: nothing usable, start over).

    The chain is read from the start; a checkpoint that is unreadable, corrupt or does not
    follow its predecessor is set aside as ``*.corrupt`` together with every later one (their
    frames cannot be joined without it), and the run resumes from the last intact one: the
    steps after it are recomputed, bit for bit as before.
    """
    chain = _checkpoint_chain(workdir)
    intact: list[Checkpoint] = []
    for k, path in enumerate(chain):
        previous = intact[-1].step if intact else -1
        try:
            checkpoint = read_checkpoint(path)
            if checkpoint.previous_step != previous:
                raise ValueError(
                    f"it follows step {checkpoint.previous_step}, the chain expects {previous}"
                )
        except (ValueError, OSError) as exc:
            for bad in chain[k:]:
                bad.rename(bad.with_name(bad.name + ".corrupt"))
            where = f"step {intact[-1].step}" if intact else "the start"
            logger.warning(
                "checkpoint %s is unusable (%s); resuming from %s instead (%d checkpoint(s) set "
                "aside as *.corrupt; their steps are recomputed)",
                path,
                exc,
                where,
                len(chain) - k,
            )
            break
        intact.append(checkpoint)
    if not intact:
        return None
    last = intact[-1]
    if upgraded_config_json(last.config, config_class) != config_json:
        diff = "; ".join(_config_difference(last.config, config_json))
        raise ValueError(
            f"{str(workdir)!r} holds an unfinished run with a different configuration ({diff}); "
            f"rerun with the same parameters to resume, or delete it (or pass overwrite) to "
            f"start over"
        )
    return last


def read_unfinished(out: str | Path) -> Trajectory:
    """The frames an unfinished (running or interrupted) run of ``out`` has saved so far.

    Reads the intact checkpoints of ``<out>.partial/`` in order, without touching them (a run
    writing there meanwhile is not disturbed: checkpoints appear by atomic rename), and stops
    at the first unreadable one.  The result has the trajectory attributes of the finished file
    plus ``unfinished`` (how far the run got); write it with
    :func:`~torquenet.data.write_trajectory` to analyse it like a finished run.

    Raises
    ------
    FileNotFoundError
        No unfinished run for ``out`` (the message says when ``out`` is finished instead), or no
        intact checkpoint yet.
    """
    out = Path(out)
    workdir = work_directory(out)
    if not workdir.is_dir():
        finished = (
            f"; {str(out)!r} is finished: read it with read_trajectory" if out.exists() else ""
        )
        raise FileNotFoundError(
            f"no unfinished run for {str(out)!r} ({str(workdir)!r} is missing){finished}"
        )
    checkpoints: list[Checkpoint] = []
    for path in sorted(workdir.glob("checkpoint_*.h5")):
        try:
            checkpoint = read_checkpoint(path)
        except (ValueError, OSError) as exc:
            logger.warning("stopping at unreadable checkpoint %s: %s", path, exc)
            break
        expected = checkpoints[-1].step if checkpoints else -1
        if checkpoint.previous_step != expected:
            logger.warning(
                "stopping at %s: it follows step %d, not %d",
                path,
                checkpoint.previous_step,
                expected,
            )
            break
        checkpoints.append(checkpoint)
    if not checkpoints:
        raise FileNotFoundError(
            f"the unfinished run in {str(workdir)!r} has no intact checkpoint yet"
        )
    last = checkpoints[-1]
    config = json.loads(last.config)
    attributes = {
        "config": last.config,
        "seed": int(config["seed"]),
        "seed_derivation": seed_derivation(config.get("noise", "sequential")),
        "llg_equation": LLG_EQUATION,
        "unfinished": (
            f"frames up to step {last.step} of {config['num_steps']} (a snapshot of {str(out)!r})"
        ),
    }
    return Trajectory.concatenate([c.frames for c in checkpoints], attributes)


def _check_finished(out: Path, workdir: Path, config_json: str, config_class: type) -> None:
    """Check that the existing ``out`` is a finished run of this configuration (nothing is then
    to be done); FileExistsError when it is one of another configuration."""
    existing = read_trajectory(out)  # refuses a corrupt file, naming it
    stored = str(existing.attributes["config"])
    if upgraded_config_json(stored, config_class) != config_json:
        diff = "; ".join(_config_difference(stored, config_json))
        raise FileExistsError(
            f"{str(out)!r} already holds a finished run with a different configuration ({diff}); "
            f"choose another output or overwrite it"
        )
    if workdir.exists():  # left behind by a kill between the final rename and the clean-up
        shutil.rmtree(workdir)


def _assemble(
    workdir: Path,
    out: Path,
    config: SimulationConfig,
    solver_override: FieldSolver | None,
    num_processes: int = 1,
    extra_attributes: dict[str, Any] | None = None,
) -> Path:
    """Join the checkpoint chain into the trajectory file ``out`` (atomically) and clean up."""
    attributes = {
        "config": config.to_json(),
        "seed": config.seed,
        "seed_derivation": seed_derivation(config.noise),
        "llg_equation": LLG_EQUATION,
        "num_processes": int(num_processes),
        **(extra_attributes or {}),
    }
    if solver_override is not None:
        attributes["field_solver"] = repr(solver_override)
    expected = frame_steps(config.num_steps, config.save_every)
    return join_checkpoint_chain(workdir, out, attributes, expected)


def join_checkpoint_chain(
    workdir: Path, out: Path, attributes: dict[str, Any], expected_steps: list[int]
) -> Path:
    """Write the frames of the checkpoint chain in ``workdir`` as one trajectory file ``out``
    (atomically; root ``attributes`` plus the git revision), check that they are the frames of
    ``expected_steps``, and remove ``workdir``."""
    checkpoints = [read_checkpoint(path) for path in _checkpoint_chain(workdir)]
    previous = -1
    for ckpt in checkpoints:
        if ckpt.previous_step != previous:
            raise ValueError(
                f"checkpoint chain in {str(workdir)!r} is broken: step {ckpt.step} follows "
                f"{ckpt.previous_step}, expected {previous}"
            )
        previous = ckpt.step
    attributes = dict(attributes)
    revision = git_revision()
    if revision is not None:
        attributes["git_hash"] = revision
    trajectory = Trajectory.concatenate([c.frames for c in checkpoints], attributes)
    if trajectory.steps.tolist() != expected_steps:
        raise RuntimeError(
            f"internal error: saved frames at steps {trajectory.steps.tolist()}, expected "
            f"{expected_steps}"
        )
    write_trajectory(out, trajectory)
    shutil.rmtree(workdir)
    return out


@dataclass(frozen=True)
class _StartPoint:
    """Where a run (re)starts: the full lattice at ``step`` and its stored noise state."""

    spins: NDArray[np.float64]
    step: int
    noise_state: dict[str, Any] | None  # None: a fresh start
    resuming: bool


def _start_point(config: SimulationConfig, out: Path, overwrite: bool) -> _StartPoint | None:
    """The file side of starting a run: None when ``out`` is already finished (nothing to do),
    else the state to integrate from (a checkpoint of an unfinished run, or step 0)."""
    workdir = work_directory(out)
    config_json = config.to_json()
    if overwrite and workdir.exists():
        shutil.rmtree(workdir)
    if not overwrite and out.exists():
        _check_finished(out, workdir, config_json, type(config))
        logger.info("%s is already finished with this configuration: nothing to do", out)
        return None
    resume = _resume_point(workdir, config_json, type(config)) if workdir.exists() else None
    if resume is not None:
        logger.info("resuming %s from step %d of %d", out, resume.step, config.num_steps)
        return _StartPoint(resume.spins, resume.step, resume.rng_state, True)
    init_seq, _ = np.random.SeedSequence(config.seed).spawn(2)
    spins = initial_spins(config, np.random.default_rng(init_seq))
    workdir.mkdir(parents=True, exist_ok=True)  # may exist, empty, after an early kill
    logger.info("starting %s: %d steps on %d x %d", out, config.num_steps, config.L, config.L)
    return _StartPoint(spins, 0, None, False)
