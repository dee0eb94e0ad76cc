"""The tutorial notebook and its plain-script twin: in sync, and both run (slow suite)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
FIGURES = ("fields.png", "energy.png", "structure_factor_and_charge.png")


def _sync_module():
    spec = importlib.util.spec_from_file_location("sync_tutorial", EXAMPLES / "sync_tutorial.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_notebook_holds_exactly_the_scripts_cells():
    expected = _sync_module().cells_of((EXAMPLES / "tutorial.py").read_text())
    notebook = json.loads((EXAMPLES / "tutorial.ipynb").read_text())
    strip = [{k: v for k, v in cell.items() if k != "id"} for cell in notebook["cells"]]
    assert strip == expected, "run `python examples/sync_tutorial.py` after editing tutorial.py"


@pytest.mark.slow
def test_the_script_twin_runs_and_draws_every_figure(tmp_path):
    env = {**os.environ, "TORQUENET_TUTORIAL_OUT": str(tmp_path), "OMP_NUM_THREADS": "2"}
    subprocess.run([sys.executable, str(EXAMPLES / "tutorial.py")], env=env, check=True)
    assert all((tmp_path / name).is_file() for name in FIGURES)


@pytest.mark.slow
def test_the_notebook_executes(tmp_path):
    nbclient = pytest.importorskip("nbclient", reason="install the notebook extra: .[notebook]")
    nbformat = pytest.importorskip("nbformat")
    notebook = nbformat.read(EXAMPLES / "tutorial.ipynb", as_version=4)
    os.environ["TORQUENET_TUTORIAL_OUT"] = str(tmp_path)
    try:
        nbclient.NotebookClient(notebook, timeout=900, kernel_name="python3").execute()
    finally:
        os.environ.pop("TORQUENET_TUTORIAL_OUT", None)
    assert all((tmp_path / name).is_file() for name in FIGURES)
