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


@pytest.fixture
def single_thread():
    """Run torch on one thread for the duration of a test, then restore.

    Tiny networks and ED of small matrices gain nothing from a second thread, and on a shared
    2-core machine OpenMP spin-waiting for a descheduled thread made them 10-100x slower (25 s
    instead of 3 s for the overfitting test when other jobs were running).
    """
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def pytest_collection_modifyitems(config, items):
    if torch.cuda.is_available():
        return
    skip_gpu = pytest.mark.skip(reason="needs CUDA; no GPU on this machine")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip_gpu)
