"""Exact diagonalisation of the s-d Hamiltonian: exchange fields and grand potential."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from numpy.typing import NDArray

from torquenet._device import resolve_device
from torquenet._typing import FieldResult
from torquenet._validation import check_int, check_spins
from torquenet.lattice import TriangularLattice
from torquenet.model import (
    SDModelParams,
    fermi_function,
    grand_potential_terms,
    hopping_matrix,
    sd_coupling_blocks,
)


def twist_grid(num_twists: int) -> list[tuple[float, float]]:
    """The k x k boundary twists theta = 2 pi (m1, m2) / k; averaging over them gives the
    observables of the texture tiled k x k times."""
    k = check_int("num_twists", num_twists, minimum=1)
    return [(2 * np.pi * m1 / k, 2 * np.pi * m2 / k) for m1 in range(k) for m2 in range(k)]


@dataclass(frozen=True)
class EDParams:
    """Settings of the exact-diagonalisation solver.

    Parameters
    ----------
    num_twists : int
        k: average over the k x k grid of boundary twists theta = 2 pi (m1, m2) / k.  The result
        equals the plain fields of the texture tiled k x k times, i.e. a (kL) x (kL) lattice, at
        k^2 times the cost of one L x L diagonalisation instead of k^6.
    device : str
        "cpu", "cuda", "cuda:N" or "auto".
    """

    num_twists: int = 1
    device: str = "cpu"

    def __post_init__(self) -> None:
        check_int("num_twists", self.num_twists, minimum=1)
        resolve_device(self.device)


class EDSolver:
    """Exact exchange fields H_i = J Tr(sigma rho_ii) by full diagonalisation (O(N^3)).

    Works for any L (>= the size that holds the hopping shells); the twist-dependent hopping
    matrix is cached per L.

    Notes
    -----
    With eigenpairs H u_n = eps_n u_n and occupations f_n = f(eps_n) at (mu, kT),

    .. math::
        \\Omega = \\sum_n \\omega(\\epsilon_n), \\quad
        \\mathbf{H}_i = J \\sum_n f_n\\, u_n^\\dagger \\boldsymbol{\\sigma}_i u_n
                     = -\\partial \\Omega / \\partial \\mathbf{S}_i

    (paper Eq. 10; Hellmann-Feynman with d omega / d eps = f).

    Examples
    --------
    >>> import numpy as np
    >>> from torquenet.textures import ferromagnet
    >>> res = EDSolver(SDModelParams()).compute(ferromagnet(6))
    >>> res.fields.shape
    (6, 6, 3)
    """

    provides_energy = True

    def __init__(self, params: SDModelParams | None = None, settings: EDParams | None = None):
        self.params = params or SDModelParams()
        self.settings = settings or EDParams()
        self.device = resolve_device(self.settings.device)
        self._hopping_cache: dict[int, list[torch.Tensor]] = {}

    def __repr__(self) -> str:
        return f"EDSolver({self.params}, {self.settings})"

    def twists(self) -> list[tuple[float, float]]:
        """The k x k boundary twists averaged over."""
        return twist_grid(self.settings.num_twists)

    def _hopping(self, L: int) -> list[torch.Tensor]:
        if L not in self._hopping_cache:
            lattice = TriangularLattice(L)
            self._hopping_cache[L] = [
                torch.from_numpy(hopping_matrix(lattice, self.params, tw)).to(self.device)
                for tw in self.twists()
            ]
        return self._hopping_cache[L]

    def compute(self, spins: NDArray[np.float64]) -> FieldResult:
        """Fields (..., L, L, 3) and grand potential (...,) for spins (L, L, 3) or (B, L, L, 3)."""
        spins = check_spins(spins)
        L = spins.shape[-2]
        batch_shape = spins.shape[:-3]
        flat = spins.reshape(-1, L, L, 3)
        fields, omega = self._diagonalise(flat)
        return FieldResult(
            fields=fields.reshape(*batch_shape, L, L, 3),
            grand_potential=omega.reshape(batch_shape),
        )

    def spectrum(self, spins: NDArray[np.float64]) -> NDArray[np.float64]:
        """Eigenvalues of H for every twist, shape (..., num_twists**2, 2N)."""
        spins = check_spins(spins)
        L = spins.shape[-2]
        flat = spins.reshape(-1, L, L, 3)
        h_blocks = self._blocks(flat)
        out = [torch.linalg.eigvalsh(self._assemble(h0, h_blocks)) for h0 in self._hopping(L)]
        return torch.stack(out, dim=1).cpu().numpy().reshape(*spins.shape[:-3], len(out), -1)

    def _blocks(self, flat: NDArray[np.float64]) -> torch.Tensor:
        return torch.from_numpy(sd_coupling_blocks(flat, self.params.sd_coupling)).to(self.device)

    @staticmethod
    def _assemble(h0: torch.Tensor, blocks: torch.Tensor) -> torch.Tensor:
        batch, num_sites = blocks.shape[:2]
        h = h0.expand(batch, *h0.shape).clone()
        diag = h.view(batch, num_sites, 2, num_sites, 2).diagonal(dim1=1, dim2=3)
        diag += blocks.permute(0, 2, 3, 1)  # diag has shape (B, 2, 2, N)
        return h

    def _diagonalise(self, flat: NDArray[np.float64]) -> tuple[NDArray, NDArray]:
        batch, L = flat.shape[0], flat.shape[1]
        num_sites = L * L
        mu, kT, J = (
            self.params.chemical_potential,
            self.params.electron_temperature,
            self.params.sd_coupling,
        )
        blocks = self._blocks(flat)
        fields = torch.zeros(batch, num_sites, 3, dtype=torch.float64, device=self.device)
        omega = np.zeros(batch)
        hopping = self._hopping(L)
        for h0 in hopping:
            evals, evecs = torch.linalg.eigh(self._assemble(h0, blocks))
            evals_np = evals.cpu().numpy()
            omega += grand_potential_terms(evals_np, mu, kT).sum(axis=-1)
            occ = torch.from_numpy(fermi_function(evals_np, mu, kT)).to(self.device)
            u = evecs.view(batch, num_sites, 2, -1)
            up, down = u[:, :, 0, :], u[:, :, 1, :]
            weighted_up = up * occ[:, None, :]
            # <sigma_x> + i <sigma_y> = 2 sum_n f_n conj(u_up) u_down
            transverse = 2.0 * (weighted_up.conj() * down).sum(-1)
            longitudinal = (weighted_up.conj() * up).real.sum(-1) - (
                (down.conj() * down).real * occ[:, None, :]
            ).sum(-1)
            fields[..., 0] += transverse.real
            fields[..., 1] += transverse.imag
            fields[..., 2] += longitudinal
        num_twists = len(hopping)
        fields *= J / num_twists
        return fields.cpu().numpy(), omega / num_twists
