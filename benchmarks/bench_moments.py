"""Cost of the local Chebyshev moment vectors against a CNN forward and a KPM field evaluation.

Usage: .venv/bin/python benchmarks/bench_moments.py [--threads 2] [--moments 17]
Writes benchmarks/results/moments.md (and prints it).  Everything in one run (ratios).

What is timed, on a perturbed skyrmion-lattice texture, one field evaluation each:
- ``local_spin_moments`` with M moments (orders 0 .. M-1), float64 and float32, exact probing
  (smallest exact colouring distance that divides L) and the cheaper d = 12 and 24 colourings,
  whose error on the moments is reported against the exact ones (max over sites and orders of
  |mu_probed - mu_exact| / max |mu_exact| of that order);
- the shipped CNN's forward pass (``CNNSolver.compute``);
- KPM with M = 300, d = 24, float32 (the cheaper KPM setting of BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).parent))
from _timing import best_time, markdown_table  # noqa: E402

from torquenet import KPMParams, KPMSolver, SDModelParams  # noqa: E402
from torquenet.ml import CNNSolver  # noqa: E402
from torquenet.pretrained import default_model_path  # noqa: E402
from torquenet.solvers import exact_distance_on_torus, local_spin_moments  # noqa: E402
from torquenet.textures import SkyrmionPerturbation, skyrmion_lattice  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "moments.md"
SIZES = (48, 96)


def texture(L: int) -> np.ndarray:
    return skyrmion_lattice(
        L, perturbation=SkyrmionPerturbation(0.15, 0.3, 0.2), rng=np.random.default_rng(0)
    )


def timed(fn, *args, **kwargs) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - start, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--moments", type=int, default=17)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    params, M = SDModelParams(), args.moments
    cnn = CNNSolver.from_file(default_model_path())
    kpm_params = KPMParams(probing_distance=24, dtype="float32")
    rows = []
    for L in SIZES:
        spins = texture(L)
        exact_d = exact_distance_on_torus(L, M, params)
        cnn_s = best_time(functools.partial(cnn.compute, spins), repeats=2)
        KPMSolver(params, KPMParams(num_moments=4, probing_distance=24, dtype="float32")).compute(
            spins
        )  # compile warm-up at this shape
        kpm_s, _ = timed(KPMSolver(params, kpm_params).compute, spins)
        exact_s, exact = timed(local_spin_moments, spins, params, M, exact_d)
        scale = np.abs(exact).reshape(M, -1).max(axis=1)[2:]
        print(
            f"L = {L}: CNN {cnn_s:.3g} s, KPM {kpm_s:.3g} s, moments exact {exact_s:.3g} s",
            flush=True,
        )
        for d, dtype in (
            (exact_d, torch.float64),
            (exact_d, torch.float32),
            (24, torch.float32),
            (12, torch.float32),
        ):
            seconds, mu = timed(local_spin_moments, spins, params, M, d, dtype=dtype)
            error = (np.abs(mu - exact).reshape(M, -1).max(axis=1)[2:] / scale).max()
            rows.append([
                L, d, str(dtype).removeprefix("torch."), f"{seconds:.3g}", f"{error:.1e}",
                f"{seconds / cnn_s:.3g}x", f"{kpm_s / seconds:.3g}x",
            ])  # fmt: skip
            print(rows[-1], flush=True)
        rows.append([L, "-", "CNN forward", f"{cnn_s:.3g}", "-", "1x", f"{kpm_s / cnn_s:.3g}x"])
        rows.append(
            [L, 24, "KPM M = 300 float32", f"{kpm_s:.3g}", "-", f"{kpm_s / cnn_s:.3g}x", "1x"]
        )
    header = [
        "L",
        "d",
        "what",
        "seconds",
        "moment error vs exact",
        "/ CNN forward",
        "KPM d = 24 / this",
    ]
    load = os.getloadavg()[0]
    text = (
        f"## Local Chebyshev moments (M = {M}) vs CNN forward vs KPM\n\n"
        f"`.venv/bin/python benchmarks/bench_moments.py --threads {args.threads} --moments {M}`; "
        f"torch {torch.__version__}, {args.threads} thread(s), 1-minute load average {load:.1f} "
        f"at the end; moments eager (not compiled), one field evaluation each.\n\n"
        + markdown_table(header, rows)
        + "\n"
    )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
