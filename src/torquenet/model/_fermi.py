"""Fermi-Dirac occupation and grand-potential terms, exact at kT = 0."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def fermi_function(energy: NDArray, chemical_potential: float, kT: float) -> NDArray:
    """Occupation f(E) = 1 / (1 + exp((E - mu) / kT)); at kT = 0 a step with f(mu) = 1/2."""
    x = np.asarray(energy, dtype=np.float64) - chemical_potential
    if kT == 0.0:
        return np.where(x < 0, 1.0, np.where(x > 0, 0.0, 0.5))
    return 0.5 * (1.0 - np.tanh(0.5 * x / kT))


def grand_potential_terms(energy: NDArray, chemical_potential: float, kT: float) -> NDArray:
    """Per-level grand potential omega(E) = -kT ln(1 + exp(-(E - mu)/kT)); min(E - mu, 0) at kT=0.

    d omega / dE = f(E), which makes fields = -dOmega/dS = <-dH/dS>.
    """
    x = np.asarray(energy, dtype=np.float64) - chemical_potential
    if kT == 0.0:
        return np.minimum(x, 0.0)
    # -kT log(1 + e^{-x/kT}) written without overflow: min(x,0) - kT log1p(e^{-|x|/kT})
    return np.minimum(x, 0.0) - kT * np.log1p(np.exp(-np.abs(x) / kT))
