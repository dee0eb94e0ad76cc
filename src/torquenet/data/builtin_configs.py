"""Configs shipped inside the package (``src/torquenet/configs/*.yaml``), addressed by name."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def builtin_config_names(prefix: str) -> list[str]:
    """Names of the shipped configs ``<prefix>_<name>.yaml`` (e.g. prefix "data")."""
    folder = resources.files("torquenet") / "configs"
    return sorted(
        p.name[len(prefix) + 1 : -5]
        for p in folder.iterdir()
        if p.name.startswith(prefix + "_") and p.name.endswith(".yaml")
    )


def resolve_config_path(name_or_path: str, prefix: str) -> Path:
    """A shipped config by name ("tiny", "default", "paper") or a YAML file path."""
    if name_or_path in builtin_config_names(prefix):
        return Path(str(resources.files("torquenet") / "configs" / f"{prefix}_{name_or_path}.yaml"))
    path = Path(name_or_path)
    if not path.is_file():
        raise FileNotFoundError(
            f"config {name_or_path!r} is neither a file nor a shipped config; shipped "
            f"{prefix} configs: {builtin_config_names(prefix)}"
        )
    return path
