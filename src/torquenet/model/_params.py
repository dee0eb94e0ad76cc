"""Parameters of the triangular-lattice s-d model."""

from __future__ import annotations

from dataclasses import dataclass, field

from torquenet._validation import check_float

#: Default electron temperature kT (units of t1).  The paper does not state one.  kT = 0.05 keeps
#: the Fermi surface sharp on the scale of the band (width ~9 t1), so the bare susceptibility still
#: peaks at |q| = pi/3 (tests/physics/test_susceptibility.py), while the density matrix decays fast
#: enough that (a) boundary-twist averaging of a 12 x 12 cell converges the torque to 0.14-0.24
#: deg (median angle) with 4 x 4 twists, and (b) KPM probing converges at moderate colour
#: distances.  At kT = 0.01 both need several times more work for the same torque accuracy
#: (docs/facts.md and BENCHMARKS.md).  kT = 0 is supported exactly by every solver.
DEFAULT_ELECTRON_TEMPERATURE = 0.05


@dataclass(frozen=True)
class SDModelParams:
    """Parameters of the s-d Hamiltonian, energies in units of the nearest-neighbour hopping.

    .. math::
        \\mathcal{H} = -\\sum_{ij} t_{ij} c^\\dagger_{i\\alpha} c_{j\\alpha}
                      - J \\sum_i \\mathbf{S}_i \\cdot c^\\dagger_{i\\alpha}
                        \\boldsymbol{\\sigma}_{\\alpha\\beta} c_{i\\beta}

    Note the minus sign on the hopping: the paper (Eq. 4) prints +t, but only -t puts the maximum
    of the bare susceptibility at |q| = pi/3 (the skyrmion-lattice wave vectors) for
    t1 = 1, t3 = -0.85, mu = -3.5.

    The external field H_ext acts on the local spins only, so it is not a parameter of the
    electron problem: it belongs to the spin dynamics (:class:`torquenet.dynamics.LLGParams`).

    Parameters
    ----------
    hopping : tuple of 3 floats
        (t1, t2, t3): hopping to the first, second and third neighbour shells.
    sd_coupling : float
        J, the Hund's coupling between local spins and electron spins.
    chemical_potential : float
        mu.
    electron_temperature : float
        kT >= 0 of the electrons (0 means the exact ground state).

    Examples
    --------
    >>> SDModelParams().hopping
    (1.0, 0.0, -0.85)
    """

    hopping: tuple[float, float, float] = (1.0, 0.0, -0.85)
    sd_coupling: float = 1.0
    chemical_potential: float = -3.5
    electron_temperature: float = field(default=DEFAULT_ELECTRON_TEMPERATURE)

    def __post_init__(self) -> None:
        hop = tuple(self.hopping)
        if len(hop) != 3:
            raise ValueError(f"hopping must be (t1, t2, t3), got {self.hopping!r}")
        object.__setattr__(
            self, "hopping", tuple(check_float(f"hopping[{n}]", t) for n, t in enumerate(hop))
        )
        object.__setattr__(self, "sd_coupling", check_float("sd_coupling", self.sd_coupling))
        object.__setattr__(
            self, "chemical_potential", check_float("chemical_potential", self.chemical_potential)
        )
        object.__setattr__(
            self,
            "electron_temperature",
            check_float("electron_temperature", self.electron_temperature, minimum=0.0),
        )

    @property
    def num_shells(self) -> int:
        """Index of the furthest neighbour shell with non-zero hopping (at least 1)."""
        nonzero = [n + 1 for n, t in enumerate(self.hopping) if t != 0.0]
        return max(nonzero, default=1)

    def spectral_bound(self) -> float:
        """Upper bound on |eigenvalue| of H for unit spins: sum_n 6 |t_n| + |J|."""
        return 6.0 * sum(abs(t) for t in self.hopping) + abs(self.sd_coupling)

    def replace(self, **changes: object) -> SDModelParams:
        """A copy with some fields changed (validated again)."""
        from dataclasses import replace

        return replace(self, **changes)
