"""Relaxed energies per site: is the skyrmion lattice a (local) minimum, and is it the lowest?

Every start (the optimised triple-Q ansatz of Eq. 13, the conical spiral along Q1, and both
with a small random kick that breaks their symmetry) is relaxed to the nearest local minimum of

    E(S) / N = [Omega(S) - H_ext . sum_i S_i] / N

with exact twist-averaged ED gradients (dE/dS_i = -(H_i + H_ext) / N, the fields of the
solver).  Unit length is built in by minimising over free vectors v_i with S_i = v_i / |v_i|
(L-BFGS, scipy).  Reported: E before and after, the largest remaining torque |S x H_eff|, the
topological charge and the Bragg weight of the six +-Q_eta, so a relaxed state that left the
skyrmion-lattice family is visible.

Relaxation uses --twists k x k boundary twists; the reported energies and torques of the start and
the relaxed state are re-evaluated with --final-twists (converged to ~1e-5 per site at kT = 0.05
with 8 x 8, studies/results/ground_state_energies.md).

Usage: .venv/bin/python studies/relaxed_energies.py --kT 0.05 --twists 4 --final-twists 8
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy.optimize import minimize

from torquenet import EDParams, EDSolver, SDModelParams
from torquenet.dynamics import LLGParams
from torquenet.observables import (
    count_skyrmions,
    peak_intensity,
    structure_factor,
    topological_charge,
)
from torquenet.textures import SkyrmionLatticeAnsatz, nesting_wavevectors, skyrmion_lattice, spiral

L = 12


def energy_and_field(solver: EDSolver, spins: np.ndarray) -> tuple[float, np.ndarray]:
    """E/N and the effective field H + H_ext (= -N dE/dS) of unit spins, one diagonalisation."""
    result = solver.compute(spins)
    external = LLGParams().external_field_vector  # the paper's H_ext
    energy = (float(result.grand_potential) - float(np.sum(spins @ external))) / (L * L)
    return energy, result.fields + external


def energy_and_gradient(solver: EDSolver, v: np.ndarray) -> tuple[float, np.ndarray]:
    """E/N and its gradient with respect to the free vectors v (S = v / |v|)."""
    v = v.reshape(L, L, 3)
    norm = np.linalg.norm(v, axis=-1, keepdims=True)
    spins = v / norm
    energy, field = energy_and_field(solver, spins)
    grad_s = -field / (L * L)
    grad_v = (grad_s - np.sum(grad_s * spins, axis=-1, keepdims=True) * spins) / norm
    return energy, grad_v.ravel()


def describe(solver: EDSolver, spins: np.ndarray) -> dict:
    energy, field = energy_and_field(solver, spins)
    torque = np.linalg.norm(np.cross(spins, field), axis=-1).max()
    sq = structure_factor(spins)
    return {
        "E": energy,
        "max_torque": float(torque),
        "Q": float(topological_charge(spins)),
        "counts": count_skyrmions(spins),
        "bragg": float(6 * peak_intensity(sq)),
        "m_z": float(spins[..., 2].mean()),
    }


def relax(solver: EDSolver, spins: np.ndarray, max_iter: int) -> np.ndarray:
    res = minimize(
        lambda v: energy_and_gradient(solver, v),
        spins.ravel(),
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": max_iter, "gtol": 1e-10, "ftol": 1e-14},
    )
    v = res.x.reshape(L, L, 3)
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--kT", type=float, default=0.05)
    ap.add_argument("--twists", type=int, default=4)
    ap.add_argument("--final-twists", type=int, default=8)
    ap.add_argument("--max-iter", type=int, default=300)
    ap.add_argument("--kick", type=float, default=0.05, help="std of the random kick")
    args = ap.parse_args()
    solver = EDSolver(SDModelParams(electron_temperature=args.kT), EDParams(num_twists=args.twists))
    final = EDSolver(
        SDModelParams(electron_temperature=args.kT), EDParams(num_twists=args.final_twists)
    )
    rng = np.random.default_rng(0)
    q1 = nesting_wavevectors()[0]
    skl = skyrmion_lattice(
        L, SkyrmionLatticeAnsatz(amplitude=0.674, magnetization=0.155, phase=1.570)
    )
    cone = spiral(L, q1, cone_angle=float(np.arcsin(0.170)))

    def kicked(s):
        k = s + args.kick * rng.standard_normal(s.shape)
        return k / np.linalg.norm(k, axis=-1, keepdims=True)

    starts = {
        "skyrmion-lattice ansatz": skl,
        "skyrmion-lattice ansatz + kick": kicked(skl),
        "conical spiral Q1 (m_z = 0.17)": cone,
        "conical spiral Q1 + kick": kicked(cone),
    }
    print(
        f"kT = {args.kT}, {L} x {L} cell, relaxed with {args.twists} x {args.twists} twists, "
        f"energies with {args.final_twists} x {args.final_twists}"
    )
    print("| start | E before | E relaxed | max torque | Q | (N-, N+) | Bragg weight | m_z |")
    print("|---|---|---|---|---|---|---|---|")
    for name, s0 in starts.items():
        t = time.perf_counter()
        before = describe(final, s0)
        after = describe(final, relax(solver, s0, args.max_iter))
        print(
            f"| {name} | {before['E']:.6f} | {after['E']:.6f} | {after['max_torque']:.1e} | "
            f"{after['Q']:.0f} | {after['counts']} | {after['bragg']:.3f} | {after['m_z']:.3f} |"
            f"  <!-- {time.perf_counter() - t:.0f} s -->",
            flush=True,
        )


if __name__ == "__main__":
    main()
