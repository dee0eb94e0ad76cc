"""The import graph of src/torquenet: layered (no import from a lower layer to a higher one) and
free of circles, read from the AST of every module (function-level and TYPE_CHECKING imports
included, so a lazy import cannot hide a dependency)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

#: Subpackages and top-level modules from the bottom up.  A module may import its own layer and
#: the layers below it, never one above.  The exact physics (lattice .. dynamics) knows nothing of
#: the learned model; storage (data) knows nothing of how the data is produced (runs).
LAYERS: tuple[tuple[str, ...], ...] = (
    ("_version", "_validation", "_device", "config", "pretrained"),
    ("lattice",),
    ("model",),
    ("_typing",),
    ("textures",),
    ("observables",),
    ("solvers",),
    ("dynamics", "sampling"),
    ("data",),
    ("ml",),
    ("analysis",),
    ("runs",),
    ("cli", "__main__"),
)
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}


def module_name(path: Path, root: Path = SRC) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imported_modules(path: Path, root: Path = SRC) -> list[tuple[str, int]]:
    """(absolute module name, line) of every torquenet import in the file at ``path``."""
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.append((target, node.lineno))
            # "from torquenet.ml import x" may name a submodule x of that package
            for alias in node.names:
                candidate = f"{target}.{alias.name}"
                if _exists(candidate, root):
                    found.append((candidate, node.lineno))
    return [(t, line) for t, line in found if t == "torquenet" or t.startswith("torquenet.")]


def _exists(module: str, root: Path = SRC) -> bool:
    base = root.joinpath(*module.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def layer_of(module: str) -> str | None:
    """The top-level unit ("ml", "config", ...) of a torquenet module; None for the root."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def import_graph(root: Path = SRC) -> dict[str, set[str]]:
    """Module -> modules it causes to be imported (parent packages included, except its own)."""
    graph: dict[str, set[str]] = {}
    for path in sorted((root / "torquenet").rglob("*.py")):
        name = module_name(path, root)
        targets: set[str] = set()
        for target, _ in imported_modules(path, root):
            parts = target.split(".")
            for k in range(1, len(parts) + 1):
                ancestor = ".".join(parts[:k])
                if not (name == ancestor or name.startswith(ancestor + ".")):
                    targets.add(ancestor)
        graph[name] = {t for t in targets if _exists(t, root)}
    return graph


def layer_violations(root: Path = SRC) -> list[str]:
    out = []
    for path in sorted((root / "torquenet").rglob("*.py")):
        name = module_name(path, root)
        here = layer_of(name)
        for target, line in imported_modules(path, root):
            there = layer_of(target)
            if here is None:  # the package root is the facade: it may import any layer
                continue
            if there is None:
                out.append(f"{path.relative_to(root)}:{line} imports the package root {target}")
            elif here not in RANK or there not in RANK:
                unknown = here if here not in RANK else there
                out.append(f"{path.relative_to(root)}:{line}: {unknown!r} has no layer in LAYERS")
            elif RANK[there] > RANK[here]:
                out.append(
                    f"{path.relative_to(root)}:{line}: {here} (layer {RANK[here]}) imports "
                    f"{target} (layer {RANK[there]})"
                )
    return out


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return cycles


def test_every_unit_has_a_layer():
    units = {p.stem if p.is_file() else p.name for p in (SRC / "torquenet").iterdir()}
    units = {u for u in units if u != "__init__" and not u.startswith("__pycache__")}
    units = {u for u in units if _exists(f"torquenet.{u}")}
    assert units <= set(RANK), f"give {sorted(units - set(RANK))} a layer in LAYERS"


def test_no_import_from_a_lower_layer_to_a_higher_one():
    assert layer_violations() == []


def test_no_import_circles():
    assert import_cycles(import_graph()) == []


def test_the_checks_can_fail(tmp_path):
    """A forbidden upward import and a circle are both reported."""
    package = tmp_path / "torquenet"
    for unit in ("lattice", "ml"):
        (package / unit).mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "lattice" / "__init__.py").write_text("from torquenet.ml import model\n")
    (package / "ml" / "__init__.py").write_text("")
    (package / "ml" / "model.py").write_text("from torquenet.ml import helper\n")
    (package / "ml" / "helper.py").write_text("import torquenet.ml.model\n")
    violations = layer_violations(tmp_path)
    assert len(violations) == 2 and all("lattice" in v and "imports" in v for v in violations)
    assert import_cycles(import_graph(tmp_path)) == [["torquenet.ml.helper", "torquenet.ml.model"]]


@pytest.mark.parametrize("folder", ["studies", "benchmarks"])
def test_studies_and_benchmarks_use_public_names_only(folder):
    """No ``torquenet.<pkg>._private`` import outside the package (tests may look inside)."""
    root = SRC.parent / folder
    private = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                parts = name.split(".")
                if parts[0] == "torquenet" and any(p.startswith("_") for p in parts[1:]):
                    private.append(f"{path.relative_to(SRC.parent)}:{node.lineno}: {name}")
    assert private == []
