"""LLG trajectories on disk: initial states, saved frames, checkpoints and exact resume.

``simulate(config, out)`` is the Python mirror of ``torquenet simulate``.  While it runs, the
work lives in ``<out>.partial/``: a chain of checkpoint files, each written atomically and
holding the frames saved since the previous one plus the full integrator state (spins, step,
numpy bit-generator state).  Calling ``simulate`` again with the same config after any
interruption (Ctrl-C, SIGKILL, crash, blow-up) resumes from the last checkpoint and produces
bit-for-bit the file an uninterrupted run writes.  ``out`` itself appears only when the run is
complete, via an atomic rename, so it is never a partial or corrupted file.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray
from tqdm.auto import tqdm

from torquenet._typing import FieldResult, FieldSolver
from torquenet._validation import check_int, check_spins
from torquenet.config import to_mapping
from torquenet.data.schema import DATASETS
from torquenet.data.storage import (
    Checkpoint,
    Trajectory,
    git_revision,
    read_checkpoint,
    read_spins,
    read_trajectory,
    write_checkpoint,
    write_trajectory,
)
from torquenet.dynamics import (
    COUNTER_NOISE_DERIVATION,
    LLG_EQUATION,
    NOISE_KINDS,
    CounterNoise,
    IntegrationError,
    LangevinNoise,
    LLGParams,
    SequentialNoise,
    probe_noise_temperature,
    run_llg,
    setting_problems,
)
from torquenet.dynamics._noise import COUNTER_NOISE
from torquenet.ml import current_context
from torquenet.model import SDModelParams
from torquenet.observables import magnetization, topological_charge
from torquenet.runs._solvers import build_solver
from torquenet.solvers import KPMSolver, SolverConfig, probe_field_noise
from torquenet.textures import (
    SkyrmionLatticeAnsatz,
    SkyrmionPerturbation,
    random_spins,
    skyrmion_lattice,
)

logger = logging.getLogger(__name__)

#: Built-in initial states; any other ``init`` value is a path to a .npy (L, L, 3) array or to a
#: trajectory .h5 whose last frame is used.
INIT_KINDS = ("random", "skl", "skl-perturbed")

#: How ``seed`` becomes the run's generators (stored in every trajectory, followed by the
#: derivation of its noise: :func:`seed_derivation`).
SEED_DERIVATION = (
    "numpy.random.SeedSequence(seed).spawn(2) -> [initial state, sequential Langevin noise], "
    "each fed to numpy.random.default_rng (PCG64)"
)


def seed_derivation(noise: str) -> str:
    """The ``seed_derivation`` attribute of a run with noise generator ``noise``."""
    if noise == COUNTER_NOISE:
        return (
            f"{SEED_DERIVATION}; noise = counter (the second stream unused): "
            f"{COUNTER_NOISE_DERIVATION}"
        )
    return f"{SEED_DERIVATION}; noise = sequential: one standard_normal((L, L, 3)) per step"


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


@dataclass(frozen=True)
class SimulationConfig:
    """Everything that defines an LLG trajectory (saved as JSON in the output).

    Parameters
    ----------
    L : int
        Linear size of the periodic L x L lattice.
    init : str
        "random" (uniform on the sphere), "skl" (ansatz of Eq. 13), "skl-perturbed" (the ansatz
        with site-dependent random phi_i, A_i, m_i as in Sec. IV C, distributions in
        :class:`~torquenet.textures.SkyrmionPerturbation`), or the path of a .npy array
        (L, L, 3) or of a trajectory .h5 (its last frame).  The skyrmion states need L % 12 == 0.
    num_steps : int
        Number of LLG steps (>= 1).
    save_every : int
        A frame is saved every ``save_every`` steps, and at the last step.
    checkpoint_every : int
        A checkpoint (resume point) is written every ``checkpoint_every`` steps, at step 0 and
        at the last step; also when the run is interrupted with Ctrl-C.
    seed : int
        Seed of the initial state and of the Langevin noise (:func:`seed_derivation`).
    temperature_includes_probe_noise : bool
        Only with fresh-probe KPM (``solver.kpm.fresh_probes``): ``llg.temperature`` is the
        *total* temperature.  The probe noise acts as a Langevin bath of its own, T_noise
        (:func:`~torquenet.dynamics.probe_noise_temperature`, measured on the initial state
        with :func:`~torquenet.solvers.probe_field_noise`, 8 draws); the thermostat adds
        T - T_noise, and T < T_noise is refused.  Every fresh-probe run records T_noise in its
        file (attribute ``probe_noise_temperature``) either way.
    noise : str
        Generator of the Langevin noise: "counter" (default; the normals of site i at step n are
        a function of (seed, n, i), :class:`~torquenet.dynamics.CounterNoise`, so the run does
        not depend on how many processes integrate it) or "sequential" (one PCG64 stream, the
        noise of torquenet 0.1 files).
    save_fields : bool
        Store the electron fields of every saved frame (/fields).
    model : SDModelParams
        The s-d model (the physics of the field solver).
    llg : LLGParams
        dt, alpha, T and H_ext (H_eff = the solver's electron fields + llg.external_field).
    solver : SolverConfig
        The field engine.
    ansatz, perturbation
        Parameters of the "skl" and "skl-perturbed" initial states.
    """

    L: int = 12
    init: str = "random"
    num_steps: int = 1000
    save_every: int = 10
    checkpoint_every: int = 100
    seed: int = 0
    noise: str = COUNTER_NOISE
    temperature_includes_probe_noise: bool = False
    save_fields: bool = True
    model: SDModelParams = field(default_factory=SDModelParams)
    llg: LLGParams = field(default_factory=LLGParams)
    solver: SolverConfig = field(default_factory=SolverConfig)
    ansatz: SkyrmionLatticeAnsatz = field(default_factory=SkyrmionLatticeAnsatz)
    perturbation: SkyrmionPerturbation = field(default_factory=SkyrmionPerturbation)

    def __post_init__(self) -> None:
        check_int("L", self.L, minimum=1)
        check_int("num_steps", self.num_steps, minimum=1)
        check_int("save_every", self.save_every, minimum=1)
        check_int("checkpoint_every", self.checkpoint_every, minimum=1)
        check_int("seed", self.seed, minimum=0)
        if not isinstance(self.temperature_includes_probe_noise, bool):
            raise TypeError(
                f"temperature_includes_probe_noise must be a bool, got "
                f"{self.temperature_includes_probe_noise!r}"
            )
        if self.temperature_includes_probe_noise and not (
            self.solver.kind == "kpm" and self.solver.kpm.fresh_probes
        ):
            raise ValueError(
                "temperature_includes_probe_noise needs the KPM solver with fresh probes (the "
                f"only solver whose error is a noise); got solver {self.solver.kind!r}"
                + (" without fresh_probes" if self.solver.kind == "kpm" else "")
            )
        if self.noise not in NOISE_KINDS:
            raise ValueError(f"noise must be one of {NOISE_KINDS}, got {self.noise!r}")
        if not isinstance(self.save_fields, bool):
            raise TypeError(f"save_fields must be a bool, got {self.save_fields!r}")
        if not isinstance(self.init, str) or not self.init:
            raise ValueError(f"init must be one of {INIT_KINDS} or a file path, got {self.init!r}")
        if self.init in ("skl", "skl-perturbed") and self.L % 12 != 0:
            raise ValueError(
                f"init {self.init!r} needs L divisible by 12 (the skyrmion lattice has period 6 "
                f"along a1 and its wave vectors |Q| = pi/3 fit the periodic lattice only then); "
                f"got L = {self.L}"
            )
        for name, cls in (
            ("model", SDModelParams),
            ("llg", LLGParams),
            ("solver", SolverConfig),
            ("ansatz", SkyrmionLatticeAnsatz),
            ("perturbation", SkyrmionPerturbation),
        ):
            if not isinstance(getattr(self, name), cls):
                raise TypeError(f"{name} must be a {cls.__name__}, got {getattr(self, name)!r}")

    def to_json(self) -> str:
        """Canonical JSON of all parameters (stored in files, compared on resume)."""
        return json.dumps(to_mapping(self), sort_keys=True)


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
    if not (isinstance(solver, KPMSolver) and solver.settings.fresh_probes):
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
            f"T_noise = {t_noise:.3g} (KPM M = {solver.settings.num_moments}, d = "
            f"{solver.settings.probing_distance}, sigma^2 = {measured.variance:.3g} per "
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


def check_settings(config: SimulationConfig, force: bool = False) -> list[str]:
    """Refuse physically absurd dynamics settings (:func:`torquenet.dynamics.setting_problems`).

    The field scale is |J| + |H_ext| (the largest effective field of the s-d model).  With
    ``force`` the problems are logged as warnings and returned instead.

    Raises
    ------
    ValueError
        Listing every problem, unless ``force``.
    """
    scale = abs(config.model.sd_coupling) + float(np.linalg.norm(config.llg.external_field_vector))
    problems = setting_problems(config.llg, scale)
    if problems and not force:
        raise ValueError(
            "refusing physically absurd settings: " + "; ".join(problems) + " (pass force=True, "
            "--force on the command line, to run them anyway)"
        )
    for problem in problems:
        logger.warning("forced: %s", problem)
    return problems


def frame_steps(num_steps: int, save_every: int) -> list[int]:
    """Steps at which frames are saved: 0, k, 2k, ... and num_steps.

    Examples
    --------
    >>> frame_steps(25, 10)
    [0, 10, 20, 25]
    """
    steps = list(range(0, num_steps + 1, save_every))
    return steps if steps[-1] == num_steps else [*steps, num_steps]


def work_directory(out: str | Path) -> Path:
    """Where an unfinished run keeps its checkpoints: ``<out>.partial/``."""
    out = Path(out)
    return out.with_name(out.name + ".partial")


def initial_spins(config: SimulationConfig, rng: np.random.Generator) -> NDArray[np.float64]:
    """The initial texture (L, L, 3) described by ``config.init``."""
    L = config.L
    if config.init == "random":
        return random_spins(L, rng)
    if config.init == "skl":
        return skyrmion_lattice(L, config.ansatz)
    if config.init == "skl-perturbed":
        return skyrmion_lattice(L, config.ansatz, perturbation=config.perturbation, rng=rng)
    path = Path(config.init)
    if not path.is_file():
        raise FileNotFoundError(
            f"init {config.init!r} is neither one of {INIT_KINDS} nor an existing file"
        )
    if path.suffix in (".h5", ".hdf5"):
        spins = read_trajectory(path).spins[-1]
    else:
        spins = read_spins(path)
    return check_spins(spins, L=L, name=f"initial spins in {path}").copy()


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
        L = self.config.L
        names = ["spins", "times", "steps", "topological_charge", "magnetization"]
        names += ["fields"] if self.config.save_fields else []
        names += ["grand_potential", "energy"] if self.has_energy else []
        arrays = {}
        for name in names:
            spec = DATASETS[name]
            if frames:
                arrays[name] = np.array([f[name] for f in frames], dtype=spec.dtype)
            else:
                arrays[name] = np.zeros(spec.concrete_shape(0, L), dtype=spec.dtype)
        return Trajectory(**arrays)

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


def _resume_point(workdir: Path, config_json: str) -> Checkpoint | None:
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
    if last.config != config_json:
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


def _check_finished(out: Path, workdir: Path, config_json: str) -> None:
    """Check that the existing ``out`` is a finished run of this configuration (nothing is then
    to be done); FileExistsError when it is one of another configuration."""
    existing = read_trajectory(out)  # refuses a corrupt file, naming it
    stored = str(existing.attributes["config"])
    if stored != config_json:
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
    checkpoints = [read_checkpoint(path) for path in _checkpoint_chain(workdir)]
    previous = -1
    for ckpt in checkpoints:
        if ckpt.previous_step != previous:
            raise ValueError(
                f"checkpoint chain in {str(workdir)!r} is broken: step {ckpt.step} follows "
                f"{ckpt.previous_step}, expected {previous}"
            )
        previous = ckpt.step
    attributes = {
        "config": config.to_json(),
        "seed": config.seed,
        "seed_derivation": seed_derivation(config.noise),
        "llg_equation": LLG_EQUATION,
        "num_processes": int(num_processes),
        **(extra_attributes or {}),
    }
    revision = git_revision()
    if revision is not None:
        attributes["git_hash"] = revision
    if solver_override is not None:
        attributes["field_solver"] = repr(solver_override)
    trajectory = Trajectory.concatenate([c.frames for c in checkpoints], attributes)
    expected = frame_steps(config.num_steps, config.save_every)
    if trajectory.steps.tolist() != expected:
        raise RuntimeError(
            f"internal error: saved frames at steps {trajectory.steps.tolist()}, expected "
            f"{expected}"
        )
    write_trajectory(out, trajectory)
    shutil.rmtree(workdir)
    return out


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
        _check_finished(out, workdir, config_json)
        logger.info("%s is already finished with this configuration: nothing to do", out)
        return None
    resume = _resume_point(workdir, config_json) if workdir.exists() else None
    if resume is not None:
        logger.info("resuming %s from step %d of %d", out, resume.step, config.num_steps)
        return _StartPoint(resume.spins, resume.step, resume.rng_state, True)
    init_seq, _ = np.random.SeedSequence(config.seed).spawn(2)
    spins = initial_spins(config, np.random.default_rng(init_seq))
    workdir.mkdir(parents=True, exist_ok=True)  # may exist, empty, after an early kill
    logger.info("starting %s: %d steps on %d x %d", out, config.num_steps, config.L, config.L)
    return _StartPoint(spins, 0, None, False)


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
    workdir = work_directory(out)
    check_single_process("simulate")
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
