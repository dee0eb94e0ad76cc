"""Code shared by the study scripts (the one module they import besides torquenet).

Data loading and frame selection on generated datasets, the local-moment and bond-basis
descriptors of the moment studies, the package's error summary of one prediction, and the
path-sum network of the learnability study.  Run the scripts from the repository root
(``python studies/<name>.py``); Python puts ``studies/`` on the path, so ``import _common`` works.
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from torquenet.data import TrajectoryDataset
from torquenet.ml import (
    BondBasis,
    TorqueErrorSummary,
    hexagonal_orbits,
    legendre_series,
    relative_l1_per_site,
    relative_magnitude_errors,
    summarize_errors,
    torque_angles_degrees,
)
from torquenet.observables import perpendicular_part
from torquenet.solvers import local_spin_moments


# ----------------------------------------------------------------------------- data
def load_split(directory: str, split: str) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(spins, torques, start types) of a whole split, float64, channels first."""
    dataset = TrajectoryDataset(directory, split, dtype=torch.float64)
    items = [dataset[i] for i in range(len(dataset))]
    stack = lambda key: torch.stack([it[key] for it in items])  # noqa: E731
    return stack("spins"), stack("torques"), torch.tensor([it["start_type"] for it in items])


def select_frames(split, start: int, count: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``count`` frames of one start type, drawn without replacement (seeded)."""
    spins, torques, start_types = split
    rows = torch.nonzero(start_types == start)[:, 0]
    rows = rows[torch.randperm(len(rows), generator=torch.Generator().manual_seed(seed))[:count]]
    return spins[rows], torques[rows]


# ----------------------------------------------------------------------------- descriptors
def shell_features(spins: torch.Tensor, radius: int, degree: int) -> torch.Tensor:
    """(B, 3, L, L, F): per shell within ``radius`` and n <= degree, the model's bond-basis
    vectors <P_n(c_ij) S_j>_shell (:class:`BondBasis`, degree 0 included), made perpendicular
    to S_i."""
    basis = BondBasis(radius, max(degree, 1))  # a bond basis has degree >= 1; extra ones dropped
    vectors, _ = basis(spins)  # (B, shells * (K + 1), 3, L, L), shell-major
    vectors = vectors.unflatten(1, (len(basis.shells), basis.degree + 1))[:, :, : degree + 1]
    vectors = vectors.flatten(1, 2)
    return perpendicular_part(vectors, spins[:, None], axis=2).permute(0, 2, 3, 4, 1)


def moment_features(
    spins: torch.Tensor,
    num_moments: int,
    num_twists: int,
    cache: Path | None,
    probing_distance: int | None = None,
    coherent: bool = False,
):
    """mu_n, n = 0 .. M-1, of (B, 3, L, L) spins as (B, M, 3, L, L), cached by content.

    ``probing_distance`` None: exact moments; else coloured probes of that distance, with
    random phases or (``coherent``) the deterministic image sums of ``local_spin_moments``.
    """
    tag = bytes([num_moments, num_twists])
    if probing_distance is not None:
        tag += f"d{probing_distance}{'c' if coherent else 'r'}".encode()
    key = hashlib.sha256(spins.numpy().tobytes() + tag).hexdigest()
    path = cache / f"moments_{key[:16]}.npy" if cache else None
    if path is not None and path.exists():
        return torch.from_numpy(np.load(path))
    textures = spins.permute(0, 2, 3, 1).numpy()
    options = dict(num_moments=num_moments, num_twists=num_twists)
    if probing_distance is not None:
        options.update(probing_distance=probing_distance, coherent=coherent)
    out = np.concatenate(
        [
            local_spin_moments(textures[k : k + 8], **options)
            for k in tqdm(range(0, len(textures), 8), desc="moments", unit="x8 frames")
        ]
    )
    out = torch.from_numpy(out).permute(0, 1, 4, 2, 3).contiguous()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, out.numpy())
    return out


def add_probing_arguments(ap: argparse.ArgumentParser) -> None:
    ap.add_argument(
        "--probing-distance", type=int, default=None, help="colouring distance (default: exact)"
    )
    ap.add_argument(
        "--coherent", action="store_true", help="unit probe phases: image sums, not estimates"
    )


def probing(args: argparse.Namespace) -> tuple[int | None, bool]:
    return args.probing_distance, args.coherent


def perpendicular(vectors: torch.Tensor, spins: torch.Tensor) -> torch.Tensor:
    """(B, F, 3, L, L) vectors made perpendicular to S_i, as (B, 3, L, L, F)."""
    return perpendicular_part(vectors.permute(0, 2, 3, 4, 1), spins[..., None], axis=1)


# ----------------------------------------------------------------------------- scoring
def error_summary(predicted: torch.Tensor, target: torch.Tensor) -> TorqueErrorSummary:
    """The package's per-site error statistics (as ``torquenet evaluate``) of one prediction."""
    return summarize_errors(
        *(
            f(predicted, target).flatten().double().numpy()
            for f in (torque_angles_degrees, relative_magnitude_errors, relative_l1_per_site)
        )
    )


# ----------------------------------------------------------------------------- networks
class PathSumNet(nn.Module):
    """Bond-modulated hopping layers: a network that builds electron path sums itself.

    Spins (B, 3, L, L) -> K vector outputs (B, K, 3, L, L) perpendicular to the spins.

    The local moments mu_n(i) that carry the torque (``chebyshev_moment_fit.py``) are sums over
    paths of n hops of products of spin-dependent factors.  The gated network of the package
    combines neighbour spins with *site* invariants as weights; it cannot fit mu_16 even on its
    training frames.  Here every layer is one "hop" whose amplitude depends on the bond it
    crosses::

        v_(t+1)(i) = v_t(i) + sum_(s, k <= K) W^t_(s,k) < P_k(S_i . S_(i+d)) v_t(i + d) >_(d in s)
                            + W^t_par (S_i . v_t(i)) S_i,

    with Legendre polynomials P_k of the bond cosine (a learned, spin-dependent hopping, as in
    double exchange), shells s of lattice distance <= R, channel-mixing matrices W (the same for
    x, y, z) and an on-site term along the local spin.  Stacking T layers sums, over every path
    of <= T hops, the product of learned bond factors along it, times the vector features where
    the path starts: the structure of the path sums, at the cost of a convolutional network.
    Exactly SO(3) x D6 x translation equivariant (shell averages, dot products and channel
    mixing only).
    """

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
        return perpendicular_part(out, spins[:, None], axis=2)
