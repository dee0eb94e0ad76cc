"""What accuracy does KPM buy at a given cost?  The yardstick for every cheaper torque model.

A trained network is worth using where it is faster than KPM *at equal accuracy*.  This study
scores KPM with reduced settings (fewer Chebyshev moments M, coarser probing distance d) with the
metrics of the accuracy targets (median / p99 angle, median relative magnitude error, relative
L1 loss of Eq. 11) against the same ED labels the networks are scored on, and times it next to
the shipped network.

The validation frames of a ``default`` dataset are 12 x 12 textures whose labels are 4 x 4
twist-averaged ED fields, i.e. the fields of the texture tiled 4 x 4 times.  KPM is therefore run
on the tiled 48 x 48 texture (probing distances must divide 48) and its torques on the first
12 x 12 cell are compared with the labels; the times are per 48 x 48 texture (KPM is linear in N:
multiply by 4 for L = 96, BENCHMARKS.md).  The network is timed on the same 48 x 48 textures.

Usage: .venv/bin/python studies/kpm_accuracy_vs_cost.py [--data runs/data80] [--frames 40]
       [--settings 50:6 100:12 ...] [--threads 2] [--dtype float32]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from _common import error_summary, load_split, select_frames

from torquenet.data import START_TYPES, read_manifest
from torquenet.ml import load_model_file
from torquenet.observables import perpendicular_part
from torquenet.pretrained import default_model_path
from torquenet.solvers import KPMParams, KPMSolver

#: (M, d) pairs scored by default: from a few times the network's cost up to a quarter of the
#: package default (M = 300, d = 48, which on 48 x 48 probes every site: ~4x the d = 24 cost).
DEFAULT_SETTINGS = ("50:6", "100:6", "100:12", "150:12", "200:12", "150:24", "200:24", "300:24")
TILES = 4  # the labels' 4 x 4 twists = the texture tiled 4 x 4


def tiled(spins: torch.Tensor) -> np.ndarray:
    """(B, 3, L, L) validation spins as (B, 4L, 4L, 3) textures."""
    return np.tile(spins.permute(0, 2, 3, 1).numpy(), (1, TILES, TILES, 1))


def kpm_torques(solver: KPMSolver, textures: np.ndarray, L: int) -> tuple[torch.Tensor, float]:
    """Torques on the first L x L cell as (B, 3, L, L), and seconds per texture."""
    solver.compute(textures[:1])  # compile / warm up outside the timing
    start = time.perf_counter()
    fields = solver.compute(textures).fields
    seconds = (time.perf_counter() - start) / len(textures)
    torques = perpendicular_part(fields, textures)[:, :L, :L]
    return torch.from_numpy(np.ascontiguousarray(torques)).permute(0, 3, 1, 2), seconds


def network_torques(textures: np.ndarray, L: int) -> tuple[torch.Tensor, float]:
    model, _ = load_model_file(default_model_path())
    spins = torch.from_numpy(textures).permute(0, 3, 1, 2).float().contiguous()
    with torch.no_grad():
        model(spins[:1])
        start = time.perf_counter()
        out = torch.cat([model(spins[k : k + 1]) for k in range(len(spins))])
    seconds = (time.perf_counter() - start) / len(spins)
    return out[:, :, :L, :L].double(), seconds


def row(name: str, seconds: float, reference: float, predicted, target) -> str:
    e = error_summary(predicted, target)
    return (
        f"| {name} | {seconds:.3g} | {seconds / reference:.3g} | {e.mean_relative_l1:.3f} "
        f"| {e.median_angle_degrees:.2f} deg | {e.p99_angle_degrees:.1f} "
        f"| {100 * e.median_relative_magnitude_error:.2f}% |"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--data", default="runs/data80")
    ap.add_argument("--frames", type=int, default=20, help="validation frames per start type")
    ap.add_argument("--settings", nargs="+", default=list(DEFAULT_SETTINGS), metavar="M:d")
    ap.add_argument("--starts", nargs="+", default=list(START_TYPES), choices=START_TYPES)
    ap.add_argument("--dtype", default="float32", choices=("float32", "float64"))
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    try:
        settings = [tuple(int(x) for x in s.split(":")) for s in args.settings]
    except ValueError:
        ap.error(f"--settings must be M:d pairs of integers, got {args.settings}")
    torch.set_num_threads(args.threads)
    manifest = read_manifest(args.data)
    labels = manifest.label_solver()
    if labels.kind != "ed" or labels.ed.num_twists != TILES:
        ap.error(f"{args.data} is not labelled by ED with {TILES} x {TILES} twists")
    params = manifest.physics()
    validation = load_split(args.data, "validation")
    for name in args.starts:
        spins, labels = select_frames(validation, START_TYPES.index(name), args.frames, seed=1)
        labels = labels * manifest.torque_scale  # the dataset's normalised labels -> physical
        L = spins.shape[-1]
        textures = tiled(spins)
        predicted, reference = network_torques(textures, L)
        print(
            f"\n{name} starts, {len(spins)} validation frames; seconds per {TILES * L} x "
            f"{TILES * L} texture, {args.threads} threads, KPM in {args.dtype}\n\n"
            "| model | seconds | / network | loss | median angle | p99 angle | median magnitude "
            "error |\n" + "|---" * 7 + "|"
        )
        print(row("shipped network", reference, reference, predicted, labels), flush=True)
        for M, d in settings:
            solver = KPMSolver(
                params, KPMParams(num_moments=M, probing_distance=d, dtype=args.dtype)
            )
            torques, seconds = kpm_torques(solver, textures, L)
            print(row(f"KPM M = {M}, d = {d}", seconds, reference, torques, labels), flush=True)


if __name__ == "__main__":
    main()
