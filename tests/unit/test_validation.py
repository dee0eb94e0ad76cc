import numpy as np
import pytest

from torquenet._validation import check_spins
from torquenet.config import from_mapping
from torquenet.runs import FieldsConfig
from torquenet.solvers import SolverConfig


def test_check_spins_accepts_float32_unit_vectors(rng):
    s = rng.standard_normal((6, 6, 3))
    s /= np.linalg.norm(s, axis=-1, keepdims=True)
    out = check_spins(s.astype(np.float32))
    assert out.dtype == np.float64


@pytest.mark.parametrize("shape", [(6, 6), (6, 5, 3), (6, 6, 4), (2, 2, 6, 6, 3)])
def test_check_spins_rejects_wrong_shapes(shape):
    with pytest.raises(ValueError, match="must have shape"):
        check_spins(np.ones(shape))


def test_check_spins_names_the_bad_site():
    s = np.zeros((6, 6, 3))
    s[..., 2] = 1.0
    s[2, 4] = [0, 0, 1.1]
    with pytest.raises(ValueError, match=r"site \(2, 4\) has \|S\| = 1.1"):
        check_spins(s)


def test_unknown_config_key_lists_valid_keys():
    with pytest.raises(ValueError, match=r"unknown key\(s\) \['twist'\].*valid keys"):
        from_mapping(SolverConfig, {"kind": "ed", "ed": {"twist": 2}})


def test_config_builds_nested_dataclasses():
    cfg = from_mapping(
        FieldsConfig,
        {"model": {"hopping": [1, 0, -0.5]}, "solver": {"ed": {"num_twists": 3}}},
    )
    assert cfg.model.hopping == (1.0, 0.0, -0.5)
    assert cfg.solver.ed.num_twists == 3
