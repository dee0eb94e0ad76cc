"""The s-d model: parameters, Hamiltonian, analytic bands and susceptibility."""

from torquenet.model._bands import band_energy, bare_susceptibility
from torquenet.model._fermi import fermi_function, grand_potential_terms
from torquenet.model._hamiltonian import (
    PAULI,
    add_sd_coupling,
    build_hamiltonian,
    hopping_matrix,
    sd_coupling_blocks,
)
from torquenet.model._params import DEFAULT_ELECTRON_TEMPERATURE, SDModelParams

__all__ = [
    "DEFAULT_ELECTRON_TEMPERATURE",
    "PAULI",
    "SDModelParams",
    "add_sd_coupling",
    "band_energy",
    "bare_susceptibility",
    "build_hamiltonian",
    "fermi_function",
    "grand_potential_terms",
    "hopping_matrix",
    "sd_coupling_blocks",
]
