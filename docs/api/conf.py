"""Sphinx configuration of the torquenet API reference.

Build (from the repository root)::

    .venv/bin/pip install -q -e ".[docs]"
    .venv/bin/sphinx-build -W --keep-going -b html docs/api docs/api/_build/html

The pages' entries are generated from each module's ``__all__`` by the local extension
``_ext/torquenet_apidoc.py``; the package is imported from the installation (``pip install -e``),
falling back to ``src/`` of this checkout.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))
try:
    import torquenet
except ImportError:  # not installed: document the source tree
    sys.path.insert(0, str(HERE.parents[1] / "src"))
    import torquenet

project = "torquenet"
author = "the torquenet developers"
copyright = "the torquenet developers"  # noqa: A001 - Sphinx's name
release = torquenet.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "torquenet_apidoc",
]

exclude_patterns = ["_build", "_ext"]
templates_path: list[str] = []
default_role = "py:obj"
nitpicky = False

# -- autodoc ------------------------------------------------------------------------------------
autodoc_member_order = "bysource"
# The numpydoc sections state the types in words ("ndarray, shape (L, L, 3)"); in signatures the
# expanded numpy aliases (ndarray[tuple[Any, ...], dtype[float64]]) would only add noise.
autodoc_typehints = "description"
autodoc_typehints_description_target = "documented_params"
autodoc_typehints_format = "short"
autodoc_preserve_defaults = True
autodoc_class_signature = "mixed"
autodoc_inherit_docstrings = True
python_use_unqualified_type_names = True

# -- napoleon (numpydoc-style docstrings) -------------------------------------------------------
napoleon_google_docstring = False
napoleon_numpy_docstring = True
# "Attributes" sections become :ivar: fields, so that they do not duplicate the dataclass fields
# that autodoc documents as members.
napoleon_use_ivar = True
napoleon_use_rtype = False
napoleon_preprocess_types = False

# -- HTML ---------------------------------------------------------------------------------------
try:
    import furo  # noqa: F401

    html_theme = "furo"
except ImportError:
    html_theme = "alabaster"
html_title = f"torquenet {release} API reference"
html_static_path: list[str] = []
html_show_sourcelink = False
