"""``torquenet mc``: Metropolis Monte Carlo with a learned energy model, checkpointed like simulate.

A run anneals through ``temperatures`` (``sweeps_per_temperature`` sweeps each) with the
single-spin Metropolis moves of :func:`torquenet.sampling.metropolis_sweep` and writes one
trajectory file in the usual schema (:mod:`torquenet.data.schema`): ``steps`` are sweeps,
``times`` the sweep number as a float, ``grand_potential`` the model's Omega and ``energy``
Omega - H_ext . sum S; the schedule, acceptance and seed derivation are root attributes.  It
checkpoints every ``checkpoint_every`` sweeps into ``<out>.partial/`` (spins and the PCG64
state) and a rerun of the same command resumes bit for bit.
"""

from __future__ import annotations

import json
import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from torquenet._device import resolve_device
from torquenet._validation import check_float, check_int
from torquenet.config import to_mapping
from torquenet.data.locking import exclusive_run
from torquenet.data.storage import Checkpoint, write_checkpoint
from torquenet.ml import SiteEnergies, is_energy_model, load_model_file
from torquenet.model import SDModelParams
from torquenet.observables import magnetization, topological_charge
from torquenet.pretrained import resolve_model_file
from torquenet.runs._simulation_config import (
    INIT_KINDS,
    frame_steps,
    initial_spins,
    work_directory,
)
from torquenet.runs._trajectory_files import (
    ProgressCallback,
    _check_finished,
    _resume_point,
    join_checkpoint_chain,
    stack_frames,
)
from torquenet.sampling import (
    MetropolisParams,
    MetropolisState,
    metropolis_sweep,
    start_state,
    total_energy,
)
from torquenet.solvers import LearnedModelParams
from torquenet.textures import SkyrmionLatticeAnsatz, SkyrmionPerturbation

logger = logging.getLogger(__name__)

#: How the seed becomes the run's generators (stored in every file).
MC_SEED_DERIVATION = (
    "SeedSequence(seed).spawn(2): child 0 draws the initial texture (as in simulate), child 1 "
    "seeds the PCG64 generator of the sweeps (update-group order, proposals, acceptances, in "
    "that order per group); checkpoints store its state"
)

#: The trajectory datasets a Monte Carlo file holds (no fields: Metropolis needs none).
MC_DATASETS = (
    "spins", "times", "steps", "topological_charge", "magnetization", "grand_potential", "energy"
)  # fmt: skip

#: What stands in the schema's "llg_equation" attribute of a Monte Carlo file.
MC_METHOD = (
    "none: Metropolis Monte Carlo (torquenet.sampling.metropolis_sweep) sampling exp(-E/T), "
    "E = Omega_model - H_ext . sum_i S_i; steps are sweeps, times = sweeps"
)


@dataclass(frozen=True)
class MonteCarloConfig:
    """Everything that defines a Monte Carlo run (stored in the file, compared on resume).

    Parameters
    ----------
    L : int
        Lattice size.
    init : str
        "random", "skl", "skl-perturbed" or a .npy / trajectory file (as in simulate).
    temperatures : tuple of float
        The annealing schedule, each > 0 (t1).
    sweeps_per_temperature : int
        Sweeps at each temperature; the run has len(temperatures) * this many sweeps.
    step_size : float
        Proposal width (see :func:`torquenet.sampling.propose`).
    save_every, checkpoint_every : int
        Sweeps between saved frames (always also the last) and between checkpoints.
    seed : int
    external_field : tuple of 3 floats
        H_ext (t1): the Zeeman term -H_ext . sum S of the energy.
    model : SDModelParams
        The physics; the energy model must have been trained for it.
    cnn : LearnedModelParams
        The energy model file ("" = the shipped energy model,
        :func:`torquenet.pretrained.energy_model_path`) and device; MC evaluates it in
        float64 whatever ``cnn.dtype`` says.
    ansatz, perturbation
        Of the skyrmion-lattice starts.
    """

    L: int = 12
    init: str = "random"
    temperatures: tuple[float, ...] = (0.01,)
    sweeps_per_temperature: int = 100
    step_size: float = 0.5
    save_every: int = 10
    checkpoint_every: int = 50
    seed: int = 0
    external_field: tuple[float, float, float] = (0.0, 0.0, 0.005)
    model: SDModelParams = field(default_factory=SDModelParams)
    cnn: LearnedModelParams = field(default_factory=LearnedModelParams)
    ansatz: SkyrmionLatticeAnsatz = field(default_factory=SkyrmionLatticeAnsatz)
    perturbation: SkyrmionPerturbation = field(default_factory=SkyrmionPerturbation)

    def __post_init__(self) -> None:
        check_int("L", self.L, minimum=3)
        if not isinstance(self.init, str) or not self.init:
            raise ValueError(f"init must be one of {INIT_KINDS} or a file path, got {self.init!r}")
        temperatures = tuple(self.temperatures)
        if not temperatures:
            raise ValueError("temperatures must list at least one temperature, got ()")
        for k, t in enumerate(temperatures):
            check_float(f"temperatures[{k}]", t, minimum=0.0, strict_minimum=True)
        object.__setattr__(self, "temperatures", tuple(float(t) for t in temperatures))
        check_int("sweeps_per_temperature", self.sweeps_per_temperature, minimum=1)
        check_float("step_size", self.step_size, minimum=0.0, strict_minimum=True)
        check_int("save_every", self.save_every, minimum=1)
        check_int("checkpoint_every", self.checkpoint_every, minimum=1)
        check_int("seed", self.seed, minimum=0)
        MetropolisParams(self.temperatures[0], self.step_size, self.external_field)

    @property
    def num_sweeps(self) -> int:
        return len(self.temperatures) * self.sweeps_per_temperature

    def temperature_of_sweep(self, sweep: int) -> float:
        """T of sweep number ``sweep`` (1-based: sweep 1 is the first)."""
        return self.temperatures[(sweep - 1) // self.sweeps_per_temperature]

    def to_json(self) -> str:
        return json.dumps(to_mapping(self), sort_keys=True)


def load_energy_model(config: MonteCarloConfig) -> SiteEnergies:
    """The site energies of the run's model file ("" = the shipped energy model); refuses torque
    models by name."""
    path = resolve_model_file(config.cnn.model_file, energy=True)
    model, _ = load_model_file(path, params=config.model)
    if not is_energy_model(model):
        raise ValueError(
            f"Monte Carlo needs an energy model (architecture 'energy'); {str(path)!r} is a "
            f"{type(model).__name__}, which predicts torques and has no energy"
        )
    return SiteEnergies(model, device=resolve_device(config.cnn.device))


def _frame(sweep: int, state: MetropolisState, params: MetropolisParams) -> dict[str, Any]:
    spins = state.spins
    return {
        "spins": spins.copy(),
        "times": float(sweep),
        "steps": sweep,
        "topological_charge": topological_charge(spins),
        "magnetization": magnetization(spins),
        "grand_potential": float(state.site_energies.sum()),
        "energy": total_energy(state, params),
    }


def run_monte_carlo(
    config: MonteCarloConfig,
    out: str | Path,
    *,
    energy: SiteEnergies | None = None,
    progress: ProgressCallback | None = None,
    overwrite: bool = False,
) -> Path:
    """Python mirror of ``torquenet mc``: run (or resume, or no-op) a Monte Carlo job.

    ``energy`` overrides the model file of ``config.cnn`` (a :class:`~torquenet.ml.SiteEnergies`
    of an energy model in memory; the file then records its repr).  Returns ``out``.
    Another process writing ``out`` at the same time is refused
    (:class:`~torquenet.data.RunInUseError`).
    """
    out = Path(out)
    with exclusive_run(out):
        return _run_monte_carlo(config, out, energy, progress, overwrite)


def _run_monte_carlo(config, out, energy, progress, overwrite) -> Path:
    """:func:`run_monte_carlo` once the run's lock is held."""
    workdir = work_directory(out)
    config_json = config.to_json()
    if overwrite and workdir.exists():
        shutil.rmtree(workdir)
    if not overwrite and out.exists():
        _check_finished(out, workdir, config_json, MonteCarloConfig)
        logger.info("%s is already finished with this configuration: nothing to do", out)
        return out
    energy_fn = energy if energy is not None else load_energy_model(config)
    resume = _resume_point(workdir, config_json, MonteCarloConfig) if workdir.exists() else None
    init_seq, sweep_seq = np.random.SeedSequence(config.seed).spawn(2)
    rng = np.random.Generator(np.random.PCG64(sweep_seq))
    if resume is not None:
        spins, done = resume.spins, resume.step
        rng.bit_generator.state = resume.rng_state
        logger.info("resuming %s from sweep %d of %d", out, done, config.num_sweeps)
    else:
        spins, done = initial_spins(config, np.random.default_rng(init_seq)), 0
        workdir.mkdir(parents=True, exist_ok=True)
    state = start_state(spins, energy_fn)
    saved = set(frame_steps(config.num_sweeps, config.save_every))
    pending: list[dict[str, Any]] = []
    if resume is None:
        first = MetropolisParams(config.temperatures[0], config.step_size, config.external_field)
        _write_checkpoint(workdir, 0, -1, state.spins, rng, config_json, [_frame(0, state, first)])
    previous = done
    for sweep in range(done + 1, config.num_sweeps + 1):
        sweep_params = MetropolisParams(
            config.temperature_of_sweep(sweep), config.step_size, config.external_field
        )
        metropolis_sweep(state, energy_fn, energy_fn.energy_radius, sweep_params, rng)
        if sweep in saved:
            pending.append(_frame(sweep, state, sweep_params))
        if sweep % config.checkpoint_every == 0 or sweep == config.num_sweeps:
            previous = _write_checkpoint(
                workdir, sweep, previous, state.spins, rng, config_json, pending
            )
            pending = []
        if progress is not None:
            progress(sweep, config.num_sweeps)
    return _assemble(workdir, out, config, state.acceptance, energy)


def _write_checkpoint(workdir, sweep, previous, spins, rng, config_json, frames) -> int:
    write_checkpoint(
        workdir / f"checkpoint_{sweep:012d}.h5",
        Checkpoint(
            step=sweep,
            previous_step=previous,
            spins=spins,
            rng_state=rng.bit_generator.state,
            config=config_json,
            frames=stack_frames(frames, MC_DATASETS, spins.shape[0]),
        ),
    )
    return sweep


def _assemble(workdir: Path, out: Path, config, acceptance: float, override) -> Path:
    attributes = {
        "config": config.to_json(),
        "seed": config.seed,
        "seed_derivation": MC_SEED_DERIVATION,
        "llg_equation": MC_METHOD,
        "sampler": "metropolis",
        "temperatures": json.dumps(list(config.temperatures)),
        "sweeps_per_temperature": config.sweeps_per_temperature,
        "acceptance_last_segment": float(acceptance),
    }
    if override is not None:
        attributes["field_solver"] = repr(override)
    expected = frame_steps(config.num_sweeps, config.save_every)
    return join_checkpoint_chain(workdir, out, attributes, expected)
