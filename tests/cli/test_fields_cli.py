import numpy as np
import pytest
from numpy.testing import assert_allclose

from torquenet.cli import main
from torquenet.solvers import EDParams, EDSolver
from torquenet.textures import random_spins


def test_fields_cli_matches_python_api(tmp_path, rng):
    spins = random_spins(6, rng)
    np.save(tmp_path / "in.npy", spins)
    (tmp_path / "cfg.yaml").write_text(
        "solver:\n  ed:\n    num_twists: 1\nmodel:\n  electron_temperature: 0.1\n"
    )
    rc = main(
        [
            "fields",
            "--spins",
            str(tmp_path / "in.npy"),
            "--solver",
            "ed",
            "--twists",
            "2",
            "--config",
            str(tmp_path / "cfg.yaml"),
            "--out",
            str(tmp_path / "out.npy"),
        ]
    )
    assert rc == 0
    from torquenet.model import SDModelParams

    expected = (
        EDSolver(SDModelParams(electron_temperature=0.1), EDParams(num_twists=2))
        .compute(spins)
        .fields
    )
    assert_allclose(np.load(tmp_path / "out.npy"), expected, rtol=0, atol=1e-13)
    assert (tmp_path / "out.config.yaml").is_file()


@pytest.mark.parametrize(
    "setup, message",
    [
        ("missing", "does not exist"),
        ("not_unit", "unit vectors"),
        ("bad_key", "unknown key"),
        ("corrupt", "not a readable .npy"),
    ],
)
def test_fields_cli_errors_are_one_clear_line(tmp_path, capsys, rng, setup, message):
    path = tmp_path / "in.npy"
    args = ["fields", "--spins", str(path), "--out", str(tmp_path / "o.npy")]
    if setup == "not_unit":
        np.save(path, 2 * random_spins(6, rng))
    elif setup == "bad_key":
        np.save(path, random_spins(6, rng))
        (tmp_path / "c.yaml").write_text("solver:\n  kind: ed\n  foo: 1\n")
        args += ["--config", str(tmp_path / "c.yaml")]
    elif setup == "corrupt":
        path.write_bytes(b"not numpy")
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
