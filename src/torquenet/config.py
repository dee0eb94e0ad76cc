"""YAML files -> frozen, validated dataclasses.  The only module that reads YAML.

Unknown keys are errors that name the key and list the valid ones; nested dataclasses are built
recursively; lists become tuples where the field is a tuple.
"""

from __future__ import annotations

import dataclasses
import typing
from pathlib import Path
from typing import Any, TypeVar

import yaml

T = TypeVar("T")


def from_mapping(cls: type[T], data: Any, where: str = "config") -> T:
    """Build dataclass ``cls`` from a mapping, validating keys; nested dataclasses recurse."""
    if isinstance(data, cls):
        return data
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise TypeError(f"{where} must be a mapping of {cls.__name__} fields, got {data!r}")
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls) if f.init]
    unknown = sorted(set(data) - set(names))
    if unknown:
        raise ValueError(
            f"unknown key(s) {unknown} in {where} ({cls.__name__}); valid keys: {sorted(names)}"
        )
    kwargs = {}
    for key, value in data.items():
        hint = hints[key]
        target = _dataclass_in(hint, value)
        if target is not None and isinstance(value, dict):
            kwargs[key] = from_mapping(target, value, f"{where}.{key}")
        elif isinstance(value, list) and _is_tuple(hint):
            kwargs[key] = tuple(tuple(v) if isinstance(v, list) else v for v in value)
        else:
            kwargs[key] = value
    return cls(**kwargs)


def to_mapping(obj: Any) -> Any:
    """Plain, YAML/JSON-serialisable form of a (nested) dataclass."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_mapping(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, (list, tuple)):
        return [to_mapping(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    return obj


def read_yaml(path: str | Path) -> dict:
    """Read a YAML mapping, with clear errors for a missing, unreadable or non-mapping file."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"config file {str(path)!r} does not exist")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ValueError(f"config file {str(path)!r} is not valid YAML: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValueError(
            f"config file {str(path)!r} must hold a mapping, got {type(data).__name__}"
        )
    return data


def load_config(path: str | Path, cls: type[T]) -> T:
    """Read YAML file ``path`` into dataclass ``cls``."""
    return from_mapping(cls, read_yaml(path), where=str(path))


def save_config(obj: Any, path: str | Path) -> None:
    """Write the resolved config next to an output, as YAML."""
    Path(path).write_text(yaml.safe_dump(to_mapping(obj), sort_keys=False))


def _dataclass_in(hint: Any, value: Any = None) -> type | None:
    """The dataclass a field holds; for a union of dataclasses (a tagged union), the member
    whose ``architecture`` default equals the mapping's ``architecture`` (else the first)."""
    if dataclasses.is_dataclass(hint):
        return hint
    options = [arg for arg in typing.get_args(hint) if dataclasses.is_dataclass(arg)]
    if len(options) > 1 and isinstance(value, dict) and "architecture" in value:
        for option in options:
            tags = {f.name: f.default for f in dataclasses.fields(option)}
            if tags.get("architecture") == value["architecture"]:
                return option
        valid = [
            {f.name: f.default for f in dataclasses.fields(o)}.get("architecture") for o in options
        ]
        raise ValueError(f"architecture must be one of {valid}, got {value['architecture']!r}")
    return options[0] if options else None


def _is_tuple(hint: Any) -> bool:
    origin = typing.get_origin(hint)
    if origin is tuple:
        return True
    return any(typing.get_origin(a) is tuple for a in typing.get_args(hint))
