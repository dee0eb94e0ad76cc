"""Shared fixtures: a seeded rng for every test, tiny lattices."""

from __future__ import annotations

import numpy as np
import pytest
import torch

SEED = 20231014


@pytest.fixture(autouse=True)
def _seed_everything() -> None:
    torch.manual_seed(SEED)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(SEED)


def pytest_collection_modifyitems(config, items):
    if torch.cuda.is_available():
        return
    skip_gpu = pytest.mark.skip(reason="needs CUDA; no GPU on this machine")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip_gpu)
