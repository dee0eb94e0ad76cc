"""The trained torque model shipped with torquenet, and its model card.

``default_model_path()`` is the model file used by ``torquenet demo`` and by
``--solver cnn`` when no ``--model`` is given (:func:`resolve_model_file` is the one place that
choice is made); ``MODEL_CARD.md`` next to it states the data recipe, physics, architecture,
training cost, measured accuracy and known limits.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["DEFAULT_MODEL_NAME", "default_model_path", "model_card", "resolve_model_file"]

#: File name of the shipped model (inside this package directory).
DEFAULT_MODEL_NAME = "torque_equivariant.pt"


def default_model_path() -> Path:
    """Path of the shipped model file.

    Raises
    ------
    FileNotFoundError
        If the installation lacks it (e.g. a source tree without package data).
    """
    path = Path(__file__).with_name(DEFAULT_MODEL_NAME)
    if not path.is_file():
        raise FileNotFoundError(
            f"the shipped model {str(path)!r} is missing from this installation; reinstall "
            "torquenet or pass a model file explicitly"
        )
    return path


def resolve_model_file(model_file: str | Path | None) -> Path:
    """The model file a run uses: ``model_file``, or the shipped model for None or "".

    Examples
    --------
    >>> resolve_model_file("") == default_model_path()
    True
    >>> resolve_model_file("runs/mine.pt")
    PosixPath('runs/mine.pt')
    """
    if model_file is None or str(model_file) == "":
        return default_model_path()
    return Path(model_file)


def model_card() -> str:
    """The text of the shipped model's card (MODEL_CARD.md)."""
    return Path(__file__).with_name("MODEL_CARD.md").read_text()
