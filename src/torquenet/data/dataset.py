"""Lazy PyTorch dataset of (spins, torque labels) frames read from generated trajectory files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import h5py
import numpy as np
import torch

from torquenet._validation import check_finite, check_spins
from torquenet.data.manifest import START_TYPES, read_manifest, verify_unit
from torquenet.observables import perpendicular_part

#: Values of ``TrajectoryDataset(split=...)``: the training or validation trajectories of the
#: manifest, or all of them.
SPLITS = ("train", "validation", "all")


class TrajectoryDataset(torch.utils.data.Dataset):
    """Frames of a generated dataset, read from HDF5 on access (nothing loaded up front).

    Each item is a dict:

    * ``"spins"``: (3, L, L) tensor, channels first (``x[:, i, j] = S_(i, j)``);
    * ``"torques"``: (3, L, L) tensor, the electron field's component perpendicular to each spin,
      H_ext-free (paper Sec. III C), divided by the dataset's ``torque_scale`` when
      ``normalize`` (mean magnitude 1 over the training split);
    * ``"start_type"``: 0 for random starts, 1 for perturbed skyrmion lattices, 2 for ordered
      phases (the index in ``START_TYPES``);
    * ``"grand_potential_per_site"``: Omega / L^2 of the frame (t1, electronic), when the
      files store it (labels from a solver with an energy: ED, KPM), for energy models.

    Parameters
    ----------
    directory : path
        Output of ``torquenet generate``.
    split : str
        "train", "validation" or "all".
    dtype : torch.dtype
        float32 for training; float64 keeps the labels exactly perpendicular (|T.S| ~ 1e-16).
    verify : bool
        Check every file's SHA-256 against the manifest first (clear error naming a bad file).
    normalize : bool
        Divide torques by ``torque_scale``.
    """

    def __init__(
        self,
        directory: str | Path,
        split: str = "train",
        *,
        dtype: torch.dtype = torch.float32,
        verify: bool = True,
        normalize: bool = True,
    ) -> None:
        if split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
        self.directory = Path(directory)
        manifest = read_manifest(self.directory)
        if any(u.sha256 is None for u in manifest.units) or manifest.torque_scale is None:
            raise ValueError(
                f"dataset {str(self.directory)!r} is incomplete; finish it with "
                f"`torquenet generate` (same config) first"
            )
        self.manifest = manifest
        self.torque_scale = float(manifest.torque_scale)
        self.units = [u for u in manifest.units if split in ("all", u.split)]
        if verify:
            for record in self.units:
                verify_unit(self.directory, record)
        self.dtype = dtype
        self.normalize = normalize
        self.index = [(k, f) for k, u in enumerate(self.units) for f in range(u.num_frames)]
        self._handles: dict[int, h5py.File] = {}

    def __len__(self) -> int:
        return len(self.index)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_handles"] = {}  # h5py handles cannot cross process boundaries
        return state

    def _file(self, unit: int) -> h5py.File:
        if unit not in self._handles:
            path = self.directory / self.units[unit].relative_path
            self._handles[unit] = h5py.File(path, "r")
        return self._handles[unit]

    def _where(self, item: int) -> str:
        unit, frame = self.index[item]
        return f"frame {frame} of {str(self.directory / self.units[unit].relative_path)!r}"

    def frame(self, item: int) -> tuple[np.ndarray, np.ndarray]:
        """(spins, torques) of one frame as float64 arrays (L, L, 3), torques not normalised."""
        unit, frame = self.index[item]
        where = self._where(item)
        try:
            handle = self._file(unit)
            spins = check_spins(handle["spins"][frame], name=f"spins of {where}")
            fields = check_finite(f"fields of {where}", handle["fields"][frame])
        except (ValueError, OSError, KeyError) as exc:  # without verify, or changed since
            raise ValueError(f"corrupt dataset: {where}: {exc}") from exc
        return spins, perpendicular_part(fields, spins)

    def grand_potential_per_site(self, item: int) -> float | None:
        """Omega / L^2 of one frame, or None when the files store no Omega."""
        unit, frame = self.index[item]
        try:
            handle = self._file(unit)
            if "grand_potential" not in handle:
                return None
            omega = check_finite("grand_potential", handle["grand_potential"][frame])
            num_sites = handle["spins"].shape[1] * handle["spins"].shape[2]
        except (ValueError, OSError, KeyError) as exc:
            raise ValueError(f"corrupt dataset: {self._where(item)}: {exc}") from exc
        return float(omega) / num_sites

    def __getitem__(self, item: int) -> dict[str, Any]:
        spins, torques = self.frame(item)
        if self.normalize:
            torques = torques / self.torque_scale
        to_tensor = lambda a: torch.from_numpy(np.ascontiguousarray(np.moveaxis(a, -1, 0))).to(  # noqa: E731
            self.dtype
        )
        unit = self.units[self.index[item][0]]
        sample = {
            "spins": to_tensor(spins),
            "torques": to_tensor(torques),
            "start_type": START_TYPES.index(unit.start_type),
        }
        omega = self.grand_potential_per_site(item)
        if omega is not None:
            sample["grand_potential_per_site"] = omega
        return sample

    def close(self) -> None:
        for handle in self._handles.values():
            handle.close()
        self._handles.clear()
