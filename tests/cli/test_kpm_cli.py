"""``torquenet fields --solver kpm``: flags map onto KPMParams and match the Python API."""

from dataclasses import replace

import numpy as np
import pytest
import yaml
from numpy.testing import assert_allclose

from torquenet.cli import main
from torquenet.model import SDModelParams
from torquenet.solvers import KPMParams, KPMSolver
from torquenet.textures import random_spins

# Same settings, same seed, same code: only the order of float64 operations could differ.
ATOL_SAME_COMPUTATION = 1e-13


def test_fields_cli_kpm_flags_match_python_api(tmp_path, rng):
    spins = random_spins(6, rng)
    np.save(tmp_path / "in.npy", spins)
    (tmp_path / "cfg.yaml").write_text("solver:\n  kpm:\n    compile: true\n    num_moments: 50\n")
    args = ["fields", "--spins", str(tmp_path / "in.npy"), "--out", str(tmp_path / "out.npy")]
    args += ["--config", str(tmp_path / "cfg.yaml"), "--solver", "kpm", "--kT", "0.1"]
    args += ["--num-moments", "120", "--probing-distance", "3", "--num-random-vectors", "2"]
    args += ["--kpm-seed", "5", "--no-compile", "--device", "cpu"]
    assert main(args) == 0
    settings = KPMParams(
        num_moments=120, probing_distance=3, num_random_vectors=2, seed=5, compile=False
    )
    expected = KPMSolver(SDModelParams(electron_temperature=0.1), settings).compute(spins)
    assert_allclose(
        np.load(tmp_path / "out.npy"), expected.fields, rtol=0, atol=ATOL_SAME_COMPUTATION
    )
    saved = yaml.safe_load((tmp_path / "out.config.yaml").read_text())
    assert saved["model"]["electron_temperature"] == 0.1
    assert saved["solver"]["kind"] == "kpm"
    assert saved["solver"]["kpm"] == {
        "num_moments": 120,
        "probing_distance": 3,
        "num_random_vectors": 2,
        "kernel": "dirichlet",
        "dtype": "float64",
        "device": "cpu",
        "seed": 5,
        "compile": False,
        "fresh_probes": False,
    }


def test_fields_cli_kpm_dtype_flag_selects_float32(tmp_path, rng):
    spins = random_spins(6, rng)
    np.save(tmp_path / "in.npy", spins)
    args = ["fields", "--spins", str(tmp_path / "in.npy"), "--out", str(tmp_path / "out.npy")]
    args += ["--solver", "kpm", "--num-moments", "60", "--probing-distance", "3"]
    assert main(args + ["--kpm-dtype", "float32", "--no-compile"]) == 0
    saved = yaml.safe_load((tmp_path / "out.config.yaml").read_text())
    assert saved["solver"]["kpm"]["dtype"] == "float32"
    settings = KPMParams(num_moments=60, probing_distance=3, compile=False)
    exact64 = KPMSolver(SDModelParams(), settings).compute(spins).fields
    single = KPMSolver(SDModelParams(), replace(settings, dtype="float32")).compute(spins).fields
    fields = np.load(tmp_path / "out.npy")
    assert_allclose(fields, single, rtol=0, atol=1e-6)  # the float32 computation
    assert 0 < np.abs(fields - exact64).max() < 1e-4  # rounded, not the float64 one


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--num-moments", "100"], "need --solver kpm"),
        (["--solver", "kpm", "--probing-distance", "4", "--no-compile"], "does not divide L = 6"),
        (["--solver", "kpm", "--num-moments", "1"], "num_moments must be >= 2"),
    ],
)
def test_fields_cli_kpm_errors_are_one_clear_line(tmp_path, capsys, rng, extra, message):
    np.save(tmp_path / "in.npy", random_spins(6, rng))
    args = ["fields", "--spins", str(tmp_path / "in.npy"), "--out", str(tmp_path / "o.npy")]
    assert main(args + extra) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
