"""Local spin-resolved Chebyshev moments of the s-d Hamiltonian, Tr_s[sigma <i|T_n(H~)|i>].

With H~ = (H - b) / a the Hamiltonian rescaled into [-1, 1] (the KPM bounds), the spin density
of any electron distribution f(H) is a series in these moment vectors,

.. math::
    \\langle \\sigma_i \\rangle = \\sum_n c_n[f]\\, \\mu_n(i), \\qquad
    \\mu_n(i) = \\mathrm{Tr}_s\\big[\\vec\\sigma \\,\\langle i|T_n(\\tilde H)|i\\rangle\\big],

so the exchange field is a *linear* function of them (KPM takes c_n from the Fermi function
and needs M ~ 300 moments at kT = 0.05).  mu_n(i) depends only on the spins within n hops of
site i, and it is exactly SO(3) x D6 equivariant: a vector per site that rotates with the spins.
These are descriptors of the electrons' closed paths around each site (spin-dependent loop
products of every order <= n), which a convolutional network on the spins cannot easily build;
``studies/chebyshev_moment_fit.py`` measures how much of the torque they carry.

Cost: one forward Chebyshev recursion (M - 1 Hamiltonian applications) per probe vector, i.e.
about M / (1.5 M_KPM) of a KPM field evaluation with the same probes.  The diagonal blocks are
read with probe vectors of a k x k sublattice colouring (``_probing.py``); they are *exact* when
same-colour sites are farther apart than a spin-dependent path of the recursion reaches,
k > (M - 2) * hop_reach (:func:`exact_probing_distance`), and carry errors of the size of the
long-range matrix elements <i|T_n|j> otherwise (random phases make them average to zero).
"""

from __future__ import annotations

import itertools

import numpy as np
import torch
from numpy.typing import NDArray

from torquenet._validation import check_int, check_spins
from torquenet.lattice import TriangularLattice
from torquenet.model import SDModelParams
from torquenet.solvers._chebyshev import spectral_bounds
from torquenet.solvers._ed import twist_grid
from torquenet.solvers._kpm import (
    _apply_hamiltonian,
    _onsite_products,
    hopping_stencil,
    onsite_matrix,
)
from torquenet.solvers._probing import colouring_period, probe_vectors, sublattice_colouring

#: Probe columns processed together (bounds the working memory to ~3 vectors of L*L*4*256 reals).
PROBE_BLOCK = 256


def hop_reach(params: SDModelParams) -> int:
    """Largest lattice (hexagon) distance one application of H moves an electron."""
    return max(
        max(abs(n1), abs(n2), abs(n1 + n2))
        for (n1, n2), _ in hopping_stencil(params, half_width=1.0)
    )


def exact_probing_distance(num_moments: int, params: SDModelParams) -> int:
    """Smallest colouring distance for which :func:`local_spin_moments` is exact.

    A probe of colour c mixes into site i the elements Tr_s[sigma <i|T_n|j>] of the other sites
    j of colour c.  A path from j to i that only hops carries the spin identity, whose trace with
    sigma vanishes; a spin-dependent element needs at least one on-site step, so at most n - 1
    hops, and is zero beyond (n - 1) * hop_reach.  The moments n <= M - 1 are therefore exact
    when same-colour sites are farther apart than (M - 2) * hop_reach.
    """
    num_moments = check_int("num_moments", num_moments, minimum=1)
    return max(num_moments - 2, 0) * hop_reach(params) + 1


def exact_distance_on_torus(L: int, num_moments: int, params: SDModelParams) -> int:
    """The smallest colouring distance usable on L x L (a divisor of L, or L itself: one colour
    per site) that is at least :func:`exact_probing_distance`."""
    exact = exact_probing_distance(num_moments, params)
    return next(k for k in range(1, L + 1) if L % k == 0 and (k >= exact or k == L))


def local_spin_moments(
    spins: NDArray[np.float64],
    params: SDModelParams | None = None,
    num_moments: int = 16,
    probing_distance: int | None = None,
    num_twists: int = 1,
    seed: int = 0,
    dtype: torch.dtype = torch.float64,
    device: torch.device | str = "cpu",
    coherent: bool = False,
) -> NDArray[np.float64]:
    """Moment vectors mu_n(i), n = 0 .. M-1, of spins (L, L, 3) or a batch (B, L, L, 3).

    Parameters
    ----------
    spins : ndarray
        Unit spins.
    params : SDModelParams
        Hopping and coupling (the electron temperature and chemical potential do not enter).
    num_moments : int
        M >= 1.  mu_0 = 0, mu_1 = -2 J S_i / a and mu_2 = 8 b J S_i / a^2 for every texture
        (H~ = (H - b) / a): the first moment with a part perpendicular to S_i is mu_3.
    probing_distance : int or None
        Colouring distance d (the period must divide L, as for KPM).  None: the smallest
        divisor of L that is exact (:func:`exact_distance_on_torus`).
    num_twists : int
        k: average over the k x k boundary twists (as ``EDParams.num_twists``), which gives the
        moments of the texture tiled k x k times (exact for the 12 x 12 training textures, whose
        labels are twist-averaged the same way).
    seed : int
        Random phases of the probes (used only when d < L and not ``coherent``).
    dtype, device
        Arithmetic of the recursion (float64 or float32; any torch device).
    coherent : bool
        All probe phases 1 instead of random.  Below the exact distance the result is then
        not a noisy estimate of mu_n but the deterministic *image sum*
        sum_R Tr_s[sigma <i|T_n|i + R>] over the d-superlattice R, which keeps the moments'
        SO(3) x D6 x translation equivariance (a descriptor in its own right, as cheap as the
        colouring is coarse).  Equal to mu_n at or above the exact distance.

    Returns
    -------
    ndarray, shape (M, L, L, 3) or (B, M, L, L, 3)

    Raises
    ------
    ValueError
        Bad spins, L too small for the hopping shells, or a distance that does not divide L.

    Examples
    --------
    >>> from torquenet.textures import ferromagnet
    >>> mu = local_spin_moments(ferromagnet(6), num_moments=4)
    >>> mu.shape, bool(np.allclose(mu[0], 0.0))
    ((4, 6, 6, 3), True)
    """
    params = params or SDModelParams()
    spins = check_spins(spins)
    M = check_int("num_moments", num_moments, minimum=1)
    L = spins.shape[-2]
    TriangularLattice(L).check_supports_shells(params.num_shells)
    if probing_distance is None:
        probing_distance = exact_distance_on_torus(L, M, params)
    period = colouring_period(L, probing_distance)
    generator = torch.Generator().manual_seed(check_int("seed", seed, minimum=0))
    probes = probe_vectors(
        sublattice_colouring(L, period), 1, generator, dtype, device, random_phases=not coherent
    )
    bounds = spectral_bounds(params)
    stencil = hopping_stencil(params, bounds.half_width)
    flat = torch.from_numpy(spins.reshape(-1, L, L, 3)).to(device=device, dtype=dtype)
    onsite = onsite_matrix(flat, params.sd_coupling, bounds.center, bounds.half_width)
    twists = twist_grid(num_twists)
    moments = torch.zeros((flat.shape[0], M, L, L, 3), dtype=dtype, device=device)
    for twist, start in itertools.product(twists, range(0, probes.shape[-1], PROBE_BLOCK)):
        r = probes[..., start : start + PROBE_BLOCK].expand(flat.shape[0], -1, -1, -1, -1)
        prev, cur = None, r
        for n in range(M):
            if n == 1:
                prev, cur = cur, _apply_hamiltonian(cur, onsite, stencil, twist)
            elif n > 1:
                prev, cur = cur, 2 * _apply_hamiltonian(cur, onsite, stencil, twist) - prev
            # Tr_s[sigma D_i] with D_i[b, c] = sum_p cur_p(i, b) conj(r_p(i, c)) ~ <i b|T_n|i c>:
            # sum_cb sigma_cb Z[c, b] with Z[c, b] = sum_p conj(r_p(i, c)) cur_p(i, b), which is
            # exactly what the KPM field accumulation computes
            moments[:, n] += _onsite_products(r, cur)
    moments /= len(twists)
    return moments.double().cpu().numpy().reshape(*spins.shape[:-3], M, L, L, 3)
