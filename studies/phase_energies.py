"""Phase energies of a learned energy model against exact twist-converged ED.

Usage: .venv/bin/python studies/phase_energies.py --model ENERGY.pt [--twists 8]
       [--out studies/results/phase_energies.md]

States on the 12 x 12 cell (fixed parameters, so every solver sees the same textures): the
ferromagnet, the coplanar spiral at Q1, the conical spiral at Q1 with m_z = 0.17 (the exact
optimum at kT = 0.05, `ground_state_energies.py`), and the triple-Q skyrmion-lattice ansatz of
Eq. (13) with the exact optimum's parameters (A = 0.673, M = 0.134, phi = 1.561).  Compared:
the electronic grand potential per site Omega / N (no Zeeman term) of exact ED with k x k
twists and of the model; one common offset (the mean difference, which an energy model trained
on Omega per site of 12 x 12 frames may carry) is removed; the verdict is the residual
|model - exact - offset| <= 3e-4 per site for every state and the same energy order.  Writes a
markdown table (for the model card) and prints it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from torquenet import EDParams, EDSolver
from torquenet.ml import CNNSolver, is_energy_model
from torquenet.textures import (
    SkyrmionLatticeAnsatz,
    ferromagnet,
    nesting_wavevectors,
    skyrmion_lattice,
    spiral,
)

L = 12
#: The acceptance bound on the offset-corrected error per site.
TOLERANCE = 3e-4


def states() -> dict[str, np.ndarray]:
    q1 = nesting_wavevectors()[0]
    return {
        "ferromagnet": ferromagnet(L),
        "coplanar spiral Q1": spiral(L, q1),
        "conical spiral Q1 (m_z = 0.17)": spiral(L, q1, cone_angle=float(np.arcsin(0.17))),
        "skyrmion-lattice ansatz": skyrmion_lattice(
            L, SkyrmionLatticeAnsatz(amplitude=0.673, magnetization=0.134, phase=1.561)
        ),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--model", required=True, help="energy model file")
    ap.add_argument("--twists", type=int, default=8)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    solver = CNNSolver.from_file(args.model, dtype="float64")
    if not is_energy_model(solver.model):
        raise SystemExit(f"{args.model} is not an energy model: it has no Omega")
    exact = EDSolver(solver.params, EDParams(num_twists=args.twists))
    names, textures = zip(*states().items(), strict=True)
    exact_omega = np.array([exact.compute(s).grand_potential / L**2 for s in textures])
    model_omega = np.array([solver.compute(s).grand_potential / L**2 for s in textures])
    offset = float(np.mean(model_omega - exact_omega))
    residual = model_omega - exact_omega - offset
    same_order = list(np.argsort(exact_omega)) == list(np.argsort(model_omega))
    lines = [
        f"Omega per site (t1, electronic, no Zeeman term) on the {L} x {L} cell; exact: ED with "
        f"{args.twists} x {args.twists} twists at kT = {solver.params.electron_temperature}; "
        f"model: `{args.model}` (float64); common offset {offset:+.2e} removed.",
        "",
        "| state | exact | model - offset | residual |",
        "|---|---|---|---|",
    ]
    for name, e, m, r in zip(names, exact_omega, model_omega, residual, strict=True):
        lines.append(f"| {name} | {e:.6f} | {m - offset:.6f} | {r:+.2e} |")
    verdict = (
        f"max |residual| {np.abs(residual).max():.2e} per site "
        f"({'within' if np.abs(residual).max() <= TOLERANCE else 'outside'} {TOLERANCE:g}); "
        f"energy order {'the same as' if same_order else 'different from'} exact"
    )
    lines += ["", verdict]
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
