"""Strong and weak scaling of domain-decomposed CNN-LLG (torchrun, gloo) on this machine.

Usage: .venv/bin/python benchmarks/bench_domains.py [--steps 4] [--strong 256 512]
       [--weak 256] [--out benchmarks/results/domains.md]

Every case is a fresh ``torchrun --standalone --nproc-per-node P`` of this script in worker
mode: each process builds the shipped model's :class:`~torquenet.ml.DomainCNNSolver` for its
row slab, makes one warm-up LLG step and then ``--steps`` timed steps of
:func:`~torquenet.dynamics.run_llg` (T = 0.01, counter noise; two field evaluations with halo
exchange per step), and reports the slowest process's time, the share of it spent in the halo
exchange, and its peak RSS.  Cases:

- strong scaling at fixed L: 1 process x 1 thread, 1 process x 2 threads, 2 processes x 1
  thread (the two ways to use the 2 cores);
- weak scaling: L^2 / P sites per process fixed (L = W and L = round(sqrt(2) W)), 1 thread each.

All cases run in one invocation, so the ratios are comparable on a shared machine.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).parent / "results" / "domains.md"


def _peak_rss() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise KeyError("VmHWM")


def worker(L: int, steps: int) -> None:
    """One process of a case (run under torchrun)."""
    import numpy as np
    import torch
    import torch.distributed as dist

    from torquenet.dynamics import CounterNoise, LLGParams, run_llg
    from torquenet.ml import CNNSolver, DomainCNNSolver, RowSlabs, setup_distributed
    from torquenet.pretrained import default_model_path
    from torquenet.textures import random_spins

    context = setup_distributed(torch.device("cpu"), single_process_group=True)
    slabs = RowSlabs(L, context.world_size)
    solver = DomainCNNSolver(CNNSolver.from_file(default_model_path()), slabs, context)
    first, end = slabs.bounds(context.rank)
    spins = random_spins(L, np.random.default_rng(0))[first:end].copy()
    noise = CounterNoise(0, first_site=slabs.first_site(context.rank))
    params = LLGParams(temperature=0.01)
    spins = run_llg(spins, solver, params, noise, 1)  # warm-up
    dist.barrier()
    solver.exchange_seconds = 0.0
    start = time.perf_counter()
    run_llg(spins, solver, params, noise, 1 + steps, start_step=1)
    dist.barrier()
    elapsed = time.perf_counter() - start
    report = [elapsed / steps, solver.exchange_seconds / elapsed, _peak_rss()]
    reports = [None] * context.world_size
    dist.all_gather_object(reports, report)
    if context.is_main:
        slowest = max(reports, key=lambda r: r[0])
        print(
            "RESULT "
            + json.dumps(
                {
                    "step_seconds": slowest[0],
                    "halo_share": max(r[1] for r in reports),
                    "peak_rss": max(r[2] for r in reports),
                }
            ),
            flush=True,
        )
    dist.destroy_process_group()


def run_case(L: int, processes: int, threads: int, steps: int) -> dict:
    env = {
        **os.environ,
        "OMP_NUM_THREADS": str(threads),
        "OMP_WAIT_POLICY": "PASSIVE",
        "PYTHONPATH": str(ROOT),
    }
    command = [
        sys.executable, "-m", "torch.distributed.run", "--standalone",
        "--nproc-per-node", str(processes), __file__, "--worker", str(L), str(steps),
    ]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=1800)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"case L={L} P={processes} failed:\n{done.stderr[-3000:]}")
    result = json.loads(lines[-1][len("RESULT ") :])
    result.update(L=L, processes=processes, threads=threads)
    print(
        f"L={L} P={processes} threads={threads}: {result['step_seconds']:.3g} s/step, "
        f"halo {100 * result['halo_share']:.1f}%, peak RSS {result['peak_rss'] / 2**20:.0f} MB",
        flush=True,
    )
    return result


def table(results: list[dict], baseline: dict[int, float]) -> str:
    sys.path.insert(0, str(Path(__file__).parent))
    from _timing import markdown_table

    rows = []
    for r in results:
        L, P, t = r["L"], r["processes"], r["threads"]
        rate = L * L / r["step_seconds"]
        rows.append(
            [
                r["kind"],
                L,
                P,
                t,
                f"{r['step_seconds']:.3g}",
                f"{rate:.3g}",
                f"{rate / baseline[r['kind_key']]:.2f}",
                f"{100 * r['halo_share']:.1f}%",
                f"{r['peak_rss'] / 2**20:.0f} MB",
            ]
        )
    return markdown_table(
        [
            "scaling",
            "L",
            "processes",
            "threads / process",
            "s / LLG step",
            "spin-steps / s",
            "throughput vs 1 x 1",
            "halo exchange share",
            "peak RSS / process",
        ],
        rows,
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--worker", nargs=2, type=int, metavar=("L", "STEPS"), help=argparse.SUPPRESS)
    ap.add_argument("--steps", type=int, default=4)
    ap.add_argument("--strong", type=int, nargs="+", default=[256, 512])
    ap.add_argument("--weak", type=int, default=256, help="side W of the one-process lattice")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()
    if args.worker:
        worker(*args.worker)
        return
    started = time.time()
    results, baseline = [], {}
    for L in args.strong:
        for processes, threads in ((1, 1), (1, 2), (2, 1)):
            r = run_case(L, processes, threads, args.steps)
            r.update(kind="strong", kind_key=L)
            if (processes, threads) == (1, 1):
                baseline[L] = L * L / r["step_seconds"]
            results.append(r)
    W = args.weak
    for processes in (1, 2):
        L = round(W * math.sqrt(processes))
        r = run_case(L, processes, 1, args.steps)
        r.update(kind="weak", kind_key=-1)
        if processes == 1:
            baseline[-1] = L * L / r["step_seconds"]
        results.append(r)
    text = table(results, baseline)
    header = (
        f"# Domain decomposition: strong and weak scaling\n\n"
        f"`.venv/bin/python benchmarks/bench_domains.py --steps {args.steps} --strong "
        f"{' '.join(map(str, args.strong))} --weak {W}`, "
        f"{datetime.date.today().isoformat()}, {os.cpu_count()} CPUs, gloo, shipped model, "
        f"{time.time() - started:.0f} s in all.  Throughput is relative to 1 process x 1 thread "
        f"at the same L (strong) or at L = {W} (weak: the same sites per process).\n\n"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(header + text + "\n")
    print(header + text)


if __name__ == "__main__":
    main()
