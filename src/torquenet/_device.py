"""Resolve the compute device once, loudly, with no silent fallback."""

from __future__ import annotations

import logging

import torch

logger = logging.getLogger(__name__)

DEVICE_CHOICES = ("auto", "cpu", "cuda")


def resolve_device(name: str = "auto") -> torch.device:
    """Turn "auto" | "cpu" | "cuda" | "cuda:N" into a torch.device.

    "auto" picks CUDA when present, else the CPU, and logs the choice.  Asking for CUDA when it is
    absent raises instead of falling back.
    """
    if not isinstance(name, str) or not (name in DEVICE_CHOICES or name.startswith("cuda:")):
        raise ValueError(f"device must be one of {DEVICE_CHOICES} or 'cuda:N', got {name!r}")
    if name == "auto":
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        logger.info("device 'auto' resolved to %s", device)
        return device
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError(f"device {name!r} requested but CUDA is not available on this machine")
    return torch.device(name)
