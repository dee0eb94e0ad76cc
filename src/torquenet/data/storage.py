"""HDF5 trajectories and checkpoints: atomic writers and checked readers (layout in schema.py).

Every file is written to ``<name>.tmp`` next to its destination, flushed to disk and then moved
into place with ``os.replace`` (atomic on POSIX), so a reader never sees a half-written file: an
interruption leaves either the old file or the new one.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import h5py
import numpy as np
from numpy.typing import NDArray

from torquenet._validation import check_finite, check_spins
from torquenet._version import __version__
from torquenet.data.schema import (
    CHECKPOINT_SPINS,
    CHECKPOINT_STATE_GROUP,
    DATASETS,
    SCHEMA_VERSION,
    SCHEMA_VERSION_ATTRIBUTE,
    TRAJECTORY_ATTRIBUTES,
    TRAJECTORY_DATASETS,
)

__all__ = [
    "Checkpoint",
    "Trajectory",
    "atomic_hdf5",
    "git_revision",
    "read_checkpoint",
    "read_spins",
    "read_trajectory",
    "write_checkpoint",
    "write_trajectory",
]


@dataclass(frozen=True)
class Trajectory:
    """Saved frames of an LLG run (shapes and units: :mod:`torquenet.data.schema`).

    Attributes
    ----------
    spins : ndarray, shape (T, L, L, 3)
    times : ndarray, shape (T,)
    steps : ndarray, shape (T,), int64
    topological_charge : ndarray, shape (T,)
    magnetization : ndarray, shape (T, 3)
    fields : ndarray, shape (T, L, L, 3), or None
    grand_potential, energy : ndarray, shape (T,), or None
    attributes : dict
        Root attributes (schema.TRAJECTORY_ATTRIBUTES) as Python values.
    """

    spins: NDArray[np.float64]
    times: NDArray[np.float64]
    steps: NDArray[np.int64]
    topological_charge: NDArray[np.float64]
    magnetization: NDArray[np.float64]
    fields: NDArray[np.float64] | None = None
    grand_potential: NDArray[np.float64] | None = None
    energy: NDArray[np.float64] | None = None
    attributes: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        spins = np.asarray(self.spins)
        if spins.ndim != 4 or spins.shape[-1] != 3 or spins.shape[1] != spins.shape[2]:
            raise ValueError(f"spins must have shape (T, L, L, 3), got {spins.shape}")
        num_frames, L = spins.shape[0], spins.shape[1]
        for spec in TRAJECTORY_DATASETS:
            value = getattr(self, spec.name)
            if value is None:
                if spec.required:
                    raise ValueError(f"dataset {spec.name!r} is required")
                continue
            value = np.asarray(value, dtype=spec.dtype)
            expected = spec.concrete_shape(num_frames, L)
            if value.shape != expected:
                raise ValueError(
                    f"{spec.name} must have shape {expected} for T = {num_frames}, L = {L}, "
                    f"got {value.shape}"
                )
            object.__setattr__(self, spec.name, value)

    @property
    def num_frames(self) -> int:
        return int(self.spins.shape[0])

    @property
    def L(self) -> int:
        return int(self.spins.shape[1])

    def arrays(self) -> dict[str, NDArray]:
        """The datasets present, by schema name."""
        return {
            spec.name: getattr(self, spec.name)
            for spec in TRAJECTORY_DATASETS
            if getattr(self, spec.name) is not None
        }

    @classmethod
    def concatenate(cls, parts: Sequence[Trajectory], attributes: dict | None = None) -> Trajectory:
        """Frames of ``parts`` in order (all must hold the same optional datasets)."""
        if not parts:
            raise ValueError("need at least one part to concatenate")
        names = set(parts[0].arrays())
        for n, part in enumerate(parts):
            if set(part.arrays()) != names:
                raise ValueError(
                    f"part {n} holds datasets {sorted(part.arrays())}, part 0 {sorted(names)}"
                )
        joined = {name: np.concatenate([p.arrays()[name] for p in parts]) for name in names}
        return cls(**joined, attributes=dict(attributes or {}))


@dataclass(frozen=True)
class Checkpoint:
    """Integrator state at one step plus the frames saved since the previous checkpoint.

    Attributes
    ----------
    step : int
        Step n of the state.
    previous_step : int
        Step of the previous checkpoint of the run, -1 for the first.
    spins : ndarray, shape (L, L, 3)
        S_n, before the noise of step n is drawn.
    rng_state : dict
        State of the run's Langevin noise at that moment: ``rng.bit_generator.state`` for
        sequential noise; ``{"generator": "counter", "seed": ..., "num_processes": ...}`` for
        counter-based noise (which needs no state beyond the step).
    config : str
        JSON of the run's configuration (a resumed run must match it).
    frames : Trajectory
        Frames with previous_step < frame step <= step (possibly none).
    """

    step: int
    previous_step: int
    spins: NDArray[np.float64]
    rng_state: dict[str, Any]
    config: str
    frames: Trajectory


@contextlib.contextmanager
def atomic_hdf5(path: str | Path) -> Iterator[h5py.File]:
    """Open ``<path>.tmp`` for writing; on success fsync it and move it onto ``path`` atomically.

    On an exception the temporary file is removed and ``path`` is left untouched.
    """
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    try:
        # libver "latest": object headers and the superblock carry checksums, so a damaged
        # attribute or dataset header is detected on opening, not read as another value
        with h5py.File(tmp, "w", libver="latest") as handle:
            yield handle
        with open(tmp, "rb+") as raw:
            os.fsync(raw.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_directory(path.parent)


def _fsync_directory(directory: Path) -> None:
    """Make a rename durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def git_revision() -> str | None:
    """``git describe --always --dirty`` of the source tree, or None outside a git checkout."""
    source = Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "-C", str(source), "describe", "--always", "--dirty", "--abbrev=40"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def _write_frames(handle: h5py.Group, frames: Trajectory) -> None:
    for name, value in frames.arrays().items():
        spec = DATASETS[name]
        dset = _checksummed_dataset(handle, name, value, spec.dtype)
        dset.attrs["units"] = _attribute(spec.units)
        dset.attrs["description"] = _attribute(spec.description)


def _checksummed_dataset(
    handle: h5py.Group, name: str, value: Any, dtype: Any, *, per_frame: bool = True
) -> h5py.Dataset:
    """A dataset with HDF5's Fletcher-32 checksum per chunk: a flipped bit in the data makes
    reading it fail instead of returning another number.  Chunks are single frames (lazy
    readers fetch one frame at a time) or, for ``per_frame=False``, the whole array; empty
    arrays cannot be chunked and are stored plainly."""
    value = np.asarray(value, dtype=dtype)
    if value.size == 0 or value.ndim == 0:
        return handle.create_dataset(name, data=value)
    chunks = (1, *value.shape[1:]) if per_frame and value.ndim > 1 else value.shape
    return handle.create_dataset(name, data=value, fletcher32=True, chunks=chunks)


def _attribute(value: Any) -> Any:
    """Strings as fixed-length UTF-8 bytes: kept in the checksummed object header, where h5py's
    default variable-length strings go to the global heap, which has no checksum (a flipped bit
    there silently changed a stored config)."""
    if isinstance(value, str):
        return np.bytes_(value.encode("utf-8"))
    return value


def _to_python(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, np.generic):
        return value.item()
    return value


def write_trajectory(path: str | Path, trajectory: Trajectory) -> Path:
    """Write ``trajectory`` (datasets and root attributes) atomically to ``path``.

    ``schema_version`` and ``package_version`` are filled in when absent.

    Examples
    --------
    >>> import tempfile
    >>> t = Trajectory(spins=np.tile([0.0, 0.0, 1.0], (2, 3, 3, 1)), times=np.array([0.0, 1.0]),
    ...                steps=np.array([0, 10]), topological_charge=np.zeros(2),
    ...                magnetization=np.tile([0.0, 0.0, 1.0], (2, 1)),
    ...                attributes={"config": "{}", "seed": 0, "seed_derivation": "none",
    ...                            "llg_equation": "dS/dt = S x H"})
    >>> with tempfile.TemporaryDirectory() as d:
    ...     back = read_trajectory(write_trajectory(Path(d) / "t.h5", t))
    >>> back.spins.shape, back.attributes["schema_version"]
    ((2, 3, 3, 3), 1)
    """
    path = Path(path)
    attributes = {SCHEMA_VERSION_ATTRIBUTE: SCHEMA_VERSION, "package_version": __version__}
    attributes.update(trajectory.attributes)
    with atomic_hdf5(path) as handle:
        _write_frames(handle, trajectory)
        for key, value in attributes.items():
            handle.attrs[key] = _attribute(value)
    return path


@contextlib.contextmanager
def _unreadable_as_corrupt(path: Path, what: str) -> Iterator[None]:
    """HDF5's own errors on a damaged file (a metadata checksum, a filter failure, an undecodable
    attribute) become one ValueError that names the file."""
    try:
        yield
    except (OSError, KeyError, RuntimeError, TypeError, UnicodeDecodeError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise ValueError(
            f"{what} file {str(path)!r} is corrupt or unreadable ({type(exc).__name__}: {exc})"
        ) from exc


def _open_checked(path: Path, what: str) -> h5py.File:
    if not path.is_file():
        raise FileNotFoundError(f"{what} file {str(path)!r} does not exist")
    try:
        handle = h5py.File(path, "r")
    except OSError as exc:
        raise ValueError(
            f"{what} file {str(path)!r} is not a readable HDF5 file (truncated or corrupt?): {exc}"
        ) from exc
    version = handle.attrs.get(SCHEMA_VERSION_ATTRIBUTE)
    if version is None:
        handle.close()
        raise ValueError(
            f"{str(path)!r} is not a torquenet {what} file: it has no "
            f"{SCHEMA_VERSION_ATTRIBUTE!r} attribute"
        )
    if int(version) != SCHEMA_VERSION:
        handle.close()
        raise ValueError(
            f"{what} file {str(path)!r} has schema version {int(version)}; torquenet "
            f"{__version__} reads schema version {SCHEMA_VERSION}"
        )
    return handle


def _read_frames(handle: h5py.Group, path: Path, what: str) -> Trajectory:
    arrays: dict[str, NDArray] = {}
    for spec in TRAJECTORY_DATASETS:
        if spec.name in handle:
            try:
                arrays[spec.name] = handle[spec.name][()]
            except (OSError, KeyError) as exc:
                raise ValueError(
                    f"{what} file {str(path)!r}: dataset /{spec.name} is unreadable: {exc}"
                ) from exc
        elif spec.required:
            raise ValueError(
                f"{what} file {str(path)!r} lacks the required dataset /{spec.name} "
                f"(incomplete or not written by torquenet)"
            )
    try:
        frames = Trajectory(**arrays)
    except ValueError as exc:
        raise ValueError(f"{what} file {str(path)!r} has inconsistent datasets: {exc}") from exc
    _check_values(frames, path, what)
    return frames


def _check_values(frames: Trajectory, path: Path, what: str) -> None:
    """Finite numbers everywhere and unit spins: what a bit flip or a foreign writer breaks."""
    try:
        for name, values in frames.arrays().items():
            if values.dtype.kind == "f":
                check_finite(f"/{name}", values)
        if frames.num_frames:
            check_spins(frames.spins, name="/spins")
    except ValueError as exc:
        raise ValueError(f"{what} file {str(path)!r} is corrupt: {exc}") from exc


def read_trajectory(path: str | Path) -> Trajectory:
    """Read a trajectory file, checking schema version, datasets and shapes.

    Raises
    ------
    FileNotFoundError
        No such file.
    ValueError
        Not HDF5 / truncated, not a torquenet trajectory, another schema version, a missing
        required dataset or root attribute, or inconsistent shapes.
    """
    path = Path(path)
    with _unreadable_as_corrupt(path, "trajectory"), _open_checked(path, "trajectory") as handle:
        frames = _read_frames(handle, path, "trajectory")
        attributes = {key: _to_python(value) for key, value in handle.attrs.items()}
    missing = [k for k, (req, _) in TRAJECTORY_ATTRIBUTES.items() if req and k not in attributes]
    if missing:
        raise ValueError(f"trajectory file {str(path)!r} lacks root attribute(s) {missing}")
    return replace(frames, attributes=attributes)


def write_checkpoint(path: str | Path, checkpoint: Checkpoint) -> Path:
    """Write a checkpoint atomically (layout: schema.CHECKPOINT_*)."""
    path = Path(path)
    with atomic_hdf5(path) as handle:
        _write_frames(handle, checkpoint.frames)
        state = handle.create_group(CHECKPOINT_STATE_GROUP)
        _checksummed_dataset(state, CHECKPOINT_SPINS, checkpoint.spins, np.float64, per_frame=False)
        handle.attrs[SCHEMA_VERSION_ATTRIBUTE] = SCHEMA_VERSION
        handle.attrs["step"] = int(checkpoint.step)
        handle.attrs["previous_step"] = int(checkpoint.previous_step)
        handle.attrs["rng_state"] = _attribute(json.dumps(checkpoint.rng_state))
        handle.attrs["config"] = _attribute(checkpoint.config)
    return path


def read_checkpoint(path: str | Path) -> Checkpoint:
    """Read a checkpoint written by :func:`write_checkpoint` (same checks as for trajectories)."""
    path = Path(path)
    with _unreadable_as_corrupt(path, "checkpoint"), _open_checked(path, "checkpoint") as handle:
        try:
            spins = handle[CHECKPOINT_STATE_GROUP][CHECKPOINT_SPINS][()]
            attrs = {key: _to_python(handle.attrs[key]) for key in ("step", "previous_step")}
            rng_state = json.loads(_to_python(handle.attrs["rng_state"]))
            config = _to_python(handle.attrs["config"])
        except (KeyError, OSError, json.JSONDecodeError) as exc:
            raise ValueError(f"checkpoint file {str(path)!r} is incomplete: {exc}") from exc
        frames = _read_frames(handle, path, "checkpoint")
    try:
        check_spins(spins, name=f"/{CHECKPOINT_STATE_GROUP}/{CHECKPOINT_SPINS}")
    except ValueError as exc:
        raise ValueError(f"checkpoint file {str(path)!r} is corrupt: {exc}") from exc
    return Checkpoint(
        step=int(attrs["step"]),
        previous_step=int(attrs["previous_step"]),
        spins=spins,
        rng_state=rng_state,
        config=config,
        frames=frames,
    )


def read_spins(path: str | Path, L: int | None = None) -> NDArray[np.float64]:
    """Unit spins (L, L, 3) or a batch (B, L, L, 3) from a ``.npy`` file, with clear errors.

    The one reader of spin-texture files (``torquenet fields --spins``, ``simulate --init``).
    Never unpickles: object arrays are refused.

    Raises
    ------
    FileNotFoundError
        No such file.
    ValueError
        A directory, an empty or truncated file, not a .npy array (e.g. text or a pickle), or
        not unit spins of the right shape (:func:`torquenet._validation.check_spins`).
    """
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"spin file {str(path)!r} is a directory, not a .npy file")
    if not path.is_file():
        raise FileNotFoundError(f"spin file {str(path)!r} does not exist")
    if path.stat().st_size == 0:
        raise ValueError(f"spin file {str(path)!r} is empty (0 bytes), not a .npy array")
    try:
        spins = np.load(path, allow_pickle=False)
    except Exception as exc:  # noqa: BLE001 - a damaged header raises ValueError, EOFError,
        # SyntaxError, tokenize.TokenError, UnicodeDecodeError, ...: all mean "not readable"
        raise ValueError(
            f"spin file {str(path)!r} is not a readable .npy array (numpy's binary format, "
            f"written by numpy.save; truncated, text, or pickled data?): {exc}"
        ) from exc
    if not isinstance(spins, np.ndarray):  # an .npz archive
        raise ValueError(f"spin file {str(path)!r} is an .npz archive; save one array with np.save")
    return check_spins(spins, L=L, name=f"spins in {path}")
