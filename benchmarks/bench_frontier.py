"""One accuracy-cost frontier of every field solver for LLG dynamics (paired ensembles).

Usage: .venv/bin/python benchmarks/bench_frontier.py [--config benchmarks/configs/frontier.yaml]
       [--out runs/frontier] [--only NAME ...] [--workers N] [--analyze] [--archive DIR]

Every contender (a field solver, a Langevin temperature and a supercell size, listed in the
config) integrates the *same* starts: ``num_random`` random quenches and ``num_skyrmion``
perturbed skyrmion lattices on L x L, with the same noise seeds, to ``num_steps``.  KPM sees the
twisted system of the reference (ED with k x k twists) as the texture tiled k x k times
(``torquenet.solvers.SupercellSolver``: equal by Bloch's theorem).  Each run is a resumable
``torquenet.runs.simulate`` in ``OUT/runs/NAME/``: interrupt and rerun at will; ``--only``
restricts the contenders, ``--workers`` runs several at once.  Several processes may work on
the same OUT at once (each run is locked by its writer; one held by another process is
skipped, so a second invocation takes the next free run).

Every finished run is reduced to a small summary in the archive (``--archive``, default
``benchmarks/results/frontier/CONTENDER/START.npz``, committed with the project): the
S(+-Q_eta) weight of every saved frame, the frames up to ``divergence_until`` (float32), the
exact grand potential per site of every ``energy_every``-th frame (the reference solver), the
skyrmion counts at the end, T_noise for fresh probes, and the configs and provenance as JSON.
The ensemble takes ~11 core-hours, more than a working session; the trajectories themselves
are regenerable but not kept, so ``--archive-only`` archives what has finished and a later
session continues with the missing runs.  A summary made under another frontier config or
contender definition is refused.

``--analyze`` (after the runs) measures, per contender and in one process: the cost of one LLG
step on the first start relative to the network (best of 3, ``FRONTIER_THREADS`` threads,
default 1, as the runs); the paired relative difference of
S(+-Q_eta, t) from the reference ensemble at every saved time, for the random and the skyrmion
starts separately (mean over runs, delta-method error); the mean spin-angle divergence from the
reference run up to ``divergence_until``; the exact grand potential per site (the reference
solver) of every ``energy_every``-th saved frame against the reference run's; the skyrmion
counts at the end; for fresh-probe KPM the probe-noise temperature T_noise recorded in its
runs (measured on each start).  It uses the archive where a summary exists and archives
every finished run that has none; contenders with missing runs are left out and named.  It
writes ``frontier.md`` (the table), ``frontier.json`` and
``frontier.png`` (fidelity vs cost, log axes, error bars) in OUT, and names the cheapest
contender whose paired S(+-Q, t) stays within ``tolerance`` of the reference at every time.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from torquenet import __version__
from torquenet.analysis import paired_relative_difference
from torquenet.config import from_mapping, read_yaml, save_config, to_mapping
from torquenet.data import RunInUseError, read_trajectory
from torquenet.dynamics import (
    LLGParams,
    probe_noise_temperature,
    sib_step,
    solver_field_function,
)
from torquenet.model import SDModelParams
from torquenet.observables import count_skyrmions, peak_intensity, structure_factor
from torquenet.runs import SimulationConfig, build_solver, simulate
from torquenet.solvers import SolverConfig, SupercellSolver, probe_field_noise
from torquenet.textures import SkyrmionPerturbation, random_spins, skyrmion_lattice

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CONFIG = Path(__file__).parent / "configs" / "frontier.yaml"
DEFAULT_ARCHIVE = Path(__file__).parent / "results" / "frontier"


@dataclass(frozen=True)
class Contender:
    """One field solver of the frontier: its config, Langevin temperature and supercell."""

    name: str
    solver: SolverConfig = field(default_factory=SolverConfig)
    temperature: float = 0.0
    supercell: int = 1


@dataclass(frozen=True)
class FrontierConfig:
    """The paired ensemble and the contenders (``contenders`` is read separately)."""

    L: int = 12
    num_random: int = 10
    num_skyrmion: int = 4
    num_steps: int = 500
    save_every: int = 25
    checkpoint_every: int = 50
    seed: int = 21
    divergence_until: float = 10.0
    energy_every: int = 4
    tolerance: float = 0.02
    cost_sizes: tuple[int, ...] = (48, 96)
    reference: str = "ed_T0"
    network: str = "network"
    model: SDModelParams = field(default_factory=SDModelParams)
    llg: LLGParams = field(default_factory=LLGParams)
    perturbation: SkyrmionPerturbation = field(default_factory=SkyrmionPerturbation)


def load(path: Path) -> tuple[FrontierConfig, tuple[Contender, ...]]:
    data = read_yaml(path)
    items = data.pop("contenders", None)
    if not items:
        raise ValueError(f"{path}: the config lists no contenders")
    config = from_mapping(FrontierConfig, data, where=str(path))
    contenders = tuple(
        from_mapping(Contender, item, where=f"{path}: contenders[{k}]")
        for k, item in enumerate(items)
    )
    names = [c.name for c in contenders]
    for needed in (config.reference, config.network):
        if needed not in names:
            raise ValueError(f"{path}: contender {needed!r} (reference/network) is not listed")
    if len(set(names)) != len(names):
        raise ValueError(f"{path}: contender names repeat: {names}")
    return config, contenders


def start_names(config: FrontierConfig) -> list[str]:
    return [f"random_{k:03d}" for k in range(config.num_random)] + [
        f"skyrmion_{k:03d}" for k in range(config.num_skyrmion)
    ]


def write_starts(config: FrontierConfig, out: Path) -> dict[str, Path]:
    """The initial textures every contender starts from (written once, then reused)."""
    folder = out / "starts"
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for k, name in enumerate(start_names(config)):
        path = folder / f"{name}.npy"
        if not path.exists():
            rng = np.random.default_rng(np.random.SeedSequence([config.seed, k]))
            if name.startswith("random"):
                spins = random_spins(config.L, rng)
            else:
                spins = skyrmion_lattice(config.L, perturbation=config.perturbation, rng=rng)
            np.save(path, spins)
        paths[name] = path
    return paths


def make_solver(contender: Contender, model: SDModelParams):
    solver = build_solver(contender.solver, model)
    return SupercellSolver(solver, contender.supercell) if contender.supercell > 1 else solver


def uses_fresh_probes(contender: Contender) -> bool:
    """Whether the contender is fresh-probe KPM (read from its config, no solver built)."""
    return contender.solver.kind == "kpm" and contender.solver.kpm.fresh_probes


def run_path(out: Path, contender: Contender, start: str) -> Path:
    return out / "runs" / contender.name / f"{start}.h5"


def summary_path(archive: Path, contender: Contender, start: str) -> Path:
    return archive / contender.name / f"{start}.npz"


def run_config(config: FrontierConfig, contender: Contender, start: Path, k: int):
    return SimulationConfig(
        L=config.L,
        init=str(start),
        num_steps=config.num_steps,
        save_every=config.save_every,
        checkpoint_every=config.checkpoint_every,
        seed=config.seed + 1000 + k,  # the same noise for every contender of a start
        save_fields=False,
        model=config.model,
        llg=replace(config.llg, temperature=contender.temperature),
        solver=contender.solver,
    )


def frontier_threads() -> int:
    """Threads per run and for the cost measurement: ``FRONTIER_THREADS``, default 1.  Costs
    are measured as the runs are made: on this 2-core machine two threads made the ED step 3.7x
    and the network's 2.1x slower than one (2026-12-02, quiet machine), the KPM steps not."""
    return int(os.environ.get("FRONTIER_THREADS", "1"))


def run_unit(args: tuple) -> str:
    """One (contender, start) trajectory; resumes or is a no-op when finished."""
    config, contender, start, k, out = args
    import torch

    torch.set_num_threads(frontier_threads())
    solver = make_solver(contender, config.model)
    run = run_config(config, contender, start, k)
    try:
        simulate(run, out, solver=solver if contender.supercell > 1 else None)
    except RunInUseError:  # another process of this frontier is on it: leave it to that one
        return f"{contender.name}/{out.name} skipped (another process is running it)"
    return f"{contender.name}/{out.name}"


def run_all(config, contenders, out: Path, workers: int, archive: Path = DEFAULT_ARCHIVE) -> None:
    """Every (contender, start) run not yet archived (a summary in ``archive`` is finished
    work of an earlier session: it is checked against the config, then skipped)."""
    starts = write_starts(config, out)
    units, archived = [], 0
    for contender in contenders:
        folder = out / "runs" / contender.name
        folder.mkdir(parents=True, exist_ok=True)
        save_config(contender, folder / "contender.yaml")
        for k, (name, path) in enumerate(starts.items()):
            stored = summary_path(archive, contender, name)
            if stored.exists():
                read_summary(stored, config, contender)  # refuses one of another config
                archived += 1
                continue
            units.append((config, contender, path, k, run_path(out, contender, name)))
    if archived:
        print(f"{archived} run(s) already archived in {archive}: skipped", flush=True)
    started = time.time()
    if workers <= 1:
        for unit in units:
            print("done", run_unit(unit), f"({time.time() - started:.0f} s)", flush=True)
    else:
        with ProcessPoolExecutor(workers) as pool:
            for done in pool.map(run_unit, units):
                print("done", done, f"({time.time() - started:.0f} s)", flush=True)


# ----------------------------------------------------------------------------- analysis
def step_cost(contender: Contender, config: FrontierConfig, spins: np.ndarray) -> float:
    """Seconds per LLG step (best of 3 after a warm-up) on one start, this process."""
    solver = make_solver(contender, config.model)
    params = replace(config.llg, temperature=0.0)
    field_fn = solver_field_function(solver, params.external_field)
    begin = getattr(solver, "begin_step", None)
    best = np.inf
    for repeat in range(4):
        if begin is not None:
            begin(0, repeat)
        start = time.perf_counter()
        sib_step(spins, field_fn, params, None)
        if repeat:  # the first call compiles / warms up
            best = min(best, time.perf_counter() - start)
    return float(best)


def costs_per_site(config: FrontierConfig, contenders, measured: dict) -> dict:
    """Microseconds per site and LLG step on plain L x L tori, L in ``cost_sizes``, for every
    contender but ED (measured, this process, on a random texture: the cost a user pays at
    that size); ED from its frontier cost scaled as N^3 (its k x k twists are k^2 systems of
    the cell, eigh ~ N^3), marked as fitted."""
    table = {}
    for contender in contenders:
        if contender.name not in measured:
            continue
        row = {}
        for L in config.cost_sizes:
            N = L * L
            if contender.solver.kind == "ed":
                twists = contender.solver.ed.num_twists**2
                per_cell = measured[contender.name] / twists
                seconds, how = per_cell * (N / config.L**2) ** 3, "fitted N^3"
            else:
                plain = replace(contender, supercell=1)
                spins = random_spins(L, np.random.default_rng(L))
                seconds, how = step_cost(plain, config, spins), "measured"
            row[str(L)] = {"us_per_site_step": 1e6 * seconds / N, "how": how}
        table[contender.name] = row
    return table


def mean_angle(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Mean angle (deg) between the spins of frames a and b, per frame: atan2(|a x b|, a . b),
    exact for small angles and exactly 0 for equal frames (also when stored in float32, whose
    norms are 1 only to ~1e-7)."""
    cross = np.linalg.norm(np.cross(a, b), axis=-1)
    return np.degrees(np.arctan2(cross, np.sum(a * b, axis=-1))).mean(axis=(-2, -1))


#: FrontierConfig fields that only the analysis reads (changing them keeps the archive valid).
ANALYSIS_ONLY = ("tolerance", "cost_sizes", "network")


def summary_key(config: FrontierConfig, contender: Contender) -> str:
    """What a summary depends on: the frontier config (less ``ANALYSIS_ONLY``) and the
    contender, as JSON."""
    frontier = {k: v for k, v in to_mapping(config).items() if k not in ANALYSIS_ONLY}
    return json.dumps({"frontier": frontier, "contender": to_mapping(contender)}, sort_keys=True)


def summarize(run, config: FrontierConfig, contender: Contender, energy_solver) -> dict:
    """The archived summary of one finished trajectory (see the module docstring)."""
    frames = np.arange(0, len(run.times), config.energy_every)
    early = run.times <= config.divergence_until
    t_noise = run.attributes.get("probe_noise_temperature")
    provenance = {
        key: run.attributes[key]
        for key in ("torquenet_version", "git_hash", "seed", "created")
        if key in run.attributes
    }
    return {
        "times": np.asarray(run.times),
        "peaks": np.asarray(peak_intensity(structure_factor(run.spins)), dtype=np.float64),
        "early_spins": np.asarray(run.spins[early], dtype=np.float32),
        "omega_per_site": np.asarray(energy_solver.compute(run.spins[frames]).grand_potential)
        / config.L**2,
        "skyrmions_at_end": np.asarray(count_skyrmions(run.spins[-1]), dtype=np.int64),
        "probe_noise_temperature": np.float64(np.nan if t_noise is None else t_noise),
        "key": np.str_(summary_key(config, contender)),
        "provenance": np.str_(json.dumps(provenance, default=str)),
        "archived_by": np.str_(f"torquenet {__version__}, benchmarks/bench_frontier.py"),
    }


def read_summary(path: Path, config: FrontierConfig, contender: Contender) -> dict:
    """One archived summary, refused if it was made under another config or contender."""
    try:
        with np.load(path, allow_pickle=False) as data:
            summary = {key: data[key] for key in data.files}
    except (OSError, ValueError) as error:
        raise SystemExit(f"{path}: not a readable frontier summary ({error}); delete it to "
                         "redo that run") from error  # fmt: skip
    if "key" not in summary or str(summary["key"]) != summary_key(config, contender):
        raise SystemExit(
            f"{path} was archived under another frontier config or contender definition than "
            f"{contender.name!r} now has; move the archive aside (or restore the config) to "
            f"rerun it"
        )
    return summary


def save_summary(path: Path, summary: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial.npz")
    np.savez_compressed(partial, **summary)
    os.replace(partial, path)  # never a half-written summary


def start_noise_temperatures(
    config: FrontierConfig, contender: Contender, starts: dict[str, Path], archive: Path
) -> np.ndarray:
    """T_noise of a fresh-probe contender on every start, measured as ``simulate`` does (the
    same draws on the initial state, so equal to what its runs record), without running it;
    kept in ``ARCHIVE/NAME/noise.npz``."""
    stored = archive / contender.name / "noise.npz"
    if stored.exists():
        return read_summary(stored, config, contender)["probe_noise_temperature"]
    solver = make_solver(contender, config.model)
    values = np.array(
        [
            probe_noise_temperature(probe_field_noise(solver, np.load(path)).variance, config.llg)
            for path in starts.values()
        ]
    )
    save_summary(
        stored, {"probe_noise_temperature": values, "key": np.str_(summary_key(config, contender))}
    )
    return values


def collect(config, contenders, out: Path, archive: Path) -> dict:
    """Summaries per contender (archived ones, then finished runs, archived on the way; the
    reference solver that gives their exact Omega is built only when a run needs it)."""
    reference = next(c for c in contenders if c.name == config.reference)
    energy_solver = None
    summaries = {}
    for contender in contenders:
        these, missing = [], 0
        for start in start_names(config):
            stored = summary_path(archive, contender, start)
            trajectory = run_path(out, contender, start)
            if stored.exists():
                these.append(read_summary(stored, config, contender))
            elif trajectory.exists():
                if energy_solver is None:
                    energy_solver = make_solver(reference, config.model)
                summary = summarize(read_trajectory(trajectory), config, contender, energy_solver)
                save_summary(stored, summary)
                these.append(summary)
            else:
                missing += 1
        if missing:
            print(f"{contender.name}: {missing} of {len(start_names(config))} runs not "
                  "finished (left out)", flush=True)  # fmt: skip
        else:
            summaries[contender.name] = these
    return summaries


def analyze(config, contenders, out: Path, archive: Path = DEFAULT_ARCHIVE) -> dict:
    import torch

    torch.set_num_threads(frontier_threads())
    names = start_names(config)
    summaries = collect(config, contenders, out, archive)
    if config.reference not in summaries:
        raise SystemExit(f"the reference {config.reference!r} has unfinished runs")
    reference = summaries[config.reference]
    times = reference[0]["times"]
    is_random = np.array([n.startswith("random") for n in names])
    starts = write_starts(config, out)
    start_spins = np.load(starts[names[0]])
    if config.network not in summaries:
        raise SystemExit(f"the network {config.network!r} has unfinished runs")
    # every contender's cost, also of those without runs: where it would sit on the cost axis
    costs = {c.name: step_cost(c, config, start_spins) for c in contenders}
    reference_peaks = np.array([s["peaks"] for s in reference])
    reference_energy = np.array([s["omega_per_site"] for s in reference])
    results = {}
    for contender in contenders:
        if contender.name not in summaries:
            continue
        these = summaries[contender.name]
        peaks = np.array([s["peaks"] for s in these])
        row = {
            "cost_seconds_per_step": costs[contender.name],
            "cost_vs_network": costs[contender.name] / costs[config.network],
        }
        for label, subset in (("random", is_random), ("skyrmion", ~is_random)):
            if subset.sum() < 2:
                continue
            delta, error = paired_relative_difference(peaks[subset], reference_peaks[subset])
            worst = int(np.nanargmax(np.abs(delta)))
            row[f"peak_{label}"] = {
                "max_abs_relative_difference": float(np.abs(delta[worst])),
                "error_at_max": float(error[worst]),
                "time_at_max": float(times[worst]),
                "within_tolerance_at_every_time": bool(np.all(np.abs(delta) <= config.tolerance)),
                "series": np.nan_to_num(delta).tolist(),
            }
        divergence = np.array(
            [
                mean_angle(a["early_spins"].astype(np.float64), b["early_spins"].astype(np.float64))
                for a, b in zip(these, reference)
            ]
        )
        row["angle_divergence_deg"] = {
            "time": float(times[times <= config.divergence_until][-1]),
            "mean": float(divergence[:, -1].mean()),
            "error": float(divergence[:, -1].std(ddof=1) / np.sqrt(len(divergence))),
        }
        energy = np.array([s["omega_per_site"] for s in these]) - reference_energy
        row["omega_difference_per_site"] = {
            "mean_at_end": float(energy[:, -1].mean()),
            "error_at_end": float(energy[:, -1].std(ddof=1) / np.sqrt(len(energy))),
            "max_abs_mean": float(np.abs(energy.mean(axis=0)).max()),
        }
        t_noise = np.array([float(s["probe_noise_temperature"]) for s in these])
        if np.all(np.isfinite(t_noise)):  # fresh-probe KPM: its bath, per start
            row["probe_noise_temperature"] = spread(t_noise)
        counts = np.array([s["skyrmions_at_end"] for s in these], dtype=float)
        row["skyrmions_at_end"] = {"negative": counts[:, 0].mean(), "positive": counts[:, 1].mean()}
        results[contender.name] = row
    noise = {}
    for contender in contenders:  # T_noise of every fresh-probe setting, run or not
        if not uses_fresh_probes(contender):
            continue
        if contender.name in results:
            noise[contender.name] = {**results[contender.name]["probe_noise_temperature"],
                                     "source": "its runs"}  # fmt: skip
            continue
        values = start_noise_temperatures(config, contender, starts, archive)
        noise[contender.name] = {
            **spread(values),
            "source": "measured on the starts (runs not finished)",
        }
    not_run = {
        c.name: {
            "cost_seconds_per_step": costs[c.name],
            "cost_vs_network": costs[c.name] / costs[config.network],
            "cost_vs_reference": costs[c.name] / costs[config.reference],
        }
        for c in contenders
        if c.name not in results
    }
    return {
        "times": times.tolist(),
        "contenders": results,
        "not_run": not_run,
        "probe_noise_temperature": noise,
        "cost_per_site": costs_per_site(config, contenders, costs),
    }


def spread(values: np.ndarray) -> dict:
    """Mean, min and max of per-start values (T_noise)."""
    return {"mean": float(values.mean()), "min": float(values.min()), "max": float(values.max())}


def noise_cell(row: dict) -> str:
    """T_noise of a fresh-probe contender (mean over its starts, range), else '-'."""
    if "probe_noise_temperature" not in row:
        return "-"
    t = row["probe_noise_temperature"]
    return f"{t['mean']:.2e} ({t['min']:.1e}-{t['max']:.1e})"


def faithful(row: dict) -> bool:
    return all(
        row[key]["within_tolerance_at_every_time"]
        for key in ("peak_random", "peak_skyrmion")
        if key in row
    )


def report(config, contenders, numbers: dict, out: Path, seconds: float) -> str:
    rows = numbers["contenders"]
    lines = [
        "| contender | cost / step vs network | S(+-Q) random: max paired diff | S(+-Q) SkL: "
        "max paired diff | angle at t = "
        f"{config.divergence_until:g} (deg) | exact Omega/N - reference at end | "
        f"within {100 * config.tolerance:g}% at every t | T_noise (fresh probes) |",
        "|---|---|---|---|---|---|---|---|",
    ]

    def peak_cell(row: dict, key: str) -> str:
        if key not in row:
            return "-"
        p = row[key]
        return (
            f"{100 * p['max_abs_relative_difference']:.2f}% +- {100 * p['error_at_max']:.2f}% "
            f"(t = {p['time_at_max']:g})"
        )

    for contender in contenders:
        if contender.name not in rows:
            continue
        row = rows[contender.name]
        angle, omega = row["angle_divergence_deg"], row["omega_difference_per_site"]
        lines.append(
            f"| {contender.name} | {row['cost_vs_network']:.3g} | {peak_cell(row, 'peak_random')} "
            f"| {peak_cell(row, 'peak_skyrmion')} | {angle['mean']:.2f} +- {angle['error']:.2f} "
            f"| {omega['mean_at_end']:.2e} +- {omega['error_at_end']:.1e} | "
            f"{'yes' if faithful(row) else 'no'} | {noise_cell(row)} |"
        )
    candidates = [
        (rows[c.name]["cost_vs_network"], c.name)
        for c in contenders
        if c.name in rows and c.name != config.reference and faithful(rows[c.name])
    ]
    verdict = (
        f"Cheapest contender within {100 * config.tolerance:g}% of the reference's paired "
        f"S(+-Q, t) at every saved time: **{min(candidates)[1]}** "
        f"({min(candidates)[0]:.3g} x the network's cost per step)."
        if candidates
        else f"No contender stays within {100 * config.tolerance:g}% at every saved time."
    )
    not_run = numbers.get("not_run", {})
    if not_run:
        verdict += (
            "  Without finished runs (cost only, per step on the frontier system): "
            + "; ".join(
                f"{name} {row['cost_vs_network']:.3g} x the network, "
                f"{row['cost_vs_reference']:.3g} x the reference {config.reference}"
                for name, row in not_run.items()
            )
            + "."
        )
    header = (
        f"Frontier: {config.num_random} random + {config.num_skyrmion} skyrmion-lattice starts "
        f"on {config.L} x {config.L}, {config.num_steps} steps (t = "
        f"{config.num_steps * config.llg.time_step:g}), reference {config.reference}; "
        f"analysis {seconds:.0f} s.\n\n"
    )
    noise = numbers.get("probe_noise_temperature", {})
    noise_lines = [
        "| fresh-probe setting | T_noise: mean over the starts (range) | from |",
        "|---|---|---|",
        *(f"| {name} | {noise_cell({'probe_noise_temperature': t})} | {t['source']} |"
          for name, t in noise.items()),
    ]  # fmt: skip
    sizes = [str(L) for L in config.cost_sizes]
    per_site = numbers.get("cost_per_site", {})
    cost_lines = [
        "| contender | " + " | ".join(f"us / site / step, L = {L}" for L in sizes)
        + f" | vs network at L = {sizes[-1]} |",
        "|---" * (len(sizes) + 2) + "|",
    ]  # fmt: skip
    network = per_site.get(config.network, {})
    for name, row in per_site.items():
        cells = [
            f"{row[L]['us_per_site_step']:.3g}" + ("" if row[L]["how"] == "measured" else " (fit)")
            for L in sizes
        ]
        ratio = row[sizes[-1]]["us_per_site_step"] / network[sizes[-1]]["us_per_site_step"]
        cost_lines.append(f"| {name} | " + " | ".join(cells) + f" | {ratio:.3g} |")
    blocks = [
        header + "\n".join(lines),
        verdict,
        "\n".join(noise_lines),
        "Cost on plain L x L tori (one process, this machine; ED fitted as N^3):\n\n"
        + "\n".join(cost_lines),
    ]
    text = "\n\n".join(blocks) + "\n"
    (out / "frontier.md").write_text(text)
    figure(config, contenders, rows, out, not_run)
    return text


def figure(config, contenders, rows: dict, out: Path, not_run: dict | None = None) -> None:
    """Fidelity vs cost, log axes: the worst paired S(+-Q) difference over the saved times
    (left) and the mean spin angle from the reference run at ``divergence_until`` (right);
    fixed-probe KPM as squares, fresh-probe as circles, ED and the network as diamonds;
    the reference's cost as a dash-dotted and contenders without runs (``not_run``: their
    costs) as dotted vertical lines."""
    not_run = not_run or {}
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, LogLocator

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.6))
    for contender in contenders:
        row = rows.get(contender.name)
        if row is None or contender.name == config.reference:
            continue
        kpm = contender.solver.kind == "kpm"
        marker = ("o" if uses_fresh_probes(contender) else "s") if kpm else "D"
        worst = [row[k] for k in ("peak_random", "peak_skyrmion") if k in row]
        pick = max(worst, key=lambda w: w["max_abs_relative_difference"])
        angle = row["angle_divergence_deg"]
        cost = row["cost_vs_network"]
        for ax, value, error in (
            (left, 100 * pick["max_abs_relative_difference"], 100 * pick["error_at_max"]),
            (right, angle["mean"], angle["error"]),
        ):
            ax.errorbar(cost, value, yerr=error, fmt=marker, capsize=3, ms=6)
            ax.annotate(contender.name, (cost, value), fontsize=8, xytext=(5, 3),
                        textcoords="offset points")  # fmt: skip
    lines = [(rows[config.reference]["cost_vs_network"], f"reference {config.reference}", "-.")]
    groups: list[tuple[float, list[str]]] = []  # not run: cost known, fidelity not; one line
    for name, row in sorted(not_run.items(), key=lambda item: item[1]["cost_vs_network"]):
        cost = row["cost_vs_network"]  # per group of costs within 10% (fixed/fresh twins)
        if groups and cost < 1.1 * groups[-1][0]:
            groups[-1][1].append(name)
        else:
            groups.append((cost, [name]))
    lines += [(cost, ", ".join(names) + " (not run)", ":") for cost, names in groups]
    for cost, text, style in lines:
        for ax in (left, right):
            ax.axvline(cost, color="grey", ls=style, lw=1)
            ax.annotate(text, (cost, 0.02), xycoords=("data", "axes fraction"), rotation=90,
                        fontsize=7, color="grey", xytext=(2, 0),
                        textcoords="offset points")  # fmt: skip
    tolerance = 100 * config.tolerance
    left.axhline(tolerance, color="grey", ls="--", lw=1)
    where = ("axes fraction", "data")
    left.annotate(f"tolerance {tolerance:g}%", (0.02, tolerance), xycoords=where,
                  va="bottom", fontsize=8, color="grey")  # fmt: skip
    left.set_ylabel("worst paired |S(+-Q) - exact| / exact over t (%)")
    right.set_ylabel(f"mean spin angle from the exact run at t = {config.divergence_until:g} (deg)")
    plain, blank = FuncFormatter(lambda v, _: f"{v:g}"), FuncFormatter(lambda v, _: "")
    for ax in (left, right):
        ax.set_xscale("log")
        ax.set_yscale("log")
        for axis in (ax.xaxis, ax.yaxis):  # 1, 2, 5 decades written out, no 2 x 10^0
            axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
            axis.set_major_formatter(plain)
            axis.set_minor_formatter(blank)
        ax.set_xlabel("cost per LLG step / the network's")
        ax.grid(True, which="major", alpha=0.3)
    fig.suptitle(
        f"Fidelity vs cost: {config.num_random} random + {config.num_skyrmion} skyrmion-lattice "
        f"starts on {config.L} x {config.L} to t = {config.num_steps * config.llg.time_step:g}, "
        f"reference {config.reference} (squares: fixed probes, circles: fresh)",
        fontsize=10,
    )
    fig.tight_layout()
    fig.savefig(out / "frontier.png", dpi=120)
    plt.close(fig)


#: Documents holding the frontier table between these markers (``--write-docs`` refreshes
#: them): BENCHMARKS.md gets the whole report, REPRODUCTION.md the table and the verdict.
DOC_MARKERS = ("<!-- frontier table: benchmarks/bench_frontier.py --analyze -->",
               "<!-- end frontier table -->")  # fmt: skip
DOCS = {"BENCHMARKS.md": None, "REPRODUCTION.md": 3}


def write_docs(text: str, root: Path = ROOT) -> None:
    """Replace the marked frontier table in the documents by the report ``text``."""
    begin, end = DOC_MARKERS
    for name, blocks in DOCS.items():
        path = root / name
        body = "\n\n".join(text.strip().split("\n\n")[:blocks])
        document = path.read_text()
        if document.count(begin) != 1 or document.count(end) != 1:
            raise SystemExit(f"{path}: needs exactly one {begin!r} ... {end!r} block")
        head, rest = document.split(begin)
        _, tail = rest.split(end)
        path.write_text(f"{head}{begin}\n{body}\n{end}{tail}")
        print(f"updated the frontier table in {path}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--config", type=Path, default=DEFAULT_CONFIG)
    ap.add_argument("--out", type=Path, default=ROOT / "runs" / "frontier")
    ap.add_argument("--only", nargs="+", default=None, help="run only these contenders")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--analyze", action="store_true", help="analyse the finished runs")
    ap.add_argument("--archive", type=Path, default=DEFAULT_ARCHIVE,
                    help="where run summaries are kept (default: %(default)s)")  # fmt: skip
    ap.add_argument("--write-docs", action="store_true",
                    help="with --analyze: refresh the marked tables of the docs")  # fmt: skip
    ap.add_argument("--archive-only", action="store_true",
                    help="archive the finished runs' summaries, analyse nothing")  # fmt: skip
    args = ap.parse_args()
    config, contenders = load(args.config)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.archive_only:
        collect(config, contenders, args.out, args.archive)
        return
    if args.analyze:
        started = time.time()
        numbers = analyze(config, contenders, args.out, args.archive)
        (args.out / "frontier.json").write_text(json.dumps(numbers, indent=1))
        text = report(config, contenders, numbers, args.out, time.time() - started)
        print(text)
        if args.write_docs:
            write_docs(text)
        return
    chosen = contenders
    if args.only:
        unknown = sorted(set(args.only) - {c.name for c in contenders})
        if unknown:
            sys.exit(f"unknown contender(s) {unknown}; listed: {[c.name for c in contenders]}")
        chosen = tuple(c for c in contenders if c.name in args.only)
    run_all(config, chosen, args.out, args.workers, args.archive)


if __name__ == "__main__":
    main()
