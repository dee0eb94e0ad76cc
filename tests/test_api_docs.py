"""The API reference (docs/api) documents every public name and builds without a warning.

The pages' entries are generated from ``__all__`` by ``docs/api/_ext/torquenet_apidoc.py``; the
fast tests run that generator (no Sphinx needed) and check that every public subpackage has a
page, every name of every ``__all__`` an entry and a docstring (or ``#:`` comment), and every
subcommand a ``--help`` section.  The slow test runs the Sphinx build with warnings as errors.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "api"
sys.path.insert(0, str(DOCS / "_ext"))
import torquenet_apidoc as apidoc  # noqa: E402

DIRECTIVE = re.compile(r"^\.\. torquenet-api:: (\S+)\s*$", re.M)
ENTRY = re.compile(r"^\.\. auto(?:class|exception|function|data):: (\S+)\s*$", re.M)
LINK = re.compile(r"^   \* - ``(\S+)``\n     - :\w+:`(\S+)`", re.M)


def page_of(modname: str) -> Path:
    return DOCS / f"{modname.rsplit('.', 1)[-1]}.rst"


def expanded_source(path: Path) -> str:
    """A page's reStructuredText with its ``torquenet-api`` directives replaced by their output."""
    text = path.read_text()
    return DIRECTIVE.sub(lambda m: "\n".join(apidoc.api_rst(m.group(1))), text)


@pytest.fixture(scope="module")
def sources() -> dict[str, str]:
    return {modname: expanded_source(page_of(modname)) for modname in apidoc.MODULES}


def test_every_public_subpackage_has_a_page():
    package = ROOT / "src" / "torquenet"
    public = {
        f"torquenet.{p.name}"
        for p in package.iterdir()
        if (p / "__init__.py").is_file() and not p.name.startswith("_") and p.name != "cli"
    }
    assert public == set(apidoc.SUBPACKAGES)  # the command line has its own page (cli.rst)
    index = (DOCS / "index.rst").read_text()
    for modname in apidoc.MODULES:
        page = page_of(modname)
        assert page.is_file(), f"{modname} has no page {page.relative_to(ROOT)}"
        assert f".. torquenet-api:: {modname}" in page.read_text()
        assert re.search(rf"^   {page.stem}$", index, re.M), f"{page.name} not in index.rst"
    assert re.search(r"^   cli$", index, re.M)


@pytest.mark.parametrize("modname", apidoc.MODULES)
def test_every_public_name_has_an_entry(modname, sources):
    documented = {name for text in sources.values() for name in ENTRY.findall(text)}
    links = dict(LINK.findall(sources[modname]))
    missing = []
    for name in apidoc.public_names(modname):
        full = f"{modname}.{name}"
        if full in documented or links.get(full) in documented:
            continue
        missing.append(full)
    assert missing == [], f"public names without an entry in the API reference: {missing}"


@pytest.mark.parametrize("modname", apidoc.MODULES)
def test_every_public_name_is_documented(modname):
    """A docstring for each function and class, a ``#:`` comment for each constant."""
    module = importlib.import_module(modname)
    comments = apidoc.data_comments(modname)
    bare = []
    for name in apidoc.public_names(modname):
        obj = getattr(module, name)
        if apidoc.kind_of(obj) == "data":
            if not comments.get(name):
                bare.append(f"{name} (a '#:' comment above its assignment)")
        elif not (inspect.getdoc(obj) or "").strip():
            bare.append(f"{name} (a docstring)")
    assert bare == [], f"undocumented public names of {modname}: {bare}"


def test_the_command_line_page_has_every_subcommand():
    from torquenet.cli import SUBCOMMAND_MODULES

    text = "\n".join(apidoc.cli_rst())
    for module in SUBCOMMAND_MODULES:
        command = module.lstrip("_")
        assert f"``torquenet {command}``" in text
        assert f"usage: torquenet {command}" in text
    assert "``torquenet data info``" in text


def test_bars_are_escaped_in_text_only():
    lines = [
        "|S| = 1, ``|x|``, :math:`|q|` and `a|b`",
        "A literal block::",
        "",
        "    |kept|",
        "",
        ".. math::",
        "",
        "    |H| dt",
        "",
        ">>> abs(-1) | 0",
        "1",
        "",
        "after |y|",
    ]
    assert apidoc.escape_bars(lines) == [
        "\\|S\\| = 1, ``|x|``, :math:`|q|` and `a|b`",
        *lines[1:-1],
        "after \\|y\\|",
    ]


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_the_api_reference_builds_without_warnings(tmp_path):
    if importlib.util.find_spec("sphinx") is None:
        pytest.skip('Sphinx is not installed (pip install -e ".[docs]")')
    out = tmp_path / "html"
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
         "-d", str(tmp_path / "doctrees"), str(DOCS), str(out)],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-5000:] + result.stdout[-2000:]
    for modname in apidoc.MODULES:
        html = (out / f"{page_of(modname).stem}.html").read_text()
        for name in apidoc.public_names(modname):
            assert f'id="{modname}.{name}"' in html or modname == "torquenet", (modname, name)
    assert "usage: torquenet simulate" in (out / "cli.html").read_text()
