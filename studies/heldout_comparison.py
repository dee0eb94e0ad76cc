"""Compare torque models on validation trajectories that none of them was trained on.

Datasets generated with different recipes share trajectories (seeds depend only on start type
and index) but draw different train/validation splits, so a model trained on one dataset may
have seen some of another's validation trajectories.  This script evaluates every model on the
validation split of ``--data`` minus every trajectory in the *training* split of each
``--exclude-train-of`` dataset, per start type (median / p99 angle, median |relative magnitude
error|, Eq. (11) loss).

Usage: .venv/bin/python studies/heldout_comparison.py --data runs/data80 \\
           --exclude-train-of runs/data --models NEW.pt OLD.pt
"""

from __future__ import annotations

import argparse
import json

import torch
from torch.utils.data import Subset

from torquenet.data import START_TYPES, TrajectoryDataset, read_manifest
from torquenet.ml import evaluate_torques, load_model_file


def held_out_indices(dataset: TrajectoryDataset, exclude: set[str]) -> list[int]:
    return [
        i for i, (unit, _) in enumerate(dataset.index) if dataset.units[unit].name not in exclude
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--data", required=True)
    ap.add_argument("--exclude-train-of", nargs="*", default=[])
    ap.add_argument("--models", nargs="+", required=True)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    exclude = {
        u.name for d in args.exclude_train_of for u in read_manifest(d).units if u.split == "train"
    }
    dataset = TrajectoryDataset(args.data, "validation", normalize=False)
    keep = held_out_indices(dataset, exclude)
    names = sorted({dataset.units[dataset.index[i][0]].name for i in keep})
    print(f"{len(names)} trajectories, {len(keep)} frames: {', '.join(names)}")
    results = {}
    print(
        "| model | start | trajectories | Eq. (11) loss | median angle | p99 angle "
        "| median rel. magnitude error |"
    )
    print("|---|---|---|---|---|---|---|")
    for path in args.models:
        model, _ = load_model_file(path)
        summary = evaluate_torques(model, Subset(dataset, keep), batch_size=32)
        for start, s in summary.items():
            count = sum(1 for n in names if n.startswith(START_TYPES[start]))
            results.setdefault(path, {})[START_TYPES[start]] = s.__dict__
            print(
                f"| {path} | {START_TYPES[start]} | {count} | {s.mean_relative_l1:.3f} | "
                f"{s.median_angle_degrees:.2f} deg | {s.p99_angle_degrees:.1f} deg | "
                f"{100 * s.median_relative_magnitude_error:.1f}% |"
            )
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
