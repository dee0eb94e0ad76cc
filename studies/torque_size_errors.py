"""Where the large angle errors sit: angle percentiles by the size of the true torque.

The angle between two vectors is ill-conditioned when the true torque is tiny, so the p99 of a
model's angle error can be set by a few percent of sites whose torque hardly matters for the
dynamics.  This script prints, per start type, the median and p99 angle over the sites whose
|T_true| is at least a fraction of the mean |T_true|, and the |T|-weighted median and p99.

Usage: .venv/bin/python studies/torque_size_errors.py [--model FILE] [--data DIR] [--split S]
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from torquenet.data.dataset import TrajectoryDataset
from torquenet.data.manifest import START_TYPES
from torquenet.ml import load_model_file, torque_angles_degrees
from torquenet.pretrained import default_model_path

FRACTIONS = (0.0, 0.25, 0.5, 1.0)


def weighted_percentile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order]) / weights.sum()
    return float(values[order][np.searchsorted(cumulative, q / 100)])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--model", default=str(default_model_path()))
    ap.add_argument("--data", default="runs/data80")
    ap.add_argument("--split", default="validation")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    model, _ = load_model_file(args.model)
    model.eval()
    dataset = TrajectoryDataset(args.data, args.split, normalize=False)
    angles: dict[int, list] = {}
    sizes: dict[int, list] = {}
    for lo in range(0, len(dataset), 64):
        items = [dataset[i] for i in range(lo, min(lo + 64, len(dataset)))]
        spins = torch.stack([it["spins"] for it in items])
        true = torch.stack([it["torques"] for it in items])
        with torch.no_grad():
            angle = torque_angles_degrees(model(spins), true).reshape(len(items), -1).numpy()
        size = true.norm(dim=1).reshape(len(items), -1).numpy()
        for k, item in enumerate(items):
            angles.setdefault(item["start_type"], []).append(angle[k])
            sizes.setdefault(item["start_type"], []).append(size[k])
    for start in sorted(angles):
        a, n = np.concatenate(angles[start]), np.concatenate(sizes[start])
        print(f"{START_TYPES[start]} (mean |T| = {n.mean():.4f} t1)")
        for fraction in FRACTIONS:
            keep = n >= fraction * n.mean()
            print(
                f"  |T| >= {fraction:4.2f} mean: {100 * keep.mean():5.1f}% of sites, "
                f"median {np.median(a[keep]):.2f} deg, p99 {np.percentile(a[keep], 99):.1f} deg"
            )
        print(
            f"  |T|-weighted: median {weighted_percentile(a, n, 50):.2f} deg, "
            f"p99 {weighted_percentile(a, n, 99):.1f} deg"
        )


if __name__ == "__main__":
    main()
