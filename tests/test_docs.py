"""The repository documents itself: no pointers outside it, public names in examples, an index of
the studies."""

from __future__ import annotations

import ast
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TEXT_SUFFIXES = {".py", ".md", ".yaml", ".yml", ".toml", ".txt", ".cfg", ".sh", ""}


def tracked_files() -> list[Path]:
    try:
        out = subprocess.run(
            ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return [ROOT / line for line in out.splitlines() if (ROOT / line).is_file()]


def test_nothing_points_outside_the_repository():
    """The development machines' shared/ folder is not part of the project: users never see it."""
    pattern = re.compile(r"(?<![\w-])(\.\./)?shared/(FACTS|STYLE|reference|hooks)|FACTS\.md")
    hits = []
    for path in tracked_files():
        if path.suffix not in TEXT_SUFFIXES or path == Path(__file__).resolve():
            continue
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if pattern.search(line):
                hits.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:80]}")
    assert hits == []


def python_blocks(markdown: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", markdown, re.S)


@pytest.mark.parametrize("document", ["README.md", "REPRODUCTION.md", "BENCHMARKS.md"])
def test_examples_in_the_docs_import_public_names_only(document):
    private = []
    for block in python_blocks((ROOT / document).read_text()):
        for node in ast.walk(ast.parse(block)):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            private += [n for n in names if n.startswith("torquenet") and "._" in n]
    inline = re.findall(r"`(torquenet(?:\.\w+)*\._\w+)", (ROOT / document).read_text())
    assert private + inline == []


def test_every_study_script_is_indexed():
    index = (ROOT / "studies" / "README.md").read_text()
    scripts = sorted(p.name for p in (ROOT / "studies").glob("*.py") if not p.name.startswith("_"))
    assert [s for s in scripts if s not in index] == []
