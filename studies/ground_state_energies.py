"""Energies per site of candidate ordered states, exact (twist-averaged ED), at given kT.

E = Omega / N - H_ext . m (grand potential of the electrons plus Zeeman energy of the spins).
Candidates: ferromagnet along z, coplanar spiral at Q1, conical spiral at Q1 (m_z optimised),
and the triple-Q skyrmion-lattice ansatz of Eq. (13) with (A, M, phi) optimised.

Usage: .venv/bin/python studies/ground_state_energies.py --kT 0.05 0.01 --twists 8
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy.optimize import minimize, minimize_scalar

from torquenet import EDParams, EDSolver, SDModelParams
from torquenet.dynamics import LLGParams
from torquenet.observables import topological_charge
from torquenet.textures import (
    SkyrmionLatticeAnsatz,
    ferromagnet,
    nesting_wavevectors,
    skyrmion_lattice,
    spiral,
)

L = 12


def energy_per_site(solver: EDSolver, spins: np.ndarray) -> float:
    """(Omega - H_ext . sum S) / N with the paper's H_ext (LLGParams default)."""
    omega = float(solver.compute(spins).grand_potential)
    return (omega + float(LLGParams().zeeman_energy(spins))) / spins.shape[0] ** 2


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--kT", type=float, nargs="+", default=[0.05, 0.01])
    ap.add_argument("--twists", type=int, default=8)
    args = ap.parse_args()
    q1 = nesting_wavevectors()[0]
    print(f"| kT | state | parameters | E per site | topological charge per {L}x{L} |")
    print("|---|---|---|---|---|")
    for kT in args.kT:
        start = time.perf_counter()
        solver = EDSolver(SDModelParams(electron_temperature=kT), EDParams(num_twists=args.twists))
        rows = [("ferromagnet", "", energy_per_site(solver, ferromagnet(L)), 0.0)]
        rows.append(("coplanar spiral Q1", "", energy_per_site(solver, spiral(L, q1)), 0.0))
        cone = minimize_scalar(
            lambda c, solver=solver: energy_per_site(solver, spiral(L, q1, cone_angle=c)),
            bounds=(0.0, 0.8),
            method="bounded",
            options={"xatol": 1e-3},
        )
        rows.append(("conical spiral Q1", f"m_z = {np.sin(cone.x):.3f}", cone.fun, 0.0))

        def skl(p):
            return skyrmion_lattice(
                L, SkyrmionLatticeAnsatz(amplitude=p[0], magnetization=p[1], phase=p[2])
            )

        best = minimize(
            lambda p, solver=solver: energy_per_site(solver, skl(p)),
            x0=[0.673, 0.134, 1.561],
            method="Nelder-Mead",
            options={"xatol": 1e-3, "fatol": 1e-7},
        )
        a, m, phi = best.x
        rows.append(
            (
                "skyrmion-lattice ansatz (Eq. 13)",
                f"A = {a:.3f}, M = {m:.3f}, phi = {phi:.3f}",
                best.fun,
                float(topological_charge(skl(best.x))),
            )
        )
        for name, par, e, q in rows:
            print(f"| {kT} | {name} | {par} | {e:.6f} | {q:.0f} |", flush=True)
        print(f"<!-- kT = {kT}: {time.perf_counter() - start:.0f} s -->", flush=True)


if __name__ == "__main__":
    main()
