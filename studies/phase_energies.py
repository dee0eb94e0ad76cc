"""Phase energies of a learned energy model against exact twist-converged ED.

Usage: .venv/bin/python studies/phase_energies.py --model ENERGY.pt [--twists 8]
       [--out studies/results/phase_energies.md]

States on the 12 x 12 cell (``torquenet.analysis.reference_phases``: the ferromagnet, the
coplanar spiral at Q1, the conical spiral at Q1 with m_z = 0.17 (the exact optimum at
kT = 0.05, `ground_state_energies.py`), and the triple-Q skyrmion-lattice ansatz of Eq. (13)
with the exact optimum's parameters (A = 0.673, M = 0.134, phi = 1.561)).  Compared
(``torquenet.analysis.compare_phase_energies``):
the electronic grand potential per site Omega / N (no Zeeman term) of exact ED with k x k
twists and of the model; one common offset (the mean difference, which an energy model trained
on Omega per site of 12 x 12 frames may carry) is removed; the verdict is the residual
|model - exact - offset| <= 3e-4 per site for every state and the same energy order.  Writes a
markdown table (for the model card) and prints it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from torquenet import EDParams, EDSolver
from torquenet.analysis import PHASE_CELL, compare_phase_energies
from torquenet.ml import CNNSolver, is_energy_model

#: The acceptance bound on the offset-corrected error per site.
TOLERANCE = 3e-4


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
    result = compare_phase_energies(solver, exact)
    verdict = (
        f"max |residual| {result.max_residual:.2e} per site "
        f"({'within' if result.max_residual <= TOLERANCE else 'outside'} {TOLERANCE:g}); "
        f"energy order {'the same as' if result.same_order else 'different from'} exact"
    )
    text = "\n".join(
        [
            f"Omega per site (t1, electronic, no Zeeman term) on the {PHASE_CELL} x {PHASE_CELL} "
            f"cell; exact: ED with {args.twists} x {args.twists} twists at kT = "
            f"{solver.params.electron_temperature}; model: `{args.model}` (float64); common "
            f"offset {result.offset:+.2e} removed.",
            "",
            result.table(),
            "",
            verdict,
        ]
    )
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
