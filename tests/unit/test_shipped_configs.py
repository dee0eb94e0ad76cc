"""Every config shipped in the package loads into its typed dataclass (no stale keys)."""

import pytest

from torquenet.config import load_config
from torquenet.data import builtin_config_names, resolve_config_path
from torquenet.ml import TrainConfig
from torquenet.runs import GenerateConfig

CASES = [("data", name, GenerateConfig) for name in builtin_config_names("data")] + [
    ("train", name, TrainConfig) for name in builtin_config_names("train")
]


@pytest.mark.parametrize("prefix, name, cls", CASES, ids=[f"{p}_{n}" for p, n, _ in CASES])
def test_shipped_config_loads(prefix, name, cls):
    assert isinstance(load_config(resolve_config_path(name, prefix), cls), cls)


def test_the_default_recipes_are_shipped():
    assert {"default", "exact", "paper", "tiny"} <= set(builtin_config_names("data"))
    assert {"default", "paper", "tiny"} <= set(builtin_config_names("train"))
