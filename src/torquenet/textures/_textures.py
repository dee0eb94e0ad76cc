"""Spin textures on the triangular lattice: random, ferromagnet, spirals, skyrmion lattices.

All functions return unit spins of shape (L, L, 3) (float64).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from torquenet._validation import check_float, check_int
from torquenet.lattice import TriangularLattice

#: |Q_eta| = pi / 3: the nesting wave vectors of the paper's Fermi surface (Sec. IV B).
Q_MAGNITUDE = np.pi / 3


def nesting_wavevectors() -> NDArray[np.float64]:
    """Q_1 = (pi/3, 0) and Q_{2,3} = R(+-2 pi/3) Q_1, shape (3, 2) (Cartesian, a = 1)."""
    angles = np.array([0.0, 2 * np.pi / 3, -2 * np.pi / 3])
    return Q_MAGNITUDE * np.stack([np.cos(angles), np.sin(angles)], axis=-1)


def normalize(vectors: NDArray[np.float64]) -> NDArray[np.float64]:
    """Scale each 3-vector to unit length, raising if one has (near) zero length."""
    norm = np.linalg.norm(vectors, axis=-1, keepdims=True)
    if np.any(norm < 1e-12):
        raise ValueError("cannot normalise a texture with a zero-length spin")
    return vectors / norm


def random_spins(L: int, rng: np.random.Generator) -> NDArray[np.float64]:
    """Independent spins uniform on the unit sphere (normalised Gaussians)."""
    L = check_int("L", L, minimum=1)
    return normalize(rng.standard_normal((L, L, 3)))


def ferromagnet(L: int, direction: tuple[float, float, float] = (0.0, 0.0, 1.0)) -> NDArray:
    """Uniform texture along ``direction``."""
    L = check_int("L", L, minimum=1)
    d = normalize(np.asarray(direction, dtype=np.float64))
    return np.broadcast_to(d, (L, L, 3)).copy()


def spiral(L: int, wavevector: NDArray, *, cone_angle: float = 0.0) -> NDArray[np.float64]:
    """Spiral S_i = (sin c cos Q.r_i, sin c sin Q.r_i, cos c) with c = pi/2 - cone_angle.

    ``cone_angle`` = 0 gives the coplanar spiral in the xy plane; > 0 a conical spiral with
    m_z = sin(cone_angle).  Q must lie on the L x L momentum grid.
    """
    lattice = TriangularLattice(L)
    lattice.momentum_index(wavevector)
    phase = lattice.positions @ np.asarray(wavevector, dtype=np.float64)
    mz = np.sin(check_float("cone_angle", cone_angle, minimum=-np.pi / 2, maximum=np.pi / 2))
    inplane = np.sqrt(1 - mz**2)
    return np.stack(
        [inplane * np.cos(phase), inplane * np.sin(phase), np.full_like(phase, mz)], axis=-1
    )


@dataclass(frozen=True)
class SkyrmionLatticeAnsatz:
    """Triple-Q skyrmion-lattice ansatz, paper Eq. (13).

    Defaults are the energy-optimal values at kT = 0.01 (to ~2e-6 per site, docs/facts.md):
    A = 0.673, M = 0.134, phi = 1.561; they give topological charge -1 per skyrmion (6 per
    12 x 12 cell).
    """

    amplitude: float = 0.673  # A
    magnetization: float = 0.134  # M
    phase: float = 1.561  # phi
    frame: tuple[tuple[float, float, float], ...] = ((1, 0, 0), (0, 1, 0), (0, 0, 1))

    def __post_init__(self) -> None:
        check_float("amplitude", self.amplitude)
        check_float("magnetization", self.magnetization)
        check_float("phase", self.phase)
        e = np.asarray(self.frame, dtype=np.float64)
        if e.shape != (3, 3) or not np.allclose(e @ e.T, np.eye(3), atol=1e-10):
            raise ValueError(
                f"frame must be three orthonormal vectors (e1, e2, e3), got {self.frame}"
            )


@dataclass(frozen=True)
class SkyrmionPerturbation:
    """Site-dependent randomness of the perturbed ansatz (paper Sec. IV C).

    Each site gets phi_i = phi + d_phi, A_i = A (1 + d_A), m_i = M + d_m with d_phi, d_A, d_m
    independent normal variates of standard deviations ``phase_noise`` (rad),
    ``amplitude_noise`` (relative) and ``magnetization_noise``.
    """

    phase_noise: float = 0.5
    amplitude_noise: float = 0.3
    magnetization_noise: float = 0.2

    def __post_init__(self) -> None:
        for name in ("phase_noise", "amplitude_noise", "magnetization_noise"):
            check_float(name, getattr(self, name), minimum=0.0)


def skyrmion_lattice(
    L: int,
    ansatz: SkyrmionLatticeAnsatz | None = None,
    *,
    perturbation: SkyrmionPerturbation | None = None,
    rng: np.random.Generator | None = None,
) -> NDArray[np.float64]:
    """The skyrmion-lattice ansatz of Eq. (13), optionally with site-dependent random parameters.

    .. math::
        \\mathbf{S}_i \\propto (\\cos Q_{1i} - \\tfrac12\\cos Q_{2i} - \\tfrac12\\cos Q_{3i})\\,e_1
        + \\tfrac{\\sqrt3}{2}(\\cos Q_{2i} - \\cos Q_{3i})\\,e_2
        + [A \\textstyle\\sum_\\eta \\sin(Q_{\\eta i} + \\phi) + M]\\,e_3

    Raises
    ------
    ValueError
        If L is not a multiple of 12 (the period of the texture is 6 along a1 and the three Q_eta
        lie on the momentum grid only for L divisible by 12).
    """
    L = check_int("L", L, minimum=1)
    if L % 12 != 0:
        raise ValueError(
            f"the skyrmion-lattice ansatz has wave vectors |Q| = pi/3 that fit the periodic "
            f"lattice only when L is a multiple of 12; got L = {L}"
        )
    ansatz = ansatz or SkyrmionLatticeAnsatz()
    lattice = TriangularLattice(L)
    q_dot_r = lattice.positions @ nesting_wavevectors().T  # (L, L, 3)
    phase = np.full((L, L), ansatz.phase)
    amplitude = np.full((L, L), ansatz.amplitude)
    magnetization = np.full((L, L), ansatz.magnetization)
    if perturbation is not None:
        if rng is None:
            raise ValueError("a perturbed skyrmion lattice needs an rng (np.random.Generator)")
        phase = phase + perturbation.phase_noise * rng.standard_normal((L, L))
        amplitude = amplitude * (1 + perturbation.amplitude_noise * rng.standard_normal((L, L)))
        magnetization = magnetization + perturbation.magnetization_noise * rng.standard_normal(
            (L, L)
        )
    c = np.cos(q_dot_r)
    s = np.sin(q_dot_r + phase[..., None])
    e1, e2, e3 = np.asarray(ansatz.frame, dtype=np.float64)
    x = c[..., 0] - 0.5 * c[..., 1] - 0.5 * c[..., 2]
    y = np.sqrt(3) / 2 * (c[..., 1] - c[..., 2])
    z = amplitude * s.sum(axis=-1) + magnetization
    return normalize(x[..., None] * e1 + y[..., None] * e2 + z[..., None] * e3)


#: The families of :func:`random_ordered_phase`, drawn with equal probability.
ORDERED_FAMILIES = ("ferromagnet", "coplanar spiral", "conical spiral", "skyrmion lattice")


@dataclass(frozen=True)
class OrderedPhaseDistribution:
    """Random ordered states: the starts that put uniform and single-Q states into a dataset.

    Dynamics from random and skyrmion-lattice starts never visit the ferromagnet, and visit
    spirals only as domains; a model fitted to them extrapolates there (an energy model's Omega
    of the ferromagnet was off by 0.009-8 per site).  A draw is one of :data:`ORDERED_FAMILIES`:
    the ferromagnet along a uniform direction; a coplanar or a conical spiral at a uniform
    nonzero momentum of the L x L grid (the conical one with m_z uniform in
    (0, ``max_cone_magnetization``)); or the ansatz of Eq. (13) with A, M uniform in
    ``amplitude_range``, ``magnetization_range`` and phi uniform in [0, 2 pi).  Every spin then
    gets an independent Gaussian of standard deviation ``spin_noise`` and is normalised.
    """

    spin_noise: float = 0.1
    max_cone_magnetization: float = 0.9
    amplitude_range: tuple[float, float] = (0.3, 1.2)
    magnetization_range: tuple[float, float] = (-0.3, 0.6)

    def __post_init__(self) -> None:
        check_float("spin_noise", self.spin_noise, minimum=0.0)
        check_float("max_cone_magnetization", self.max_cone_magnetization, minimum=0.0, maximum=1.0)
        for name in ("amplitude_range", "magnetization_range"):
            low, high = (check_float(name, v) for v in getattr(self, name))
            if not low <= high:
                raise ValueError(f"{name} must be (low, high) with low <= high, got {(low, high)}")


def random_ordered_phase(
    L: int, rng: np.random.Generator, distribution: OrderedPhaseDistribution | None = None
) -> tuple[NDArray[np.float64], str]:
    """One draw of :class:`OrderedPhaseDistribution`: (spins (L, L, 3), family name).

    Raises
    ------
    ValueError
        If L is not a multiple of 12 (the skyrmion-lattice family needs it, and every family is
        drawn).
    """
    L = check_int("L", L, minimum=1)
    if L % 12 != 0:
        raise ValueError(
            f"ordered-phase starts include the skyrmion-lattice ansatz, which needs L divisible "
            f"by 12; got L = {L}"
        )
    d = distribution or OrderedPhaseDistribution()
    family = ORDERED_FAMILIES[int(rng.integers(len(ORDERED_FAMILIES)))]
    if family == "ferromagnet":
        spins = ferromagnet(L, tuple(normalize(rng.standard_normal(3))))
    elif family in ("coplanar spiral", "conical spiral"):
        momenta = TriangularLattice(L).momenta.reshape(-1, 2)[1:]  # every nonzero grid momentum
        q = momenta[int(rng.integers(len(momenta)))]
        mz = rng.uniform(0.0, d.max_cone_magnetization) if family == "conical spiral" else 0.0
        spins = spiral(L, q, cone_angle=float(np.arcsin(mz)))
    else:
        ansatz = SkyrmionLatticeAnsatz(
            amplitude=float(rng.uniform(*d.amplitude_range)),
            magnetization=float(rng.uniform(*d.magnetization_range)),
            phase=float(rng.uniform(0.0, 2 * np.pi)),
        )
        spins = skyrmion_lattice(L, ansatz)
    if d.spin_noise > 0:
        spins = normalize(spins + d.spin_noise * rng.standard_normal(spins.shape))
    return spins, family
