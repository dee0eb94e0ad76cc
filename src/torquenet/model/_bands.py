"""Analytic band structure and bare spin susceptibility of the uniform (J = 0) electrons."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from torquenet.lattice import TriangularLattice
from torquenet.model._fermi import fermi_function
from torquenet.model._params import SDModelParams


def band_energy(k: NDArray[np.float64], params: SDModelParams) -> NDArray[np.float64]:
    """Tight-binding band eps(k) = -sum_n t_n sum_{delta in shell n} cos(k . delta).

    Parameters
    ----------
    k : ndarray, shape (..., 2)
        Cartesian momenta.
    """
    k = np.asarray(k, dtype=np.float64)
    eps = np.zeros(k.shape[:-1])
    for shell, t in enumerate(params.hopping, start=1):
        if t == 0.0:
            continue
        deltas = TriangularLattice.neighbor_offsets(shell) @ TriangularLattice.primitive_vectors
        eps -= t * np.cos(k @ deltas.T).sum(axis=-1)
    return eps


def bare_susceptibility(
    q: NDArray[np.float64], params: SDModelParams, num_k: int, kT: float | None = None
) -> NDArray[np.float64]:
    """Static Lindhard susceptibility chi0(q) on a num_k x num_k momentum grid.

    .. math::
        \\chi_0(q) = -\\frac{1}{N} \\sum_k \\frac{f(\\epsilon_k) - f(\\epsilon_{k+q})}
                                              {\\epsilon_k - \\epsilon_{k+q}}

    with the derivative -f'(eps) where the two energies coincide.  A maximum of chi0 at q marks
    the spin-density-wave instability at that wave vector (RKKY-like, to order J^2).

    Parameters
    ----------
    q : ndarray, shape (..., 2)
    num_k : int
        Momentum grid of the electrons (finer grid = closer to the thermodynamic limit).
    kT : float, optional
        Electron temperature (must be > 0 here); defaults to params.electron_temperature.
    """
    kT = params.electron_temperature if kT is None else kT
    if kT <= 0:
        raise ValueError(f"bare_susceptibility needs kT > 0 on a finite grid, got {kT}")
    k = TriangularLattice(num_k).momenta.reshape(-1, 2)
    mu = params.chemical_potential
    eps_k = band_energy(k, params)
    f_k = fermi_function(eps_k, mu, kT)
    q = np.asarray(q, dtype=np.float64)
    out = np.empty(q.shape[:-1])
    for idx in np.ndindex(out.shape):
        eps_kq = band_energy(k + q[idx], params)
        de = eps_k - eps_kq
        df = f_k - fermi_function(eps_kq, mu, kT)
        small = np.abs(de) < 1e-9
        ratio = np.where(small, 0.0, df / np.where(small, 1.0, de))
        deriv = f_k * (1 - f_k) / kT  # -f'(eps)
        out[idx] = np.mean(np.where(small, deriv, -ratio))
    return out
