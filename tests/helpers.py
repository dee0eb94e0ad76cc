"""Reusable assertions and tools for physics tests."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def random_rotation(rng: np.random.Generator) -> NDArray[np.float64]:
    """Haar-random SO(3) matrix (QR of a Gaussian matrix with sign fix)."""
    q, r = np.linalg.qr(rng.standard_normal((3, 3)))
    q = q * np.sign(np.diag(r))
    if np.linalg.det(q) < 0:
        q[:, 0] = -q[:, 0]
    return q


def rotate_spin(s: NDArray, axis: NDArray, angle: float) -> NDArray:
    """Rodrigues rotation of vector s about unit ``axis`` by ``angle``."""
    axis = axis / np.linalg.norm(axis)
    return (
        s * np.cos(angle)
        + np.cross(axis, s) * np.sin(angle)
        + axis * np.dot(axis, s) * (1 - np.cos(angle))
    )


def central_difference(f, x: float, step: float) -> float:
    """(f(x + h) - f(x - h)) / 2h: error O(h^2 f''')."""
    return (f(x + step) - f(x - step)) / (2 * step)


def assert_same_trajectory(a, b) -> None:
    """Two Trajectory objects hold bit-identical arrays and the same run-defining attributes."""
    assert set(a.arrays()) == set(b.arrays())
    for name, value in a.arrays().items():
        assert np.array_equal(value, getattr(b, name)), f"{name} differs"
    for key in ("config", "seed", "seed_derivation", "llg_equation", "schema_version"):
        assert a.attributes[key] == b.attributes[key], key
