"""Input checks shared by every public boundary; messages name the value and what is allowed."""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np
from numpy.typing import NDArray

#: Largest allowed deviation of |S_i| from 1 for user-supplied spins.  float32 files carry
#: ~1e-7 rounding, so 1e-6 accepts them while still catching unnormalised input.
SPIN_NORM_TOLERANCE = 1e-6


def check_int(
    name: str, value: object, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    """Return ``value`` as int, raising if it is not an integer in [minimum, maximum]."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}")
    return value


def check_float(
    name: str,
    value: object,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    strict_minimum: bool = False,
) -> float:
    """Return ``value`` as a finite float, raising if it is outside the allowed range."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a real number, got {value!r} ({type(value).__name__})")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if minimum is not None:
        if strict_minimum and value <= minimum:
            raise ValueError(f"{name} must be > {minimum}, got {value}")
        if value < minimum:
            raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}")
    return value


def check_spins(
    spins: object,
    *,
    L: int | None = None,
    name: str = "spins",
    tolerance: float = SPIN_NORM_TOLERANCE,
    square: bool = True,
) -> NDArray[np.float64]:
    """Validate a spin texture of shape (L, L, 3) or a batch (B, L, L, 3) of unit vectors.

    Returns the spins as a float64 array (a copy only when a conversion is needed).  With
    ``square=False`` a block (rows, L, 3) of whole rows of an L x L lattice (one process's slab
    of a domain-decomposed run) passes too.

    Raises
    ------
    ValueError
        Wrong shape, non-square lattice, NaN/inf, or |S_i| deviating from 1 by more than
        ``tolerance``.
    """
    arr = np.asarray(spins)
    if arr.dtype.kind not in "fiu":
        raise TypeError(f"{name} must be a real array, got dtype {arr.dtype}")
    arr = arr.astype(np.float64, copy=False)
    if arr.ndim not in (3, 4) or arr.shape[-1] != 3 or (square and arr.shape[-3] != arr.shape[-2]):
        want = f"({L}, {L}, 3)" if L else "(L, L, 3)"
        raise ValueError(
            f"{name} must have shape {want} or a batch (B, {want[1:]}, got {arr.shape}"
        )
    if arr.shape[-2] == 0 or arr.shape[-3] == 0 or (arr.ndim == 4 and arr.shape[0] == 0):
        raise ValueError(f"{name} must hold at least one site (L >= 1), got shape {arr.shape}")
    if L is not None and arr.shape[-2] != L:
        raise ValueError(f"{name} must have shape ({L}, {L}, 3) for L = {L}, got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        bad = tuple(int(k) for k in np.argwhere(~np.isfinite(arr))[0])
        raise ValueError(f"{name} contain NaN or inf (first at index {bad})")
    norm_err = np.abs(np.linalg.norm(arr, axis=-1) - 1.0)
    if norm_err.size and norm_err.max() > tolerance:
        idx = tuple(int(k) for k in np.unravel_index(np.argmax(norm_err), norm_err.shape))
        raise ValueError(
            f"{name} must be unit vectors (| |S| - 1 | <= {tolerance:g}); site {idx} has "
            f"|S| = {np.linalg.norm(arr[idx]):.9g}"
        )
    return arr


def check_finite(name: str, values: NDArray, hint: str = "") -> NDArray:
    """Return ``values``, raising ValueError at the first NaN/inf (its index; ``hint`` appended)."""
    values = np.asarray(values)
    if not np.all(np.isfinite(values)):
        first = tuple(int(k) for k in np.argwhere(~np.isfinite(values))[0])
        raise ValueError(f"{name} contain NaN or inf (first at index {first}){hint}")
    return values
