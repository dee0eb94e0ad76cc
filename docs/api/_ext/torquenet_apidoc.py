"""Sphinx extension of the torquenet API reference: the entries of every page come from ``__all__``.

Two directives:

``.. torquenet-api:: torquenet.model``
    The module's docstring, a summary table and one autodoc entry (``autoclass``,
    ``autoexception``, ``autofunction`` or ``autodata``) for every name in the module's
    ``__all__``, in that order.  A name that the root facade ``torquenet`` re-exports from a
    subpackage links to the subpackage's entry instead of being documented twice.

``.. torquenet-cli::``
    ``torquenet --help`` and ``torquenet <command> --help`` (subcommands of subcommands
    included), rendered from the argparse parser of :func:`torquenet.cli.build_parser`.

The functions that write the reStructuredText (:func:`api_rst`, :func:`cli_rst`) need neither
Sphinx nor docutils: ``tests/test_api_docs.py`` calls them to check that every public name is
documented.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import hashlib
import importlib
import inspect
import os
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

#: The public subpackages, one reference page each (``docs/api/<last part>.rst``).
SUBPACKAGES = (
    "torquenet.lattice",
    "torquenet.model",
    "torquenet.textures",
    "torquenet.observables",
    "torquenet.solvers",
    "torquenet.dynamics",
    "torquenet.sampling",
    "torquenet.data",
    "torquenet.ml",
    "torquenet.analysis",
    "torquenet.runs",
    "torquenet.pretrained",
)
#: Every documented module: the root facade and the subpackages.
MODULES = ("torquenet", *SUBPACKAGES)

#: autodoc directive and summary heading of each kind of public name, in page order.
KINDS = {
    "class": ("autoclass", "Classes"),
    "exception": ("autoexception", "Exceptions"),
    "function": ("autofunction", "Functions"),
    "data": ("autodata", "Constants and type aliases"),
}
#: Width of the ``--help`` texts on the command-line page.
HELP_COLUMNS = 92


def public_names(modname: str) -> list[str]:
    """``__all__`` of module ``modname`` (an error if it has none: public modules need one)."""
    module = importlib.import_module(modname)
    names = getattr(module, "__all__", None)
    if names is None:
        raise AttributeError(f"{modname} has no __all__: its public names cannot be documented")
    return list(names)


def kind_of(obj: object) -> str:
    """Which autodoc directive documents ``obj``: a key of :data:`KINDS`."""
    if inspect.isclass(obj):
        return "exception" if issubclass(obj, BaseException) else "class"
    if inspect.isroutine(obj):
        return "function"
    return "data"


def canonical_locations() -> dict[int, str]:
    """id of every object in a subpackage's ``__all__`` -> its documented name there."""
    where: dict[int, str] = {}
    for modname in SUBPACKAGES:
        module = importlib.import_module(modname)
        for name in public_names(modname):
            obj = getattr(module, name)
            if kind_of(obj) != "data":
                where.setdefault(id(obj), f"{modname}.{name}")
    return where


def _submodules(module: ModuleType) -> Iterator[str]:
    """``module`` and the modules of its package that define its names (``__main__`` excluded)."""
    yield module.__name__
    for info in pkgutil.iter_modules(getattr(module, "__path__", [])):
        if info.name != "__main__" and not info.ispkg:
            yield f"{module.__name__}.{info.name}"


def doc_comments(path: str | Path) -> dict[str, list[str]]:
    """``#:`` comments right above the module-level assignments of the Python file ``path``.

    The same convention as autodoc's, read without Sphinx (the fast test has no Sphinx).
    """
    source = Path(path).read_text()
    lines = source.splitlines()
    found: dict[str, list[str]] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign):
            targets = [t.id for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            targets = [node.target.id]
        else:
            continue
        comment: list[str] = []
        number = node.lineno - 2  # the line above, 0-based
        while number >= 0 and lines[number].lstrip().startswith("#:"):
            text = lines[number].lstrip()[2:]
            comment.insert(0, text[1:] if text.startswith(" ") else text)
            number -= 1
        for name in targets:
            if comment:
                found[name] = comment
    return found


def data_comments(modname: str) -> dict[str, list[str]]:
    """``#:`` doc comments of the data names in ``__all__``, found where they are defined.

    autodoc reads doc comments from the module it documents (the package's ``__init__``), but
    the constants are defined in private modules; this finds the comment of each one in the
    package's module that binds the same object under the same name.
    """
    module = importlib.import_module(modname)
    wanted = {n for n in public_names(modname) if kind_of(getattr(module, n)) == "data"}
    found: dict[str, list[str]] = {}
    for sub in _submodules(module):
        submodule = importlib.import_module(sub)
        path = getattr(submodule, "__file__", None)
        if not path or not path.endswith(".py"):
            continue
        for name, lines in doc_comments(path).items():
            if (
                name in wanted
                and name not in found
                and getattr(submodule, name, None) is getattr(module, name)
            ):
                found[name] = lines
    return found


def _doc_lines(obj: object) -> list[str]:
    return (inspect.getdoc(obj) or "").splitlines()


def summary_line(lines: list[str]) -> str:
    """The first sentence of a docstring, on one line, ready for a table cell.

    The first paragraph, cut after its first sentence that ends in a full stop and two spaces
    (the docstrings' sentence separator; ``S . sigma`` and ``e.g. x`` are not sentence ends).
    """
    paragraph: list[str] = []
    for line in lines:
        if not line.strip():
            if paragraph:
                break
            continue
        paragraph.append(line.strip())
    text = " ".join(paragraph)
    if ".  " in text:
        text = text[: text.index(".  ") + 1]
    return escape_bars([text])[0] or "(undocumented)"


def _value_is_short(obj: object) -> bool:
    text = repr(obj)
    return len(text) <= 70 and "\n" not in text


def api_rst(modname: str) -> list[str]:
    """reStructuredText of the reference of ``modname``: docstring, summary, one entry per name."""
    module = importlib.import_module(modname)
    names = public_names(modname)
    elsewhere = canonical_locations() if modname == "torquenet" else {}
    groups: dict[str, list[str]] = {kind: [] for kind in KINDS}
    links: list[tuple[str, str, str]] = []
    for name in names:
        obj = getattr(module, name)
        kind = kind_of(obj)
        if id(obj) in elsewhere and kind != "data":
            links.append((name, kind, elsewhere[id(obj)]))
        else:
            groups[kind].append(name)

    lines = [f".. automodule:: {modname}", "   :no-members:", ""]
    if links:
        lines += [
            ".. rubric:: Re-exported from the subpackages",
            "",
            ".. list-table::",
            "   :header-rows: 1",
            "   :widths: 30 70",
            "",
            "   * - name",
            "     - documented as",
        ]
        for name, kind, target in links:
            role = "exc" if kind == "exception" else "func" if kind == "function" else "class"
            lines += [f"   * - ``{modname}.{name}``", f"     - :{role}:`{target}`"]
        lines.append("")
    documented = [n for kind in KINDS for n in groups[kind]]
    if documented:
        comments = data_comments(modname)
        lines += [
            ".. rubric:: Summary",
            "",
            ".. list-table::",
            "   :widths: 30 70",
            "   :class: torquenet-summary",
            "",
        ]
        for name in documented:
            obj = getattr(module, name)
            kind = kind_of(obj)
            role = {"class": "class", "exception": "exc", "function": "func"}.get(kind, "data")
            summary = summary_line(comments.get(name, []) if kind == "data" else _doc_lines(obj))
            lines += [f"   * - :{role}:`~{modname}.{name}`", f"     - {summary}"]
        lines.append("")
    for kind, (directive, heading) in KINDS.items():
        if not groups[kind]:
            continue
        lines += [heading, "-" * len(heading), ""]
        for name in groups[kind]:
            lines.append(f".. {directive}:: {modname}.{name}")
            if kind in ("class", "exception"):
                lines += ["   :members:", "   :show-inheritance:"]
            elif kind == "data" and not _value_is_short(getattr(module, name)):
                lines.append("   :no-value:")
            lines.append("")
    return lines


#: Directives whose content is not reStructuredText text (``|`` is left alone there).
VERBATIM_DIRECTIVES = (
    "math",
    "code-block",
    "code",
    "sourcecode",
    "doctest",
    "testcode",
    "testoutput",
)
_DIRECTIVE = re.compile(r"^(\s*)\.\.\s+([\w:-]+)::")
#: Inline literals, roles with their text (``:math:`|q|```) and interpreted text: kept verbatim.
_VERBATIM_INLINE = re.compile(r"``.+?``|(?::[\w:-]+:)?`[^`]+`_{0,2}")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def escape_bars(lines: list[str]) -> list[str]:
    """Docstring lines with every ``|`` of the text escaped (``\\|``).

    The docstrings are written to be read as plain text too (``help()``), where ``|S|`` is an
    absolute value and ``a | b`` an alternative; reStructuredText would read ``|S|`` as a
    substitution reference.  ``|`` stays as it is in inline literals, in roles (``:math:`|q|```),
    in doctest blocks, in literal blocks (after ``::``) and in math and code directives.
    """
    out: list[str] = []
    verbatim_indent: int | None = None  # inside a block indented deeper than this
    in_doctest = False
    for line in lines:
        stripped = line.strip()
        if verbatim_indent is not None:
            if not stripped or _indent(line) > verbatim_indent:
                out.append(line)
                continue
            verbatim_indent = None
        if in_doctest:
            if stripped:
                out.append(line)
                continue
            in_doctest = False
        if stripped.startswith(">>>"):
            in_doctest = True
            out.append(line)
            continue
        directive = _DIRECTIVE.match(line)
        if directive:
            if directive.group(2) in VERBATIM_DIRECTIVES:
                verbatim_indent = _indent(line)
                out.append(line)
                continue
        elif stripped.endswith("::"):
            verbatim_indent = _indent(line)
        pieces, start = [], 0
        for match in _VERBATIM_INLINE.finditer(line):
            pieces += [line[start : match.start()].replace("|", "\\|"), match.group()]
            start = match.end()
        pieces.append(line[start:].replace("|", "\\|"))
        out.append("".join(pieces))
    return out


@contextlib.contextmanager
def _help_width(columns: int) -> Iterator[None]:
    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(columns)
    try:
        yield
    finally:
        if old is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = old


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:  # noqa: SLF001 - argparse has no public accessor
        if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
            return dict(action.choices)
    return {}


def _help_sections(
    parser: argparse.ArgumentParser, words: tuple[str, ...], level: int
) -> Iterator[tuple[tuple[str, ...], int, str]]:
    yield words, level, parser.format_help()
    for name, sub in _subcommands(parser).items():
        yield from _help_sections(sub, (*words, name), level + 1)


def cli_rst() -> list[str]:
    """reStructuredText of the command-line page: every ``--help`` text of the parser."""
    from torquenet.cli import build_parser

    underline = {0: "-", 1: "-", 2: "~", 3: "^"}
    lines: list[str] = []
    with _help_width(HELP_COLUMNS):
        for words, level, text in _help_sections(build_parser(), ("torquenet",), 0):
            title = " ".join(words)
            command = f"``{title}``"
            lines += [f".. _cli-{'-'.join(words[1:]) or 'main'}:", "", command]
            lines += [underline[min(level, 3)] * len(command), ""]
            lines += [".. code-block:: text", ""]
            lines += [f"   {line}".rstrip() for line in text.rstrip().splitlines()]
            lines.append("")
    return lines


def setup(app):  # pragma: no cover - exercised by the Sphinx build
    from docutils import nodes
    from docutils.statemachine import StringList
    from sphinx.util.docutils import SphinxDirective
    from sphinx.util.nodes import nested_parse_with_titles

    comments: dict[str, list[str]] = {}

    class _Generated(SphinxDirective):
        def render(self, lines: list[str]) -> list[nodes.Node]:
            source = self.get_source_info()[0]
            content = StringList(lines, source=f"{source}<generated>")
            node = nodes.container()
            nested_parse_with_titles(self.state, content, node)
            return node.children

    class ApiDirective(_Generated):
        required_arguments = 1

        def run(self) -> list[nodes.Node]:
            modname = self.arguments[0]
            module = importlib.import_module(modname)
            for sub in _submodules(module):
                path = getattr(importlib.import_module(sub), "__file__", None)
                if path:
                    self.env.note_dependency(path)
            for name, lines in data_comments(modname).items():
                comments[f"{modname}.{name}"] = lines
            return self.render(api_rst(modname))

    class CliDirective(_Generated):
        def run(self) -> list[nodes.Node]:
            return self.render(cli_rst())

    def prepare_docstring(app, what, name, obj, options, lines):
        # autodoc looks for ``#:`` comments in the package's __init__; use the defining module's.
        if what == "data" and name in comments:
            lines[:] = list(comments[name])
        lines[:] = escape_bars(lines)

    app.add_directive("torquenet-api", ApiDirective)
    app.add_directive("torquenet-cli", CliDirective)
    # before napoleon (priority 500), which then reads the escaped text
    app.connect("autodoc-process-docstring", prepare_docstring, priority=100)
    # a change of this file re-reads every page (Sphinx does not track extension sources)
    env_version = int(hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12], 16)
    return {
        "version": "1",
        "env_version": env_version,
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }
