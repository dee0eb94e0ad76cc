"""A conservative torque model: a learned grand potential Omega(S), fields by autograd.

In the adiabatic limit the electrons' exchange field is the derivative of their grand
potential, H_i = -dOmega/dS_i (paper Eqs. 3 and 10).  :class:`EquivariantEnergyCNN` learns
Omega itself, as a sum of local site energies,

.. math:: \\Omega_\\theta(\\{\\mathbf S\\}) = \\sum_i \\left[\\omega_0 + s\\,
          \\varepsilon_\\theta(\\{\\mathbf S_j\\}_{|j - i| \\le r})\\right],

with the invariant features of the equivariant backbone (:class:`EquivariantBackbone`) fed to
a two-layer per-site head, and returns the fields :math:`-\\partial\\Omega_\\theta/\\partial
\\mathbf S_i` by automatic differentiation.  What that buys over a direct torque network:

* an energy: phases can be ranked, Monte Carlo run (``torquenet mc``), energy conservation
  at alpha = 0 checked;
* a curl-free field by construction: the dynamics has the Hamiltonian structure of the real
  electrons, and the learned torques of different sites are consistent with each other;
* every symmetry of the torque network, exactly: each site energy is built from rotation
  invariants (dot products with the local spin, norms of vector features) that are also even
  under time reversal, and the isotropic kernels make it D6 and translation invariant, so
  Omega is invariant and its gradient equivariant.

Scales: ``torque_scale`` s (mean torque magnitude of the training data, the unit in which a
unit change of a spin changes a local energy) and ``energy_offset`` omega_0 (the mean Omega per
site of the training data, a buffer); the head's last bias learns any remaining constant.  The
site energy depends on spins within r = (num_blocks + 1) * radius sites (lift and blocks; the
head is per site), so the *field* at a site depends on spins within 2 r.

The nonlinearity is SiLU by default: the fields are derivatives of the network, so a ReLU
network would have fields that jump across its kinks.

References
----------
Miyazaki, Mach. Learn.: Sci. Technol. 4, 045006 (2023) (an energy model of this s-d model with
fields by autograd); Behler & Parrinello, PRL 98, 146401 (2007) (energies as sums of local
terms).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn

from torquenet._validation import check_int
from torquenet.ml._equivariant import ACTIVATIONS, EquivariantBackbone, check_backbone
from torquenet.observables import perpendicular_part


@dataclass(frozen=True)
class EnergyModelConfig:
    """Architecture of :class:`EquivariantEnergyCNN` (``architecture: energy`` in configs).

    Parameters
    ----------
    vector_channels, scalar_channels, num_blocks, radius, bond_basis_degree : int
        The equivariant backbone, as in :class:`~torquenet.ml.EquivariantModelConfig`.
    head_width : int
        Hidden invariants of the per-site energy head.
    activation : str
        "silu" (smooth; the default) or "relu".
    architecture : str
        Always "energy".
    """

    vector_channels: int = 16
    scalar_channels: int = 16
    num_blocks: int = 4
    radius: int = 2
    bond_basis_degree: int = 3
    head_width: int = 16
    activation: str = "silu"
    architecture: str = "energy"

    def __post_init__(self) -> None:
        if self.architecture != "energy":
            raise ValueError(
                f"EnergyModelConfig.architecture must be 'energy', got {self.architecture!r}"
            )
        check_backbone(self)
        check_int("head_width", self.head_width, minimum=1)
        if self.activation not in ACTIVATIONS:
            raise ValueError(
                f"activation must be one of {sorted(ACTIVATIONS)}, got {self.activation!r}"
            )

    @property
    def energy_radius(self) -> int:
        """Sites within which the spins determine one site energy: (num_blocks + 1) * radius."""
        return (self.num_blocks + 1) * self.radius

    @property
    def receptive_field_radius(self) -> int:
        """Sites within which the spins determine one *field*: twice the energy radius."""
        return 2 * self.energy_radius


class EquivariantEnergyCNN(EquivariantBackbone):
    """Spins (B, 3, L, L) -> grand potential and torques by autograd (exactly invariant Omega).

    ``forward(spins)`` returns the torques (B, 3, L, L), the perpendicular part of
    -dOmega/dS, like every torque model, so training, evaluation, tiling and the CNN solver use
    it unchanged; ``forward(spins, with_energy=True)`` returns (torques, site energies
    (B, L, L)).  :meth:`site_energies` and :meth:`grand_potential` give the energy alone,
    :meth:`fields` the full gradient.

    Gradients are taken inside ``forward`` even under ``torch.no_grad`` or
    ``torch.inference_mode``; the graph is kept (``create_graph``) only when the caller
    records gradients (training, or input spins that require grad), so inference stays cheap.
    """

    def __init__(
        self,
        config: EnergyModelConfig | None = None,
        torque_scale: float = 1.0,
        generator: torch.Generator | None = None,
        energy_offset: float = 0.0,
    ):
        super().__init__(config or EnergyModelConfig())
        c = self.config
        self.energy_hidden = nn.Conv2d(c.scalar_channels + 2 * c.vector_channels, c.head_width, 1)
        self.energy_out = nn.Conv2d(c.head_width, 1, 1)
        self.register_buffer("torque_scale", torch.tensor(float(torque_scale)))
        self.register_buffer("energy_offset", torch.tensor(float(energy_offset)))
        if generator is not None:
            self.reset_parameters(generator)

    def site_energies(self, spins: torch.Tensor) -> torch.Tensor:
        """Local energies (B, L, L) in t1: omega_0 + s * eps_i; their sum is Omega."""
        v, scalars = self.features(spins)
        along_spin = (v * spins[:, None]).sum(dim=2)
        invariants = torch.cat([scalars, along_spin, (v * v).sum(dim=2)], 1)
        eps = self.energy_out(self.activation(self.energy_hidden(invariants)))[:, 0]
        return self.energy_offset + self.torque_scale * eps

    def grand_potential(self, spins: torch.Tensor) -> torch.Tensor:
        """Omega (B,) of each L x L texture, t1 (electronic; no Zeeman term)."""
        return self.site_energies(spins).sum(dim=(1, 2))

    def fields(
        self, spins: torch.Tensor, create_graph: bool | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(-dOmega/dS (B, 3, L, L), site energies (B, L, L)): the full gradient, every
        component (the part along S_i depends on how the network extends off the sphere and
        is not a physical prediction)."""
        if create_graph is None:
            create_graph = torch.is_grad_enabled() and (self.training or spins.requires_grad)
        with torch.inference_mode(False), torch.enable_grad():
            x = spins if spins.requires_grad else spins.clone().requires_grad_(True)
            energies = self.site_energies(x)
            (gradient,) = torch.autograd.grad(energies.sum(), x, create_graph=create_graph)
        if not create_graph:
            gradient, energies = gradient.detach(), energies.detach()
        return -gradient, energies

    def forward(
        self, spins: torch.Tensor, with_energy: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        fields, energies = self.fields(spins)
        torques = perpendicular_part(fields, spins, axis=1)
        return (torques, energies) if with_energy else torques


class SiteEnergyOutputs(nn.Module):
    """Wrap an energy model so one call returns (B, 4, L, L): torques and the site energy.

    Lets the tiled and domain-decomposed evaluators (which keep the interior of every window
    for any channel count) produce both in one pass.
    """

    def __init__(self, model: EquivariantEnergyCNN) -> None:
        super().__init__()
        self.model = model
        self.config = model.config

    def forward(self, spins: torch.Tensor) -> torch.Tensor:
        torques, energies = self.model(spins, with_energy=True)
        return torch.cat([torques, energies[:, None]], dim=1)


class SiteEnergies:
    """The site energies of an energy model as a numpy function (Monte Carlo's energy).

    ``SiteEnergies(model)(spins)`` maps spins (L, L, 3) to eps_i (L, L), float64 by default
    (a double-precision copy of the network, so energy *differences* of single-spin moves are
    not lost to float32 rounding of O(L^2) totals).  No gradients are taken.
    ``energy_radius`` is the model's r (sites within which the spins determine eps_i).
    """

    def __init__(
        self, model: EquivariantEnergyCNN, device: str | torch.device = "cpu", dtype=torch.float64
    ) -> None:
        self.model = copy.deepcopy(model).to(device, dtype).eval()
        self.device = torch.device(device)
        self.dtype = dtype
        self.energy_radius = model.config.energy_radius

    def __call__(self, spins: NDArray[np.float64]) -> NDArray[np.float64]:
        x = torch.as_tensor(np.moveaxis(spins, -1, -3)[None], dtype=self.dtype, device=self.device)
        with torch.inference_mode():
            energies = self.model.site_energies(x)[0]
        return energies.double().cpu().numpy()
