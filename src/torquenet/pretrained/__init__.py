"""The trained models shipped with torquenet, and their model cards.

``default_model_path()`` is the torque model used by ``torquenet demo`` and by ``--solver cnn``
when no ``--model`` is given; ``energy_model_path()`` is the energy model (a learned grand
potential, fields by autograd) used by ``torquenet mc`` when no ``--model`` is given.
:func:`resolve_model_file` is the one place those choices are made; ``MODEL_CARD.md`` and
``ENERGY_MODEL_CARD.md`` next to them state the data recipe, physics, architecture, training
cost, measured accuracy and known limits.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "DEFAULT_MODEL_NAME",
    "ENERGY_MODEL_NAME",
    "default_model_path",
    "energy_model_path",
    "model_card",
    "resolve_model_file",
]

#: File name of the shipped torque model (inside this package directory).
DEFAULT_MODEL_NAME = "torque_equivariant.pt"
#: File name of the shipped energy model.
ENERGY_MODEL_NAME = "energy_equivariant.pt"


def _shipped(name: str) -> Path:
    path = Path(__file__).with_name(name)
    if not path.is_file():
        raise FileNotFoundError(
            f"the shipped model {str(path)!r} is missing from this installation; reinstall "
            "torquenet or pass a model file explicitly"
        )
    return path


def default_model_path() -> Path:
    """Path of the shipped torque model file.

    Raises
    ------
    FileNotFoundError
        If the installation lacks it (e.g. a source tree without package data).
    """
    return _shipped(DEFAULT_MODEL_NAME)


def energy_model_path() -> Path:
    """Path of the shipped energy model file (architecture ``energy``: Omega and its fields).

    Raises
    ------
    FileNotFoundError
        If the installation lacks it.
    """
    return _shipped(ENERGY_MODEL_NAME)


def resolve_model_file(model_file: str | Path | None, *, energy: bool = False) -> Path:
    """The model file a run uses: ``model_file``, or for None or "" the shipped torque model
    (``energy=True``: the shipped energy model).

    Examples
    --------
    >>> resolve_model_file("") == default_model_path()
    True
    >>> resolve_model_file(None, energy=True) == energy_model_path()
    True
    >>> resolve_model_file("runs/mine.pt")
    PosixPath('runs/mine.pt')
    """
    if model_file is None or str(model_file) == "":
        return energy_model_path() if energy else default_model_path()
    return Path(model_file)


def model_card(energy: bool = False) -> str:
    """The text of the shipped torque model's card (``energy=True``: the energy model's)."""
    card = "ENERGY_MODEL_CARD.md" if energy else "MODEL_CARD.md"
    return Path(__file__).with_name(card).read_text()
