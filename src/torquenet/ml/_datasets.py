"""The sample contract between datasets and training, an in-memory dataset, and augmentation.

Any ``torch.utils.data.Dataset`` can be trained on if item ``n`` is a dict with

- ``"spins"``: float32 tensor (3, L, L), unit spins, ``spins[:, i, j]`` = S of site (i, j);
- ``"torques"``: float32 tensor (3, L, L), T = H - (H.S) S, the electron exchange field
  perpendicular to S (units of t1), the external field excluded (paper Sec. III C);
- ``"start_type"``: int in [0, MAX_START_TYPES), the kind of trajectory start (e.g. random or
  skyrmion), used to report validation losses separately;
- optionally ``"grand_potential_per_site"``: float, Omega / L^2 of the frame (t1, electronic,
  no Zeeman term), the label of energy models (:class:`~torquenet.ml.EquivariantEnergyCNN`).

All samples of one dataset share L.  :class:`TensorPairDataset` holds such samples in memory;
the trajectory files of the data pipeline plug in through the same contract.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import torch
from numpy.typing import NDArray
from torch.utils.data import Dataset

from torquenet.ml._augment import augment_pairs

#: Start types are small non-negative ints; validation losses are reduced per type in a vector
#: of this length (a fixed size, so every rank of a distributed run reduces the same shape).
MAX_START_TYPES = 16


class TensorPairDataset(Dataset):
    """In-memory (spins, torques, start_type) samples, channels first.

    Parameters
    ----------
    spins, torques : torch.Tensor, shape (num_samples, 3, L, L)
        Stored as float32.
    start_types : torch.Tensor or sequence of int, shape (num_samples,), optional
        Default all 0.
    grand_potentials : torch.Tensor or sequence of float, shape (num_samples,), optional
        Omega of each L x L texture (t1); items then carry ``grand_potential_per_site``.

    Examples
    --------
    >>> ds = TensorPairDataset(torch.zeros(2, 3, 4, 4), torch.zeros(2, 3, 4, 4))
    >>> len(ds), ds[1]["spins"].shape, ds[1]["start_type"]
    (2, torch.Size([3, 4, 4]), 0)
    """

    def __init__(
        self,
        spins: torch.Tensor,
        torques: torch.Tensor,
        start_types: torch.Tensor | list[int] | None = None,
        grand_potentials: torch.Tensor | list[float] | None = None,
    ) -> None:
        spins = torch.as_tensor(spins)
        torques = torch.as_tensor(torques)
        if spins.ndim != 4 or spins.shape[1] != 3 or spins.shape[2] != spins.shape[3]:
            raise ValueError(
                f"spins must have shape (num_samples, 3, L, L), got {tuple(spins.shape)}"
            )
        if torques.shape != spins.shape:
            raise ValueError(
                f"torques must have the shape of spins {tuple(spins.shape)}, "
                f"got {tuple(torques.shape)}"
            )
        if start_types is None:
            start_types = torch.zeros(len(spins), dtype=torch.int64)
        start_types = torch.as_tensor(start_types, dtype=torch.int64)
        if start_types.shape != (len(spins),):
            raise ValueError(
                f"start_types must have shape ({len(spins)},), got {tuple(start_types.shape)}"
            )
        bad = (start_types < 0) | (start_types >= MAX_START_TYPES)
        if bool(bad.any()):
            raise ValueError(
                f"start_types must lie in [0, {MAX_START_TYPES}), got {int(start_types[bad][0])}"
            )
        self.spins = spins.to(torch.float32).contiguous()
        self.torques = torques.to(torch.float32).contiguous()
        self.start_types = start_types
        self.grand_potentials = None
        if grand_potentials is not None:
            omega = torch.as_tensor(grand_potentials, dtype=torch.float64)
            if omega.shape != (len(spins),) or not bool(torch.isfinite(omega).all()):
                raise ValueError(
                    f"grand_potentials must be {len(spins)} finite numbers, got shape "
                    f"{tuple(omega.shape)}"
                )
            self.grand_potentials = omega

    @classmethod
    def from_site_arrays(
        cls,
        spins: NDArray[np.floating],
        torques: NDArray[np.floating],
        start_types: NDArray[np.integer] | list[int] | None = None,
        grand_potentials: NDArray[np.floating] | list[float] | None = None,
    ) -> TensorPairDataset:
        """Build from arrays in the lattice layout (num_samples, L, L, 3)."""
        spins_t = torch.from_numpy(np.ascontiguousarray(spins)).permute(0, 3, 1, 2)
        torques_t = torch.from_numpy(np.ascontiguousarray(torques)).permute(0, 3, 1, 2)
        if start_types is not None:
            start_types = torch.as_tensor(np.asarray(start_types), dtype=torch.int64)
        return cls(spins_t, torques_t, start_types, grand_potentials)

    def __len__(self) -> int:
        return len(self.spins)

    def __getitem__(self, index: int) -> dict:
        item = {
            "spins": self.spins[index],
            "torques": self.torques[index],
            "start_type": int(self.start_types[index]),
        }
        if self.grand_potentials is not None:
            sites = self.spins.shape[-1] * self.spins.shape[-2]
            item["grand_potential_per_site"] = float(self.grand_potentials[index]) / sites
        return item


def sample_seed(seed: int, epoch: int, index: int) -> int:
    """Seed of the augmentation of sample ``index`` in ``epoch``: a 64-bit hash of all three.

    Keying the draw on the sample (not on the order in which samples are visited) makes the
    augmented data identical whichever process or worker loads the sample, which is what makes
    distributed, multi-worker and resumed runs reproduce a single-process run.
    """
    state = np.random.SeedSequence([int(seed), int(epoch), int(index)]).generate_state(
        1, dtype=np.uint64
    )
    return int(state[0])


class AugmentedDataset(Dataset):
    """Wrap a dataset so each item gets its own random SO(3) x D6 symmetry (paper Eq. 14).

    Call :meth:`set_epoch` before each epoch: the draw for item n in epoch e comes from a
    generator seeded with :func:`sample_seed` (seed, e, n).
    """

    def __init__(self, base: Dataset, seed: int) -> None:
        self.base = base
        self.seed = int(seed)
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return len(self.base)  # type: ignore[arg-type]

    def __getitem__(self, index: int) -> dict:
        sample = self.base[index]
        generator = torch.Generator().manual_seed(sample_seed(self.seed, self.epoch, index))
        spins, torques = augment_pairs(sample["spins"][None], sample["torques"][None], generator)
        return {**sample, "spins": spins[0], "torques": torques[0]}


@dataclass(frozen=True)
class DatasetSummary:
    """What training needs to know about a dataset, from one pass over it.

    Attributes
    ----------
    num_samples : int
    lattice_size : int
        L of every sample.
    mean_torque_magnitude : float
        Mean of |T_i| over all sites and samples (units of t1): the network's output scale.
    checksum : str
        SHA-256 of the float32 spins, torques and start types of all samples in order.
    start_types : tuple of int
        The distinct start types present.
    mean_grand_potential_per_site : float or None
        Mean Omega / L^2 over the samples (t1) when every sample carries it, else None.
    """

    num_samples: int
    lattice_size: int
    mean_torque_magnitude: float
    checksum: str
    start_types: tuple[int, ...]
    mean_grand_potential_per_site: float | None = None


def summarize_dataset(dataset: Dataset, name: str = "dataset") -> DatasetSummary:
    """Validate every sample of ``dataset`` against the contract and summarise it.

    Raises
    ------
    ValueError
        Empty dataset, a sample with missing keys, wrong shape, mixed L, non-finite values or a
        start type outside [0, MAX_START_TYPES).
    """
    num = len(dataset)  # type: ignore[arg-type]
    if num == 0:
        raise ValueError(f"{name} is empty")
    digest = hashlib.sha256()
    total = 0.0
    num_sites = 0
    lattice_size = None
    start_types: set[int] = set()
    omega_sum, omega_count = 0.0, 0
    for index in range(num):
        sample = dataset[index]
        spins, torques, start = _check_sample(sample, index, name, lattice_size)
        if "grand_potential_per_site" in sample:
            omega = float(sample["grand_potential_per_site"])
            if not np.isfinite(omega):
                raise ValueError(f"{name}[{index}]['grand_potential_per_site'] is {omega}")
            omega_sum += omega
            omega_count += 1
        lattice_size = spins.shape[-1]
        digest.update(spins.numpy().tobytes())
        digest.update(torques.numpy().tobytes())
        digest.update(np.int64(start).tobytes())
        total += float(torques.double().norm(dim=0).sum())
        num_sites += lattice_size * lattice_size
        start_types.add(start)
    return DatasetSummary(
        num_samples=num,
        lattice_size=int(lattice_size),  # type: ignore[arg-type]
        mean_torque_magnitude=total / num_sites,
        checksum=digest.hexdigest(),
        start_types=tuple(sorted(start_types)),
        mean_grand_potential_per_site=omega_sum / num if omega_count == num else None,
    )


def _check_sample(
    sample: object, index: int, name: str, lattice_size: int | None
) -> tuple[torch.Tensor, torch.Tensor, int]:
    where = f"{name}[{index}]"
    if not isinstance(sample, dict) or not {"spins", "torques", "start_type"} <= set(sample):
        keys = sorted(sample) if isinstance(sample, dict) else type(sample).__name__
        raise ValueError(f"{where} must be a dict with spins, torques, start_type; got {keys}")
    spins = torch.as_tensor(sample["spins"]).to(torch.float32).contiguous()
    torques = torch.as_tensor(sample["torques"]).to(torch.float32).contiguous()
    if spins.ndim != 3 or spins.shape[0] != 3 or spins.shape[1] != spins.shape[2]:
        raise ValueError(f"{where}['spins'] must have shape (3, L, L), got {tuple(spins.shape)}")
    if torques.shape != spins.shape:
        raise ValueError(
            f"{where}['torques'] must have shape {tuple(spins.shape)}, got {tuple(torques.shape)}"
        )
    if lattice_size is not None and spins.shape[-1] != lattice_size:
        raise ValueError(
            f"all samples of {name} must share L = {lattice_size}; {where} has L = "
            f"{spins.shape[-1]}"
        )
    if not (torch.isfinite(spins).all() and torch.isfinite(torques).all()):
        raise ValueError(f"{where} contains NaN or inf")
    start = int(sample["start_type"])
    if not 0 <= start < MAX_START_TYPES:
        raise ValueError(f"{where}['start_type'] must lie in [0, {MAX_START_TYPES}), got {start}")
    return spins, torques, start
