"""What defines an LLG run: :class:`SimulationConfig`, its initial state and its sanity checks.

The configuration is the identity of a trajectory: it is stored (as JSON) in every checkpoint and
trajectory file, and a run resumes only with the same one.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from torquenet._validation import check_int, check_spins
from torquenet.config import to_mapping
from torquenet.data.storage import (
    read_spins,
    read_trajectory,
)
from torquenet.dynamics import (
    COUNTER_NOISE_DERIVATION,
    NOISE_KINDS,
    LLGParams,
    setting_problems,
)
from torquenet.dynamics._noise import COUNTER_NOISE
from torquenet.model import SDModelParams
from torquenet.solvers import SolverConfig
from torquenet.textures import (
    OrderedPhaseDistribution,
    SkyrmionLatticeAnsatz,
    SkyrmionPerturbation,
    random_ordered_phase,
    random_spins,
    skyrmion_lattice,
)

logger = logging.getLogger(__name__)


#: Built-in initial states; any other ``init`` value is a path to a .npy (L, L, 3) array or to a
#: trajectory .h5 whose last frame is used.
INIT_KINDS = ("random", "skl", "skl-perturbed", "ordered-perturbed")

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
        :class:`~torquenet.textures.SkyrmionPerturbation`), "ordered-perturbed" (a random
        ferromagnet, spiral or skyrmion-lattice ansatz with spin noise,
        :class:`~torquenet.textures.OrderedPhaseDistribution`), or the path of a .npy array
        (L, L, 3) or of a trajectory .h5 (its last frame).  The built-in states other than
        "random" need L % 12 == 0.
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
    ordered : OrderedPhaseDistribution
        The distribution of the "ordered-perturbed" initial state.
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
    ordered: OrderedPhaseDistribution = field(default_factory=OrderedPhaseDistribution)

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
        if self.init in ("skl", "skl-perturbed", "ordered-perturbed") and self.L % 12 != 0:
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
            ("ordered", OrderedPhaseDistribution),
        ):
            if not isinstance(getattr(self, name), cls):
                raise TypeError(f"{name} must be a {cls.__name__}, got {getattr(self, name)!r}")

    def to_json(self) -> str:
        """Canonical JSON of all parameters (stored in files, compared on resume)."""
        return json.dumps(to_mapping(self), sort_keys=True)


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
    if config.init == "ordered-perturbed":
        return random_ordered_phase(L, rng, config.ordered)[0]
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
