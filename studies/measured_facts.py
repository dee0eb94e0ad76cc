"""Re-measure the facts the project relies on, with torquenet's own public API.

Writes a Markdown report (default ``studies/results/measured_facts.md``) and prints it.  Facts:

(a) Finite-size effect of the torque vs k x k boundary-twist averaging.  Frames of 12 x 12 LLG
    runs (dt = 0.1, alpha = 0.05, T = 0, driven by plain 12 x 12 ED at the default kT = 0.05, as
    in the ``default`` data recipe) from random starts (quenches) and from the perturbed
    skyrmion-lattice ansatz are relabelled with ED averaged over k x k twists (= the fields of
    the texture tiled k x k times, a (12k) x (12k) lattice) at kT = 0.05 and 0.01; the torques
    (field component perpendicular to each spin) for k = 1, 2, 4 are compared with k = 8 (and
    k = 8 with k = 16, to show how converged the reference is): median angle, median relative
    magnitude error | |T_k| - |T_8| | / |T_8| and median relative vector error
    |T_k - T_8| / |T_8| over all sites of all frames, with the range of the per-frame medians.
(b) Size of the torque relative to the field on the same frames (labels: 4 x 4 twists,
    kT = 0.05): median over sites of |T_i| / |H_i|, mean |T| and mean |H|.
(c) Energies per site E = Omega / N - H_ext . m (H_ext = 0.005 z) of the ferromagnet along z, the
    coplanar spiral at Q1, the conical spiral at Q1 with m_z = 0.2 and the triple-Q
    skyrmion-lattice ansatz of Eq. (13) at the ``SkyrmionLatticeAnsatz`` defaults
    (A = 0.673, M = 0.134, phi = 1.561), on a 12 x 12 cell with 16 x 16 twists at kT = 0.01, and
    the topological charge of that ansatz per 12 x 12 cell; for comparison the conical spiral
    and ansatz at the optima found with 8 x 8 twists
    (``studies/results/ground_state_energies.md``).
(d) Parameter count of the paper-width ResNet (``MODEL_PRESETS["paper"]``).

The susceptibility peak at |q| = pi/3 (and its absence for the opposite hopping sign) is proved
by ``tests/physics/test_susceptibility.py``, not re-measured here.

Runs on one torch thread in ~8 minutes (2-core machine).

Usage: .venv/bin/python studies/measured_facts.py [--out studies/results/measured_facts.md]
       [--seeds 0 1] [--frames 100 400 1000]
"""

from __future__ import annotations

import argparse
import datetime
import platform
import time
from pathlib import Path

import numpy as np
import torch

from torquenet.dynamics import LLGParams, run_llg
from torquenet.model import SDModelParams
from torquenet.observables import magnetization, perpendicular_part, topological_charge
from torquenet.solvers import EDParams, EDSolver
from torquenet.textures import (
    SkyrmionLatticeAnsatz,
    SkyrmionPerturbation,
    ferromagnet,
    nesting_wavevectors,
    random_spins,
    skyrmion_lattice,
    spiral,
)

L = 12
#: The project's external field H_ext = 0.005 z (README), acting on the local spins only; it
#: enters the energy as the Zeeman term -H_ext . sum_i S_i.
H_EXT = np.array([0.0, 0.0, 0.005])
TWISTS = (1, 2, 4, 8, 16)
REFERENCE_TWISTS = 8
TEMPERATURES = (0.05, 0.01)


START_TYPES = ("random", "skyrmion")


def quench_frames(
    start_type: str, seeds: list[int], frame_steps: list[int]
) -> list[tuple[str, np.ndarray]]:
    """Frames of 12 x 12 LLG runs (plain ED at the default kT) from random starts or from the
    perturbed skyrmion-lattice ansatz (the training data's default perturbation)."""
    solver = EDSolver(SDModelParams(), EDParams(num_twists=1))
    frames = []
    for seed in seeds:
        saved: dict[int, np.ndarray] = {}

        def observer(step, spins, result, saved=saved):
            if step in frame_steps:
                saved[step] = np.array(spins, copy=True)

        rng = np.random.default_rng(seed)
        if start_type == "random":
            start = random_spins(L, rng)
        else:
            start = skyrmion_lattice(L, perturbation=SkyrmionPerturbation(), rng=rng)
        run_llg(start, solver, LLGParams(), None, max(frame_steps), observer=observer)
        frames += [(f"seed {seed}, step {n}", saved[n]) for n in sorted(saved)]
    return frames


def torques(spins: np.ndarray, kT: float, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(electron fields, torques = field component perpendicular to the spins)."""
    solver = EDSolver(SDModelParams(electron_temperature=kT), EDParams(num_twists=k))
    fields = solver.compute(spins).fields
    return fields, perpendicular_part(fields, spins)


def angle_degrees(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Angle between a and b per site, degrees: atan2(|a x b|, a . b) (as torquenet.ml's
    ``torque_angles_degrees``; accurate at small angles)."""
    cross = np.linalg.norm(np.cross(a, b), axis=-1)
    return np.degrees(np.arctan2(cross, np.sum(a * b, axis=-1)))


def magnitude_error(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    nb = np.linalg.norm(b, axis=-1)
    return np.abs(np.linalg.norm(a, axis=-1) - nb) / nb


def vector_error(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.linalg.norm(a - b, axis=-1) / np.linalg.norm(b, axis=-1)


def energy_per_site(solver: EDSolver, spins: np.ndarray) -> float:
    omega = float(solver.compute(spins).grand_potential)
    return (omega - H_EXT @ spins.reshape(-1, 3).sum(axis=0)) / spins.shape[0] ** 2


def fmt_range(values: list[float]) -> str:
    return f"{min(values):.3g}-{max(values):.3g}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="studies/results/measured_facts.md")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    ap.add_argument("--frames", type=int, nargs="+", default=[100, 400, 1000])
    args = ap.parse_args()
    torch.set_num_threads(1)
    t_start = time.perf_counter()
    lines = [
        "# Measured facts",
        "",
        f"`.venv/bin/python studies/measured_facts.py` (arguments: `--seeds "
        f"{' '.join(map(str, args.seeds))} --frames {' '.join(map(str, args.frames))}`), run "
        f"{datetime.date.today().isoformat()}, 1 torch thread, torch {torch.__version__}, "
        f"{platform.machine()}.  Model: t = (1, 0, -0.85), J = 1, mu = -3.5 (the "
        "`SDModelParams` defaults), fields and energies by exact diagonalisation (`EDSolver`).",
        "",
    ]

    # (a) + (b): finite-size effects of the torque and its size relative to the field
    frames = {kind: quench_frames(kind, args.seeds, args.frames) for kind in START_TYPES}
    t_quench = time.perf_counter() - t_start
    num_frames = len(frames["random"])
    lines += [
        "## (a) Torque vs boundary-twist averaging, frames of 12 x 12 LLG runs",
        "",
        f"Per start type {num_frames} frames ({'; '.join(n for n, _ in frames['random'])}) of "
        "LLG runs (dt = 0.1, alpha = 0.05, T = 0, H_ext = 0.005 z, plain 12 x 12 ED at "
        "kT = 0.05, as in the `default` data recipe; "
        f"{t_quench:.0f} s) from random starts and from the perturbed skyrmion-lattice ansatz "
        "(phase / amplitude / magnetisation noise 0.5 / 0.3 / 0.2).  Each frame relabelled "
        "with k x k twist-averaged ED (= the (12k) x (12k) lattice carrying the 12-periodic "
        "texture); torques T = H - (H . S) S.  Entries: median over all "
        f"{num_frames * L * L} sites of one start type (in brackets the range of the per-frame "
        "medians) of the angle between T_k and T_ref, the relative magnitude error "
        "| \\|T_k\\| - \\|T_ref\\| | / \\|T_ref\\| and the relative vector error "
        "\\|T_k - T_ref\\| / \\|T_ref\\|.",
        "",
    ]
    results: dict[tuple[str, float, int], list[np.ndarray]] = {}
    fields_label: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {k: [] for k in START_TYPES}
    for kind in START_TYPES:
        for kT in TEMPERATURES:
            for k in TWISTS:
                results[kind, kT, k] = []
                for _, spins in frames[kind]:
                    fields, torque = torques(spins, kT, k)
                    results[kind, kT, k].append(torque)
                    if kT == 0.05 and k == 4:
                        fields_label[kind].append((fields, torque))
    comparisons = [(k, REFERENCE_TWISTS) for k in TWISTS if k < REFERENCE_TWISTS]
    comparisons.append((REFERENCE_TWISTS, TWISTS[-1]))

    def cell(values: list[np.ndarray], scale: float, unit: str) -> str:
        pooled = scale * float(np.median(np.concatenate(values, axis=None)))
        per_frame = [scale * float(np.median(x)) for x in values]
        return f"{pooled:.3g}{unit} ({fmt_range(per_frame)})"

    for kT in TEMPERATURES:
        lines += [
            f"kT = {kT}:",
            "",
            "| start | twists k (equivalent lattice) | T_ref | median angle "
            "| median rel. magnitude error | median rel. vector error |",
            "|---|---|---|---|---|---|",
        ]
        for kind in START_TYPES:
            for k, ref in comparisons:
                pairs = list(zip(results[kind, kT, k], results[kind, kT, ref]))
                name = "plain 12 x 12" if k == 1 else f"{L * k} x {L * k}"
                lines.append(
                    f"| {kind} | {k} ({name}) | k = {ref} "
                    f"| {cell([angle_degrees(a, b) for a, b in pairs], 1, ' deg')} "
                    f"| {cell([magnitude_error(a, b) for a, b in pairs], 100, '%')} "
                    f"| {cell([vector_error(a, b) for a, b in pairs], 100, '%')} |"
                )
        lines.append("")
    lines += [f"<!-- (a) done after {time.perf_counter() - t_start:.0f} s -->", ""]

    lines += [
        "## (b) Torque relative to the field on the same frames",
        "",
        "Electron fields H (4 x 4 twists, kT = 0.05, the training labels' setting; H_ext not "
        "included) and torques T = H - (H . S) S; range over frames in brackets:",
        "",
        "| start | median of \\|T_i\\| / \\|H_i\\| | mean \\|T\\| / mean \\|H\\| "
        "| mean \\|T\\| | mean \\|H\\| |",
        "|---|---|---|---|---|",
    ]
    for kind in START_TYPES:
        ratios = [
            np.linalg.norm(t, axis=-1) / np.linalg.norm(f, axis=-1) for f, t in fields_label[kind]
        ]
        mean_t = [float(np.linalg.norm(t, axis=-1).mean()) for _, t in fields_label[kind]]
        mean_h = [float(np.linalg.norm(f, axis=-1).mean()) for f, _ in fields_label[kind]]
        lines.append(
            f"| {kind} | {np.median(np.concatenate(ratios, axis=None)):.3f} "
            f"({fmt_range([float(np.median(r)) for r in ratios])}) "
            f"| {np.mean(mean_t) / np.mean(mean_h):.3f} "
            f"({fmt_range([t / h for t, h in zip(mean_t, mean_h)])}) "
            f"| {np.mean(mean_t):.4f} ({fmt_range(mean_t)}) "
            f"| {np.mean(mean_h):.4f} ({fmt_range(mean_h)}) |"
        )
    lines.append("")

    # (c) energies of ordered states at kT = 0.01, 16 x 16 twists
    t_c = time.perf_counter()
    solver = EDSolver(SDModelParams(electron_temperature=0.01), EDParams(num_twists=16))
    q1 = nesting_wavevectors()[0]
    ansatz = SkyrmionLatticeAnsatz()
    states = [
        ("ferromagnet along z", "", ferromagnet(L)),
        ("coplanar spiral at Q1", "", spiral(L, q1)),
        ("conical spiral at Q1", "m_z = 0.2", spiral(L, q1, cone_angle=np.arcsin(0.2))),
        (
            "triple-Q ansatz, Eq. (13) (`SkyrmionLatticeAnsatz()` defaults)",
            f"A = {ansatz.amplitude}, M = {ansatz.magnetization}, phi = {ansatz.phase}",
            skyrmion_lattice(L, ansatz),
        ),
        (
            "for comparison: conical spiral at the 8 x 8-twist optimum",
            "m_z = 0.168",
            spiral(L, q1, cone_angle=np.arcsin(0.168)),
        ),
        (
            "for comparison: triple-Q ansatz at the 8 x 8-twist optimum",
            "A = 0.669, M = 0.147, phi = 1.571",
            skyrmion_lattice(
                L, SkyrmionLatticeAnsatz(amplitude=0.669, magnetization=0.147, phase=1.571)
            ),
        ),
    ]
    lines += [
        "## (c) Energies per site, 12 x 12 cell, 16 x 16 twists, kT = 0.01",
        "",
        "E = Omega / N - H_ext . m with H_ext = 0.005 z (Omega: grand potential of the "
        "electrons).  The 8 x 8-twist optima are those of "
        "`studies/results/ground_state_energies.md`.",
        "",
        "| state | parameters | E per site | Omega / N | m_z | topological charge per 12 x 12 |",
        "|---|---|---|---|---|---|",
    ]
    for name, par, spins in states:
        e = energy_per_site(solver, spins)
        mz = float(magnetization(spins)[2])
        q = float(topological_charge(spins))
        lines.append(f"| {name} | {par} | {e:.6f} | {e + H_EXT[2] * mz:.6f} | {mz:.3f} | {q:.3f} |")
    lines += ["", f"<!-- (c): {time.perf_counter() - t_c:.0f} s -->", ""]

    # (d) parameter count of the paper-width ResNet
    from torquenet.ml import MODEL_PRESETS, TorqueCNN, count_parameters

    paper = MODEL_PRESETS["paper"]
    n_params = count_parameters(TorqueCNN(paper))
    lines += [
        "## (d) Size of the paper-width ResNet",
        "",
        f"`count_parameters(TorqueCNN(MODEL_PRESETS['paper']))` (widths {paper.widths}, "
        f"kernel {paper.kernel_size} x {paper.kernel_size}): **{n_params:,} parameters** "
        f"({n_params / 1e6:.2f} M).",
        "",
        f"Total wall time: {time.perf_counter() - t_start:.0f} s.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)


if __name__ == "__main__":
    main()
