"""A network that builds electron path sums itself: bond-modulated hopping layers (study).

The local moments mu_n(i) that carry the torque (``chebyshev_moment_fit.py``) are sums over
paths of n hops of products of spin-dependent factors.  The gated network of the package
combines neighbour spins with *site* invariants as weights; it cannot fit mu_16 even on its
training frames.  Here every layer is one "hop" whose amplitude depends on the bond it crosses:

    v_(t+1)(i) = v_t(i) + sum_(shell s, k <= K) W^t_(s,k) < P_k(S_i . S_(i+d)) v_t(i + d) >_(d in s)
                        + W^t_par (S_i . v_t(i)) S_i,

with Legendre polynomials P_k of the bond cosine (a learned, spin-dependent hopping, as in
double exchange), shells of lattice distance <= R, channel-mixing matrices W (the same for x, y,
z) and an on-site term along the local spin.  Stacking T layers sums, over every path of <= T hops,
the product of learned bond factors along it, times the vector features where the path starts:
the structure of the path sums, at the cost of a convolutional network.  Exactly SO(3) x D6 x
translation equivariant (shell averages, dot products and channel mixing only).
"""

from __future__ import annotations

import torch
from torch import nn

from torquenet.ml._equivariant import BondBasis, hexagonal_orbits, legendre_series
from torquenet.ml._model import project_perpendicular


class PathSumNet(nn.Module):
    """Spins (B, 3, L, L) -> K vector outputs (B, K, 3, L, L) perpendicular to the spins."""

    def __init__(
        self,
        num_outputs: int,
        channels: int = 16,
        num_layers: int = 8,
        radius: int = 2,
        degree: int = 2,
        seed: int = 0,
    ):
        super().__init__()
        generator = torch.Generator().manual_seed(seed)
        self.shells = [orbit for orbit in hexagonal_orbits(radius) if orbit != [(0, 0)]]
        self.degree = degree
        self.bond_basis = BondBasis(radius, degree)
        terms = len(self.shells) * (degree + 1) + 1  # bond-modulated hops + on-site term

        def weights(*shape: int, scale: float) -> nn.Parameter:
            return nn.Parameter(scale * torch.randn(shape, generator=generator))

        self.lift = weights(channels, self.bond_basis.num_vectors + 1, scale=0.3)
        self.hops = nn.ParameterList(
            weights(terms, channels, channels, scale=0.3 / (terms * channels) ** 0.5)
            for _ in range(num_layers)
        )
        self.readout = weights(num_outputs, channels, scale=channels**-0.5)

    def forward(self, spins: torch.Tensor) -> torch.Tensor:
        bond_vectors, _ = self.bond_basis(spins)  # (B, F, 3, L, L)
        v = torch.einsum("cf,bfxij->bcxij", self.lift, torch.cat([spins[:, None], bond_vectors], 1))
        # bond factors P_k(S_i . S_(i+d)) for every offset d, reused by every layer
        factors = []
        for shell in self.shells:
            shell_factors = []
            for a, b in shell:
                neighbour = torch.roll(spins, shifts=(-a, -b), dims=(2, 3))
                cosine = (spins * neighbour).sum(dim=1).clamp(-1.0, 1.0)  # (B, L, L)
                shell_factors.append(legendre_series(cosine, self.degree))
            factors.append(shell_factors)
        for weights in self.hops:
            terms = []
            for shell, shell_factors in zip(self.shells, factors, strict=True):
                moved = [torch.roll(v, shifts=(-a, -b), dims=(3, 4)) for a, b in shell]
                for k in range(self.degree + 1):
                    hop = sum(f[k][:, None, None] * m for f, m in zip(shell_factors, moved))
                    terms.append(hop / len(shell))
            along = (v * spins[:, None]).sum(dim=2, keepdim=True) * spins[:, None]
            terms.append(along)
            v = v + torch.einsum("tcd,tbdxij->bcxij", weights, torch.stack(terms))
        out = torch.einsum("kc,bcxij->bkxij", self.readout, v)
        return project_perpendicular(out.transpose(1, 2), spins[:, :, None]).transpose(1, 2)
