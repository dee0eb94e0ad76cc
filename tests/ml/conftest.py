"""Fixtures for the CNN tests: tiny exact (ED) training pairs and tiny networks."""

from __future__ import annotations

import numpy as np
import pytest

from torquenet import EDSolver, SDModelParams
from torquenet.ml import ModelConfig, TensorPairDataset
from torquenet.textures import random_spins

#: 6 x 6 is the smallest L that holds the third hopping shell (t3) without wrapping.
TINY_L = 6

#: A network small enough that a training epoch on a handful of 6 x 6 samples takes milliseconds.
TINY_MODEL = ModelConfig(widths=(8, 8), kernel_size=3)


def ed_torques(spins: np.ndarray, params: SDModelParams | None = None) -> np.ndarray:
    """Exact torques T = H - (H.S) S for spins (..., L, L, 3), float64."""
    fields = EDSolver(params or SDModelParams()).compute(spins).fields
    return fields - np.sum(fields * spins, axis=-1, keepdims=True) * spins


@pytest.fixture(scope="session")
def ed_pairs() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """12 random 6 x 6 textures with exact torques and alternating start types 0, 1."""
    rng = np.random.default_rng(7)
    spins = np.stack([random_spins(TINY_L, rng) for _ in range(12)])
    starts = np.arange(12) % 2
    return spins, ed_torques(spins), starts


@pytest.fixture
def tiny_datasets(ed_pairs) -> tuple[TensorPairDataset, TensorPairDataset]:
    """(train, val): 8 and 4 ED samples."""
    spins, torques, starts = ed_pairs
    train = TensorPairDataset.from_site_arrays(spins[:8], torques[:8], starts[:8])
    val = TensorPairDataset.from_site_arrays(spins[8:], torques[8:], starts[8:])
    return train, val
