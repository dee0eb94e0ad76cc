"""Depth and head study at equal training time: direct torque heads vs conservative energy heads.

Usage:
    .venv/bin/python studies/energy_model_study.py --train [--only NAME ...]
    .venv/bin/python studies/energy_model_study.py --score [--extra NAME=MODEL.pt ...]
    (options: --config studies/configs/energy_study.yaml, --data DIR, --out DIR)

Every candidate of the config (a shipped training recipe plus overrides: depth, width, head,
warm start) is trained on the same dataset with the same ``time_budget_seconds`` of training
(``TrainConfig.time_budget_seconds``: summed epoch times, so candidates are compared at equal
CPU cost, not equal epochs).  Training is resumable: rerun ``--train`` and every unfinished
candidate continues from its checkpoint in ``OUT/NAME/`` (a finished one is a no-op).

``--score`` evaluates every trained candidate (and the shipped model as a reference) on the
same held-out frames (the validation split, at most ``max_frames_per_start`` per start type,
the same frames for all): median / p90 / p99 angle between predicted and true torque, median
relative magnitude error, the Eq. (11) loss, for energy models the mean |Omega error| per site,
and the cost of one field evaluation on a random L = ``cost_L`` texture (forward; forward plus
the backward that gives the fields for energy models), best of 3, one thread.  Writes
``OUT/study.md`` (the table) and ``OUT/study.json``.  ``--extra`` scores further model files
(trained elsewhere, e.g. the fine-tune on ordered-phase data) on the same frames, beside them;
``--only`` restricts the scored candidates too (the shipped model is always scored); such a
selection is written to ``OUT/study_selection.{md,json}``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Subset

from torquenet.config import from_mapping, load_config, read_yaml, to_mapping
from torquenet.data import START_TYPES, TrajectoryDataset, resolve_config_path
from torquenet.ml import (
    CNNSolver,
    TrainConfig,
    count_parameters,
    halo_radius,
    is_energy_model,
    load_model_file,
    relative_l1_per_site,
    relative_magnitude_errors,
    torque_angles_degrees,
    train_on_directory,
)
from torquenet.pretrained import default_model_path
from torquenet.textures import random_spins

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CONFIG = Path(__file__).parent / "configs" / "energy_study.yaml"


def load_study(path: Path) -> dict:
    study = read_yaml(path)
    for key in ("candidates", "time_budget_seconds"):
        if key not in study:
            raise ValueError(f"{path}: missing key {key!r}")
    names = [c["name"] for c in study["candidates"]]
    if len(set(names)) != len(names):
        raise ValueError(f"{path}: candidate names repeat: {names}")
    return study


def candidate_config(candidate: dict, study: dict) -> TrainConfig:
    """The TrainConfig of one candidate: its recipe, the model overrides, the common budget."""
    base = load_config(resolve_config_path(candidate["train"], "train"), TrainConfig)
    mapping = to_mapping(base)
    mapping["model"].update(candidate.get("model", {}))
    for key, value in candidate.items():
        if key not in ("name", "train", "model"):
            mapping[key] = value
    mapping["time_budget_seconds"] = float(study["time_budget_seconds"])
    mapping["epochs"] = int(study.get("max_epochs", 1000))
    mapping["device"] = "cpu"
    return from_mapping(TrainConfig, mapping, where=candidate["name"])


def train_all(study: dict, data: Path, out: Path, only: list[str] | None) -> None:
    for candidate in study["candidates"]:
        if only and candidate["name"] not in only:
            continue
        config = candidate_config(candidate, study)
        if config.initial_model and not Path(config.initial_model).is_file():
            print(f"skip {candidate['name']}: initial model {config.initial_model} not there yet")
            continue
        started = time.time()
        result = train_on_directory(config, data, out / candidate["name"], show_progress=False)
        print(
            f"{candidate['name']}: {result.epochs_completed} epochs, best val "
            f"{result.best_val_loss:.4f} at {result.best_epoch} ({time.time() - started:.0f} s)",
            flush=True,
        )


def held_out(data: Path, per_start: int) -> Subset:
    dataset = TrajectoryDataset(data, "validation", normalize=False)
    chosen: dict[int, list[int]] = {}
    for index, (unit, _) in enumerate(dataset.index):
        start = START_TYPES.index(dataset.units[unit].start_type)
        if len(chosen.setdefault(start, [])) < per_start:
            chosen[start].append(index)
    return Subset(dataset, sorted(i for rows in chosen.values() for i in rows))


def field_cost(model, params, L: int) -> float:
    """Seconds per field evaluation of one L x L texture (best of 3 after a warm-up)."""
    spins = random_spins(L, np.random.default_rng(0))
    solver = CNNSolver(model, params)
    best = np.inf
    for repeat in range(4):
        start = time.perf_counter()
        solver.compute(spins)
        if repeat:
            best = min(best, time.perf_counter() - start)
    return float(best)


def score(path: Path, frames: Subset, cost_L: int) -> dict:
    model, info = load_model_file(path)
    model.eval()
    rows: dict[int, dict[str, list]] = {}
    for k in range(0, len(frames), 32):
        batch = [frames[i] for i in range(k, min(k + 32, len(frames)))]
        spins = torch.stack([b["spins"] for b in batch])
        target = torch.stack([b["torques"] for b in batch])
        with torch.inference_mode():
            out = model(spins, with_energy=True) if is_energy_model(model) else model(spins)
        predicted, site_energies = out if is_energy_model(model) else (out, None)
        for n, b in enumerate(batch):
            row = rows.setdefault(b["start_type"], {"angle": [], "mag": [], "l1": [], "omega": []})
            p, t = predicted[n : n + 1], target[n : n + 1]
            row["angle"].append(torque_angles_degrees(p, t).flatten().double().numpy())
            row["mag"].append(relative_magnitude_errors(p, t).flatten().double().numpy())
            row["l1"].append(relative_l1_per_site(p, t).flatten().double().numpy())
            if site_energies is not None and "grand_potential_per_site" in b:
                error = float(site_energies[n].double().mean()) - b["grand_potential_per_site"]
                row["omega"].append(abs(error))
    result = {
        "parameters": count_parameters(model),
        "field_radius": halo_radius(model.config),
        "energy": is_energy_model(model),
        "seconds_per_field_evaluation": field_cost(model, info.params, cost_L),
        "best_epoch": info.training_metrics.get("best_epoch"),
    }
    for start, row in sorted(rows.items()):
        angle = np.concatenate(row["angle"])
        result[START_TYPES[start]] = {
            "median_angle": float(np.median(angle)),
            "p90_angle": float(np.percentile(angle, 90)),
            "p99_angle": float(np.percentile(angle, 99)),
            "median_magnitude_error": float(np.median(np.concatenate(row["mag"]))),
            "eq11_loss": float(np.mean(np.concatenate(row["l1"]))),
            "omega_mae_per_site": float(np.mean(row["omega"])) if row["omega"] else None,
            "frames": len(row["angle"]),
        }
    return result


def report(results: dict, study: dict, cost_L: int) -> str:
    lines = [
        f"Training budget {study['time_budget_seconds']:.0f} s per candidate (one thread); "
        f"held-out frames: validation split, at most {study.get('max_frames_per_start', 1000)} "
        f"per start type; cost: one field evaluation at L = {cost_L}, one thread.",
        "",
        "| candidate | head | params | field radius | start | median / p90 / p99 angle "
        "| median magnitude error | Eq. (11) | Omega MAE per site | cost (ms) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        for start in START_TYPES:
            if start not in r:
                continue
            s = r[start]
            omega = f"{s['omega_mae_per_site']:.2e}" if s["omega_mae_per_site"] is not None else "-"
            lines.append(
                f"| {name} | {'energy' if r['energy'] else 'direct'} | {r['parameters']} | "
                f"{r['field_radius']} | {start} | {s['median_angle']:.2f} / {s['p90_angle']:.1f} "
                f"/ {s['p99_angle']:.1f} deg | {100 * s['median_magnitude_error']:.1f}% | "
                f"{s['eq11_loss']:.3f} | {omega} | "
                f"{1000 * r['seconds_per_field_evaluation']:.0f} |"
            )
    lines += ["", shipping_verdict(results)]
    return "\n".join(lines)


#: A candidate replaces the shipped model when its held-out random-start median angle is at
#: least this much lower (relative).
SHIPPING_MARGIN = 0.10


def shipping_verdict(results: dict) -> str:
    """The rule for replacing the shipped model, applied to the scored candidates."""
    shipped = results["shipped"]["random"]["median_angle"]
    candidates = {k: v for k, v in results.items() if k != "shipped" and "random" in v}
    if not candidates:
        return "No candidate scored."
    best = min(candidates, key=lambda k: candidates[k]["random"]["median_angle"])
    angle = candidates[best]["random"]["median_angle"]
    gain = 1 - angle / shipped
    replace = gain >= SHIPPING_MARGIN
    return (
        f"Best random-start median angle: {best} {angle:.2f} deg against the shipped model's "
        f"{shipped:.2f} deg ({100 * gain:+.1f}%); the rule (>= {100 * SHIPPING_MARGIN:.0f}% lower) "
        f"{'is met: ship it' if replace else 'is not met: the shipped model stays'}."
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--config", type=Path, default=DEFAULT_CONFIG)
    ap.add_argument("--data", type=Path, default=None, help="dataset (default: the config's)")
    ap.add_argument("--out", type=Path, default=None, help="run folder (default: the config's)")
    ap.add_argument("--train", action="store_true")
    ap.add_argument("--score", action="store_true")
    ap.add_argument("--only", nargs="+", default=None)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--extra", nargs="+", default=[], metavar="NAME=MODEL.pt")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    study = load_study(args.config)
    data = args.data or ROOT / study["data"]
    out = args.out or ROOT / study["out"]
    if not (args.train or args.score):
        sys.exit("say --train and/or --score")
    if args.train:
        train_all(study, data, out, args.only)
    if args.score:
        cost_L = int(study.get("cost_L", 96))
        frames = held_out(data, int(study.get("max_frames_per_start", 1000)))
        models = {"shipped": default_model_path()}
        for candidate in study["candidates"]:
            path = out / candidate["name"] / "best_model.pt"
            if path.is_file() and (args.only is None or candidate["name"] in args.only):
                models[candidate["name"]] = path
        for item in args.extra:
            name, sep, path = item.partition("=")
            if not sep or not Path(path).is_file():
                sys.exit(f"--extra wants NAME=MODEL.pt with an existing file, got {item!r}")
            models[name] = Path(path)
        results = {name: score(path, frames, cost_L) for name, path in models.items()}
        stem = "study" if args.only is None and not args.extra else "study_selection"
        (out / f"{stem}.json").write_text(json.dumps(results, indent=1))
        table = report(results, study, cost_L)
        (out / f"{stem}.md").write_text(table + "\n")
        print(table)


if __name__ == "__main__":
    main()
