"""LLG integrator overhead per step (field evaluations excluded) vs one CNN-sized field evaluation.

Usage: .venv/bin/python benchmarks/bench_llg.py [--L 96] [--steps 50]
Writes the markdown table to benchmarks/results/llg.md (and prints it).  All numbers come from
one run, so the ratios are meaningful on a shared, noisy machine.

Rows:
- ``sib_step`` alone (predictor + corrector Cayley rotations, midpoint, noise draw at T > 0) with
  a field function that returns a precomputed array, i.e. zero field cost;
- ``run_llg`` with a zero-cost FieldSolver: adds H_ext, the blow-up guard (NaN/|S| check);
- ``simulate`` end to end with the zero-cost solver (frames every 10 steps with fields,
  observables, HDF5 checkpoints every 100 steps, final file), per step.
The reference is one forward pass of a CNN of the paper's kind at the same L: 5 x 5 kernels,
circular padding, a stem, 4 residual blocks of widths 32-32-64-64 and 2 head convolutions.
The LLG step evaluates the field twice; the target compares the overhead with ONE.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).parent))
from _timing import best_time, markdown_table  # noqa: E402

from torquenet import FieldResult  # noqa: E402
from torquenet.dynamics import LLGParams, run_llg, sib_step  # noqa: E402
from torquenet.model import SDModelParams  # noqa: E402
from torquenet.runs import SimulationConfig, simulate  # noqa: E402
from torquenet.textures import random_spins  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "llg.md"
TARGET_FRACTION = 0.05  # integrator overhead below 5% of one CNN-sized field evaluation


class ResidualBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        conv = dict(kernel_size=5, padding=2, padding_mode="circular")
        self.conv1 = nn.Conv2d(c_in, c_out, **conv)
        self.conv2 = nn.Conv2d(c_out, c_out, **conv)
        self.skip = nn.Identity() if c_in == c_out else nn.Conv2d(c_in, c_out, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.skip(x) + self.conv2(torch.relu(self.conv1(x))))


def cnn(widths: tuple[int, ...] = (32, 32, 64, 64)) -> nn.Module:
    conv = dict(kernel_size=5, padding=2, padding_mode="circular")
    layers: list[nn.Module] = [nn.Conv2d(3, widths[0], **conv), nn.ReLU()]
    for c_in, c_out in zip((widths[0], *widths[:-1]), widths):
        layers.append(ResidualBlock(c_in, c_out))
    layers += [nn.Conv2d(widths[-1], 32, **conv), nn.ReLU(), nn.Conv2d(32, 3, **conv)]
    return nn.Sequential(*layers).double().eval()


class ZeroCostSolver:
    """A FieldSolver that returns a precomputed result: isolates the integrator's own cost."""

    provides_energy = True

    def __init__(self, L: int, rng: np.random.Generator) -> None:
        self.params = SDModelParams()
        self.result = FieldResult(
            fields=0.1 * rng.standard_normal((L, L, 3)), grand_potential=np.float64(-1.0)
        )

    def compute(self, spins: np.ndarray) -> FieldResult:
        return self.result


def per_step(fn, num_steps: int, repeats: int = 10) -> float:
    # best of many repeats: the machine is shared, the least disturbed run is the cost
    return best_time(fn, repeats=repeats) / num_steps


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--L", type=int, default=96)
    ap.add_argument("--steps", type=int, default=50, help="steps per timed kernel/loop call")
    args = ap.parse_args()
    L, n = args.L, args.steps
    rng = np.random.default_rng(0)
    spins0 = random_spins(L, rng)
    solver = ZeroCostSolver(L, rng)
    field = solver.result.fields

    def field_fn(spins):
        return field

    model = cnn().float()  # float32, as a trained CNN runs; float64 convolutions are ~10x slower
    num_parameters = sum(p.numel() for p in model.parameters())
    x = torch.from_numpy(spins0.transpose(2, 0, 1)[None].astype(np.float32))

    def cnn_forward() -> float:
        with torch.no_grad():
            return best_time(lambda: model(x), repeats=10)

    load_before = os.getloadavg()[0]
    cnn_times = [cnn_forward()]

    rows = []
    for temperature in (0.0, 0.01):
        params = LLGParams(temperature=temperature)

        def kernel(params=params):
            s = spins0
            noise = np.random.default_rng(1)
            for _ in range(n):
                s = sib_step(s, field_fn, params, noise, field=field)

        def loop(params=params):
            run_llg(spins0, solver, params, np.random.default_rng(1), n)

        rows.append((f"sib_step, T = {temperature}", per_step(kernel, n)))
        rows.append((f"run_llg (+ H_ext, guard), T = {temperature}", per_step(loop, n)))

    # defaults of SimulationConfig (frames with fields every 10 steps, checkpoints every 100);
    # 1000 steps amortise the final assembly of the file as a long run would
    config = SimulationConfig(L=L, num_steps=1000, save_every=10, checkpoint_every=100)
    with tempfile.TemporaryDirectory() as tmp:
        counter = iter(range(10**6))

        def full():
            # zero-cost fields inside simulate: only its own overhead is timed
            simulate(config, Path(tmp) / f"run{next(counter)}.h5", solver=solver)

        rows.append(
            (
                "simulate (+ frames, HDF5 checkpoints), T = 0",
                per_step(full, config.num_steps, repeats=2),
            )
        )
        config_t = replace(config, llg=LLGParams(temperature=0.01))

        def full_t():
            simulate(config_t, Path(tmp) / f"run{next(counter)}.h5", solver=solver)

        rows.append(
            (
                "simulate (+ frames, HDF5 checkpoints), T = 0.01",
                per_step(full_t, config.num_steps, repeats=2),
            )
        )

    cnn_times.append(cnn_forward())
    # the smallest CNN time of the run gives the largest (most conservative) overhead fraction
    t_cnn = min(cnn_times)
    table = markdown_table(
        [
            "integrator work per step (no field evaluation)",
            "ms / step",
            "ns / site",
            "% of one CNN forward",
            f"< {100 * TARGET_FRACTION:.0f}%",
        ],
        [
            [
                name,
                1e3 * t,
                1e9 * t / L**2,
                f"{100 * t / t_cnn:.2f}%",
                "yes" if t < TARGET_FRACTION * t_cnn else "NO",
            ]
            for name, t in rows
        ],
    )
    text = (
        f"# LLG integrator overhead at L = {L} ({L * L} sites)\n\n"
        f"`.venv/bin/python benchmarks/bench_llg.py --L {L} --steps {n}`, "
        f"{time.strftime('%Y-%m-%d')}, torch {torch.__version__} with "
        f"{torch.get_num_threads()} threads, numpy {np.__version__}, 1-minute load average "
        f"{load_before:.2f} before / {os.getloadavg()[0]:.2f} after (shared 2-core machine).\n\n"
        f"Reference: one float32 forward pass of a 5 x 5-kernel residual CNN, widths "
        f"32-32-64-64, {num_parameters / 1e6:.2f} M parameters, input (1, 3, {L}, {L}): "
        f"{' and '.join(f'{1e3 * c:.1f}' for c in cnn_times)} ms (best of 10 calls, measured "
        f"before and after the rows below; the table uses the smaller, **{1e3 * t_cnn:.1f} ms**)."
        f"  Target: integrator overhead < {100 * TARGET_FRACTION:.0f}% of one such "
        f"evaluation (an LLG step makes two).\n\n"
        f"{table}\n"
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
