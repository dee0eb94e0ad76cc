"""Probe vectors for stochastic traces: distance colourings of the lattice with random phases.

A trace Tr A = sum_r r^dag A r is exact when the r are all unit vectors.  Probing sums unit vectors
of many sites into one probe, r_{c,s} = sum_{i in colour c} xi_i |i, s>, so that a probe costs
one sparse matrix-vector product per Chebyshev moment whatever the number of sites it covers.
The error terms xi_i^* xi_j A_{ij} couple only *different sites of the same colour*: a colouring
whose same-colour sites are at least a distance d apart leaves errors of the size of A at
distance >= d, and independent random phases xi_i = exp(i phi_i) make them average to zero.
(Tang & Saad 2012; for the gradient of the estimate, Wang, Chern, Batista & Barros, J. Chem.
Phys. 148, 094107 (2018).)
"""

from __future__ import annotations

import math

import numpy as np
import torch
from numpy.typing import NDArray

from torquenet._validation import check_int

#: Real components of one site's spinor, in this order, along the component axis of probe blocks.
SPINOR_COMPONENTS = ("up.real", "up.imag", "down.real", "down.imag")


def colouring_period(L: int, probing_distance: int) -> int:
    """Period k of the k x k sublattice colouring that realises ``probing_distance`` on L x L.

    Same-colour sites of the k x k colouring are the superlattice k (n1 a1 + n2 a2), whose
    shortest vector has length k, so the period equals the distance.  A distance >= L gives
    every site its own colour (k = L).

    Raises
    ------
    ValueError
        If k < L does not divide L: the colouring would not be periodic on the torus, and sites
        across the boundary would share a colour at less than the requested distance.

    Examples
    --------
    >>> colouring_period(48, 24), colouring_period(24, 24), colouring_period(12, 24)
    (24, 24, 12)
    """
    L = check_int("L", L, minimum=1)
    d = check_int("probing_distance", probing_distance, minimum=1)
    k = min(d, L)
    if L % k != 0:
        valid = [n for n in range(1, L + 1) if L % n == 0]
        raise ValueError(
            f"probing_distance = {d} does not divide L = {L}: the k x k colouring needs L % k "
            f"== 0 (or k >= L for one colour per site); valid distances for L = {L}: {valid}"
        )
    return k


def sublattice_colouring(L: int, period: int) -> NDArray[np.int64]:
    """Colour of every site, shape (L, L): (i mod k) * k + (j mod k), with k**2 colours.

    Examples
    --------
    >>> sublattice_colouring(4, 2)
    array([[0, 1, 0, 1],
           [2, 3, 2, 3],
           [0, 1, 0, 1],
           [2, 3, 2, 3]])
    """
    L = check_int("L", L, minimum=1)
    k = check_int("period", period, minimum=1, maximum=L)
    if L % k != 0:
        raise ValueError(f"colouring period {k} must divide L = {L}")
    i, j = np.meshgrid(np.arange(L), np.arange(L), indexing="ij")
    return (i % k) * k + (j % k)


def probe_vectors(
    colours: NDArray[np.int64],
    num_random_vectors: int,
    generator: torch.Generator,
    dtype: torch.dtype = torch.float64,
    device: torch.device | str = "cpu",
    random_phases: bool = True,
) -> torch.Tensor:
    """Probe vectors, one per (realisation, colour, spin), as columns of one real tensor.

    Parameters
    ----------
    colours : ndarray, shape (L, L), int
        Colour of each site (0 .. C-1), e.g. from :func:`sublattice_colouring`.
    num_random_vectors : int
        R: independent random-phase probes per (colour, spin) pair.  Ignored (one set is made)
        when every site has its own colour: the probes are then the unit vectors, and exact.
    generator : torch.Generator
        Source of the phases (a CPU generator, so results do not depend on the device).
    dtype, device
        Real dtype and device of the result.
    random_phases : bool
        False: every phase is 1 (one deterministic set, R ignored).  The cross terms A_ij of
        same-colour sites then add up coherently instead of averaging to zero: for a
        translation-invariant colouring the "trace" becomes the image sum
        sum_R A_(i, i+R) over the colouring's superlattice, a deterministic function that keeps
        every symmetry of A (used by :func:`local_spin_moments` as a descriptor).

    Returns
    -------
    Tensor, shape (L, L, 4, P)
        Components ``SPINOR_COMPONENTS`` of probe p = (realisation * C + colour) * 2 + spin;
        P = 2 C R.  Probe (c, s) holds exp(i phi_i) on spin s of the sites of colour c.

    Examples
    --------
    >>> r = probe_vectors(sublattice_colouring(4, 4), 1, torch.Generator().manual_seed(0))
    >>> tuple(r.shape), float(r.sum())  # unit vectors: deterministic
    ((4, 4, 4, 32), 32.0)
    """
    colours = np.asarray(colours)
    L = colours.shape[0]
    num_colours = int(colours.max()) + 1
    R = check_int("num_random_vectors", num_random_vectors, minimum=1)
    deterministic = num_colours == colours.size or not random_phases
    if deterministic:
        R = 1
        phases = torch.zeros((1, L, L), dtype=torch.float64)
    else:
        phases = 2 * math.pi * torch.rand((R, L, L), generator=generator, dtype=torch.float64)
    num_probes = 2 * num_colours * R
    out = torch.zeros((L, L, 4, num_probes), dtype=torch.float64)
    colour = torch.from_numpy(colours).to(torch.int64)
    i, j = torch.meshgrid(torch.arange(L), torch.arange(L), indexing="ij")
    for realisation in range(R):
        for spin in range(2):
            p = (realisation * num_colours + colour) * 2 + spin
            out[i, j, 2 * spin, p] = torch.cos(phases[realisation])
            out[i, j, 2 * spin + 1, p] = torch.sin(phases[realisation])
    return out.to(device=device, dtype=dtype)
