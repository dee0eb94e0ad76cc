"""Names, shapes, dtypes and units of everything torquenet writes to HDF5 (trajectories etc.).

The single place where the file layout is defined; :mod:`torquenet.data.storage` writes and checks
exactly this.  Symbols: T = number of saved frames, L = linear lattice size; arrays are indexed
``spins[frame, i, j, :]`` for site r = i a1 + j a2 (as everywhere in torquenet).

Trajectory file (``torquenet simulate --out run.h5``), readable with plain h5py::

    /spins                (T, L, L, 3) float64   unit spins S_i
    /times                (T,)         float64   t = step * dt, units of t0 = 1/(gamma J S)
    /steps                (T,)         int64     integration step of each frame
    /topological_charge   (T,)         float64   sum of triangle solid angles / 4 pi
    /magnetization        (T, 3)       float64   (1/N) sum_i S_i
    /fields               (T, L, L, 3) float64   optional: electron fields H_i (no H_ext), t1
    /grand_potential      (T,)         float64   optional (solver provides energy): Omega, t1
    /energy               (T,)         float64   optional, with Omega: Omega - H_ext . sum_i S_i

    root attributes: see TRAJECTORY_ATTRIBUTES; every dataset carries "units" and "description".

Integrity: every non-empty dataset is chunked with HDF5's Fletcher-32 checksum, the file uses the
latest HDF5 format (checksummed object headers), and string attributes are stored as fixed-length
UTF-8 bytes in those headers (plain h5py returns them as bytes: ``f.attrs["config"].decode()``).
A damaged file therefore fails to read, naming itself, instead of yielding other numbers.

Frames are saved at steps 0, k, 2k, ... (k = save_every) and always at the last step, so /times
is uniform except possibly for the last interval.

Changing any of this (a name, a shape, a unit, a meaning) requires bumping SCHEMA_VERSION.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Version of the layout below; readers refuse files with a different version.
SCHEMA_VERSION = 1

#: Root attribute that marks a torquenet trajectory file and holds SCHEMA_VERSION.
SCHEMA_VERSION_ATTRIBUTE = "schema_version"


@dataclass(frozen=True)
class DatasetSpec:
    """One dataset of a trajectory file.

    Attributes
    ----------
    name : str
        HDF5 path below the root ("spins" is stored as /spins).
    shape : tuple
        Symbolic shape: "T" (frames), "L" (lattice size) or an int.
    dtype : str
        numpy dtype name.
    units : str
        Physical units (stored as the dataset's "units" attribute).
    description : str
        Meaning (stored as the dataset's "description" attribute).
    required : bool
        Whether every trajectory file has it.
    """

    name: str
    shape: tuple[str | int, ...]
    dtype: str
    units: str
    description: str
    required: bool = True

    def concrete_shape(self, num_frames: int, L: int) -> tuple[int, ...]:
        """The shape for T = num_frames and lattice size L."""
        sizes = {"T": num_frames, "L": L}
        return tuple(sizes[s] if isinstance(s, str) else s for s in self.shape)


#: The datasets of a trajectory file (one :class:`DatasetSpec` each).
TRAJECTORY_DATASETS: tuple[DatasetSpec, ...] = (
    DatasetSpec("spins", ("T", "L", "L", 3), "float64", "1", "unit spins S_i, [frame, i, j, xyz]"),
    DatasetSpec("times", ("T",), "float64", "t0 = 1/(gamma J S)", "time of each frame, step * dt"),
    DatasetSpec("steps", ("T",), "int64", "1", "integration step of each frame"),
    DatasetSpec(
        "topological_charge",
        ("T",),
        "float64",
        "1",
        "skyrmion number: sum of signed triangle solid angles / 4 pi",
    ),
    DatasetSpec("magnetization", ("T", 3), "float64", "1", "mean spin (1/N) sum_i S_i"),
    DatasetSpec(
        "fields",
        ("T", "L", "L", 3),
        "float64",
        "t1",
        "electron-induced exchange fields H_i = -dOmega/dS_i at S (external field NOT included)",
        required=False,
    ),
    DatasetSpec(
        "grand_potential",
        ("T",),
        "float64",
        "t1",
        "electronic grand potential Omega of the L x L cell (only when the solver provides it)",
        required=False,
    ),
    DatasetSpec(
        "energy",
        ("T",),
        "float64",
        "t1",
        "total energy E = Omega - H_ext . sum_i S_i, with H_eff = -dE/dS_i (with Omega)",
        required=False,
    ),
)

#: Datasets by name.
DATASETS = {spec.name: spec for spec in TRAJECTORY_DATASETS}

#: Root attributes of a trajectory file: name -> (required, meaning).
TRAJECTORY_ATTRIBUTES: dict[str, tuple[bool, str]] = {
    SCHEMA_VERSION_ATTRIBUTE: (True, "int, SCHEMA_VERSION of the layout"),
    "package_version": (True, "str, torquenet.__version__ that wrote the file"),
    "git_hash": (False, "str, `git describe --always --dirty` of the source tree, when available"),
    "config": (True, "str, JSON of the resolved SimulationConfig (all parameters)"),
    "seed": (True, "int, the run's seed"),
    "seed_derivation": (True, "str, how the seed becomes the generators of the run"),
    "llg_equation": (True, "str, the equation of motion and its conventions"),
    "probe_noise_temperature": (
        False,
        "float, T_noise of a fresh-probe KPM run: the Langevin temperature equivalent to its "
        "probe noise, measured on the initial state (torquenet.dynamics.probe_noise_temperature)",
    ),
    "unfinished": (
        False,
        "str, present only on a snapshot of an unfinished run (torquenet.runs.read_unfinished): "
        "the last saved step and the run's num_steps",
    ),
    "num_processes": (
        False,
        "int, processes that integrated the run (domain decomposition over torch.distributed; "
        "1 for a plain run; the last one when a run was resumed with another count)",
    ),
    "field_solver": (
        False,
        "str, repr of the FieldSolver instance handed to simulate() in place of building "
        "config.solver (then config.solver does not describe the fields)",
    ),
    "sampler": (
        False,
        "str, 'metropolis' for a Monte Carlo file (torquenet mc): steps and times are sweeps, "
        "llg_equation says so, config is a MonteCarloConfig",
    ),
    "temperatures": (False, "str, JSON list of the Monte Carlo annealing schedule (t1)"),
    "sweeps_per_temperature": (False, "int, Monte Carlo sweeps at each temperature"),
    "acceptance_last_segment": (
        False,
        "float, fraction of accepted Metropolis moves since the run's last (re)start",
    ),
}

#: Checkpoint files (inside ``<out>.partial/``) hold the frames saved since the previous
#: checkpoint under the trajectory dataset names, plus the integrator state:
CHECKPOINT_STATE_GROUP = "state"
#: /state/spins (L, L, 3) float64: S at the checkpoint step, before that step's noise is drawn.
CHECKPOINT_SPINS = "spins"
#: Root attributes of a checkpoint: step (int), rng_state (JSON of the noise source's state: the
#: numpy bit generator's state for sequential noise, {"generator": "counter", "seed": ...,
#: "num_processes": ...} for counter-based noise), previous_step (int, -1 for the first), config
#: (JSON), schema_version.
CHECKPOINT_ATTRIBUTES = ("step", "previous_step", "rng_state", "config", SCHEMA_VERSION_ATTRIBUTE)
