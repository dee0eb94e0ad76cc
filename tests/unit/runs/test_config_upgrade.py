"""Runs and datasets begun before a config gained an option resume under its default."""

import json

from torquenet.config import to_mapping
from torquenet.runs import GenerateConfig, MonteCarloConfig, SimulationConfig
from torquenet.runs._trajectory_files import upgraded_config_json


def _without(mapping: dict, *path: str) -> str:
    node = mapping
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    return json.dumps(mapping, sort_keys=True)


def test_a_missing_option_counts_as_its_default():
    cases = [
        (SimulationConfig(L=6), ("solver", "cnn", "dtype")),
        (MonteCarloConfig(L=6), ("cnn", "dtype")),
        (GenerateConfig(), ("solver", "cnn", "dtype")),
        (GenerateConfig(), ("num_ordered",)),
        (GenerateConfig(), ("ordered",)),
        (SimulationConfig(L=12), ("ordered",)),
    ]
    for config, path in cases:
        current = json.dumps(to_mapping(config), sort_keys=True)
        old = _without(json.loads(current), *path)
        assert old != current
        assert upgraded_config_json(old, type(config)) == current


def test_a_changed_or_unknown_option_still_differs():
    current = SimulationConfig(L=6).to_json()
    changed = json.loads(current)
    changed["solver"]["cnn"]["dtype"] = "float64"
    assert upgraded_config_json(json.dumps(changed, sort_keys=True), SimulationConfig) != current
    unknown = json.loads(current)
    unknown["no_such_option"] = 1
    stored = json.dumps(unknown, sort_keys=True)
    assert upgraded_config_json(stored, SimulationConfig) == stored  # unreadable: as stored
