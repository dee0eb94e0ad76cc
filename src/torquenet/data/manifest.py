"""The manifest of a generated dataset: units of work, checksums, splits, label normalisation.

``DIR/manifest.json`` is rewritten atomically after every finished trajectory, so an interrupted
generation keeps the record of all finished work.  Every trajectory file is listed with its
SHA-256; readers verify it and name the file when it does not match (truncated or corrupted).

The generating config is stored as a plain mapping; read it through the typed accessors
(:meth:`Manifest.physics`, :meth:`Manifest.llg`, :meth:`Manifest.label_solver`,
:attr:`Manifest.lattice_size`), which also read manifests written before the s-d parameters
moved to the top of the config (``solver.model``, with H_ext inside it).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from torquenet._version import __version__
from torquenet.config import from_mapping, to_mapping
from torquenet.dynamics import LLGParams
from torquenet.model import SDModelParams
from torquenet.solvers import SolverConfig

MANIFEST_NAME = "manifest.json"
MANIFEST_VERSION = 1
#: Start types and their integer codes (the "start_type" of dataset samples).
START_TYPES = ("random", "skyrmion", "ordered")


#: Key of the manifest's checksum of its own content (manifests written before it lack it).
CHECKSUM_KEY = "manifest_sha256"


def _payload_checksum(payload: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of a manifest's content (given without the checksum)."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def sha256_of(path: str | Path, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class UnitRecord:
    """One trajectory of the ensemble.

    Attributes
    ----------
    name : str
        File stem; the trajectory is ``trajectories/<name>.h5``.
    start_type : str
        One of START_TYPES: "random", "skyrmion" (perturbed skyrmion lattice) or "ordered"
        (a random ordered phase with spin noise).
    seed : int
        The trajectory's own seed (derived from the ensemble seed).
    split : str
        "train" or "validation" (by trajectory, stratified by start type).
    sha256 : str or None
        Checksum of the finished file; None while unfinished.
    num_frames : int
        Saved frames (0 while unfinished).
    """

    name: str
    start_type: str
    seed: int
    split: str
    sha256: str | None = None
    num_frames: int = 0

    @property
    def relative_path(self) -> str:
        return f"trajectories/{self.name}.h5"


@dataclass
class Manifest:
    """In-memory form of ``manifest.json``."""

    config: dict[str, Any]
    units: list[UnitRecord]
    torque_scale: float | None = None
    label_statistics: dict[str, float] = field(default_factory=dict)
    package_version: str = __version__
    manifest_version: int = MANIFEST_VERSION

    @property
    def lattice_size(self) -> int:
        """L of the dataset's L x L frames."""
        return int(self.config["L"])

    def physics(self) -> SDModelParams:
        """The s-d model every solver of the dataset used."""
        if "model" in self.config:
            return from_mapping(SDModelParams, self.config["model"], "manifest config.model")
        legacy = dict(self._legacy_solver().get("model", {}))
        legacy.pop("external_field", None)
        return from_mapping(SDModelParams, legacy, "manifest config.solver.model")

    def llg(self) -> LLGParams:
        """The dynamics (dt, damping, temperature, H_ext) of the dataset's trajectories."""
        mapping = dict(self.config.get("llg", {}))
        if "model" not in self.config:
            legacy = self._legacy_solver().get("model", {})
            if "external_field" in legacy:
                mapping.setdefault("external_field", legacy["external_field"])
        return from_mapping(LLGParams, mapping, "manifest config.llg")

    def label_solver(self) -> SolverConfig:
        """The solver whose fields label the frames."""
        mapping = {k: v for k, v in self._legacy_solver().items() if k != "model"}
        return from_mapping(SolverConfig, mapping, "manifest config.solver")

    def _legacy_solver(self) -> dict[str, Any]:
        solver = self.config.get("solver", {})
        if not isinstance(solver, dict):
            raise ValueError(f"manifest config.solver must be a mapping, got {solver!r}")
        return solver

    def unit(self, name: str) -> UnitRecord:
        for record in self.units:
            if record.name == name:
                return record
        raise KeyError(f"no trajectory named {name!r} in the manifest")

    def replace_unit(self, record: UnitRecord) -> None:
        self.units = [record if u.name == record.name else u for u in self.units]

    def finished(self, split: str | None = None) -> list[UnitRecord]:
        return [u for u in self.units if u.sha256 is not None and split in (None, u.split)]

    def to_json(self) -> str:
        payload = {
            "manifest_version": self.manifest_version,
            "package_version": self.package_version,
            "config": self.config,
            "torque_scale": self.torque_scale,
            "label_statistics": self.label_statistics,
            "units": [u.__dict__ for u in self.units],
        }
        payload[CHECKSUM_KEY] = _payload_checksum(payload)
        return json.dumps(payload, indent=1, sort_keys=True)

    def write(self, directory: str | Path) -> Path:
        """Write ``manifest.json`` atomically (temp file + os.replace)."""
        path = Path(directory) / MANIFEST_NAME
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(self.to_json())
        os.replace(tmp, path)
        return path


def read_manifest(directory: str | Path) -> Manifest:
    """Read ``DIR/manifest.json`` with clear errors for a missing or malformed file."""
    path = Path(directory) / MANIFEST_NAME
    if not path.is_file():
        raise FileNotFoundError(
            f"{str(path)!r} does not exist: {str(directory)!r} is not a torquenet dataset "
            f"directory (create one with `torquenet generate`)"
        )
    try:
        payload = json.loads(path.read_text())
        stored = payload.pop(CHECKSUM_KEY, None)
        version = payload["manifest_version"]
        units = [UnitRecord(**u) for u in payload["units"]]
    except (json.JSONDecodeError, KeyError, TypeError, AttributeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{str(path)!r} is not a valid torquenet manifest: {exc}") from exc
    if stored is not None and stored != _payload_checksum(payload):
        raise ValueError(
            f"{str(path)!r} is corrupt: its content does not match its own SHA-256 "
            f"({CHECKSUM_KEY}); restore it or regenerate the dataset"
        )
    if version != MANIFEST_VERSION:
        raise ValueError(
            f"{str(path)!r} has manifest version {version}; this torquenet reads {MANIFEST_VERSION}"
        )
    return Manifest(
        config=payload["config"],
        units=units,
        torque_scale=payload.get("torque_scale"),
        label_statistics=payload.get("label_statistics", {}),
        package_version=payload.get("package_version", "unknown"),
    )


def verify_unit(directory: str | Path, record: UnitRecord) -> Path:
    """Path of a finished trajectory after checking it exists and matches its checksum."""
    path = Path(directory) / record.relative_path
    if record.sha256 is None:
        raise ValueError(f"trajectory {record.name!r} is not finished (no checksum in manifest)")
    if not path.is_file():
        raise FileNotFoundError(f"trajectory file {str(path)!r} listed in the manifest is missing")
    actual = sha256_of(path)
    if actual != record.sha256:
        raise ValueError(
            f"trajectory file {str(path)!r} is corrupted or truncated: SHA-256 {actual[:16]}... "
            f"does not match the manifest's {record.sha256[:16]}...; delete it and re-run "
            f"`torquenet generate` to regenerate it"
        )
    return path


def dataset_info(directory: str | Path) -> dict[str, Any]:
    """Counts, parameters, split sizes and label statistics (``torquenet data info``)."""
    manifest = read_manifest(directory)
    cfg = manifest.config
    counts: dict[str, dict[str, int]] = {}
    for u in manifest.units:
        entry = counts.setdefault(
            f"{u.start_type}/{u.split}", {"trajectories": 0, "frames": 0, "finished": 0}
        )
        entry["trajectories"] += 1
        entry["finished"] += u.sha256 is not None
        entry["frames"] += u.num_frames
    return {
        "directory": str(directory),
        "package_version": manifest.package_version,
        "L": manifest.lattice_size,
        "num_steps": cfg["num_steps"],
        "save_every": cfg["save_every"],
        "sampling": cfg["sampling"],
        "model": to_mapping(manifest.physics()),
        "solver": to_mapping(manifest.label_solver()),
        "dynamics_solver": cfg.get("dynamics_solver"),
        "llg": to_mapping(manifest.llg()),
        "splits": counts,
        "complete": all(u.sha256 is not None for u in manifest.units),
        "torque_scale": manifest.torque_scale,
        "label_statistics": manifest.label_statistics,
    }
