"""Rebuild ``tutorial.ipynb`` from its plain-script twin ``tutorial.py`` (cells split at ``# %%``).

The script is the source: edit it, then run ``python examples/sync_tutorial.py``.  A test checks
that the committed notebook holds exactly the script's cells.
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent


def cells_of(script: str) -> list[dict]:
    """Notebook cells of a percent-format script: ``# %%`` code, ``# %% [markdown]`` markdown."""
    cells, kind, lines = [], None, []

    def close() -> None:
        text = "\n".join(lines).strip("\n")
        if kind is None or not text:
            return
        if kind == "markdown":
            text = "\n".join(
                line[2:] if line.startswith("# ") else line.lstrip("#")
                for line in text.splitlines()
            )
            cells.append({"cell_type": "markdown", "metadata": {}, "source": _source(text)})
        else:
            cells.append(
                {
                    "cell_type": "code",
                    "execution_count": None,
                    "metadata": {},
                    "outputs": [],
                    "source": _source(text),
                }
            )

    for line in script.splitlines():
        if line.startswith("# %%"):
            close()
            kind, lines = ("markdown" if "[markdown]" in line else "code"), []
        else:
            lines.append(line)
    close()
    return cells


def _source(text: str) -> list[str]:
    parts = text.split("\n")
    return [p + "\n" for p in parts[:-1]] + [parts[-1]]


def notebook_of(script: str) -> dict:
    return {
        "cells": cells_of(script),
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def main() -> None:
    notebook = notebook_of((HERE / "tutorial.py").read_text())
    for k, cell in enumerate(notebook["cells"]):
        cell["id"] = f"cell-{k}"
    (HERE / "tutorial.ipynb").write_text(json.dumps(notebook, indent=1) + "\n")
    print(f"wrote {HERE / 'tutorial.ipynb'} ({len(notebook['cells'])} cells)")


if __name__ == "__main__":
    main()
