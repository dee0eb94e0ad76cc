"""How much of the torque do the electrons' local Chebyshev moments carry?  A least-squares fit.

The exchange field is linear in the local spin-resolved moments
mu_n(i) = Tr_s[sigma <i|T_n(H~)|i>] (``torquenet.solvers.local_spin_moments``): KPM sums them
with Fermi-function coefficients up to n ~ 300.  This study fits the best *linear* torque model

    T_i = P_perp(S_i) [ sum_(3 <= n <= order) c_n mu_n(i) + sum_(|r| <= R) K(|r|) S_(i + r) ],

(c_n: one number per order; K: the isotropic linear kernel of ``linear_response_fit.py``) on the
training split and reports the validation error per start type, as a function of the highest
order.  If a handful of coefficients on low-order moments beats the trained network, the
network lacks what the moments hold: spin-dependent closed electron paths of high order.

The 12 x 12 frames' labels are 4 x 4 twist-averaged ED fields, so the moments are averaged over
the same twists (the moments of the texture tiled 4 x 4).  Fits are weighted least squares with
weight 1 / |T_true| (close to the relative L1 loss of Eq. 11), columns scaled to unit norm.

``--probing-distance d`` fits probed instead of exact moments (random phases; with
``--coherent`` the deterministic image sums over the d-superlattice, which a readout can be
trained on like any other equivariant descriptor).

Usage: .venv/bin/python studies/chebyshev_moment_fit.py [--data DIR] [--frames 300 150]
       [--moments 16] [--orders 8 12 16] [--cache DIR] [--probing-distance D [--coherent]]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
from _common import (
    add_probing_arguments,
    error_summary,
    load_split,
    moment_features,
    perpendicular,
    probing,
    select_frames,
    shell_features,
)

from torquenet.data import START_TYPES
from torquenet.ml import relative_l1_per_site


def fit_and_score(x_train, t_train, x_val, t_val) -> dict[str, float]:
    weight = 1.0 / t_train.norm(dim=1, keepdim=True)
    design = (x_train * weight[..., None]).reshape(-1, x_train.shape[-1]).numpy()
    scale = np.linalg.norm(design, axis=0)
    solution = np.linalg.lstsq(design / scale, (t_train * weight).reshape(-1).numpy(), rcond=None)
    coefficients = torch.from_numpy(solution[0] / scale)
    val = error_summary(x_val @ coefficients, t_val)
    return {
        "terms": len(coefficients),
        "train": float(relative_l1_per_site(x_train @ coefficients, t_train).mean()),
        "val": val.mean_relative_l1,
        "median": val.median_angle_degrees,
        "p99": val.p99_angle_degrees,
        "magnitude": val.median_relative_magnitude_error,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--data", default="runs/data80")
    ap.add_argument("--frames", type=int, nargs=2, default=[300, 150], metavar=("TRAIN", "VAL"))
    ap.add_argument("--moments", type=int, default=16, help="M: orders 0 .. M-1 are computed")
    ap.add_argument("--orders", type=int, nargs="+", default=[6, 8, 9, 10, 11, 12, 13, 14, 15])
    ap.add_argument("--twists", type=int, default=4)
    ap.add_argument("--radius", type=int, default=6, help="linear kernel radius (0: none)")
    ap.add_argument("--starts", nargs="+", default=list(START_TYPES), choices=START_TYPES)
    ap.add_argument("--cache", type=Path, default=Path("runs/moment_cache"))
    ap.add_argument("--threads", type=int, default=2)
    add_probing_arguments(ap)
    args = ap.parse_args()
    if max(args.orders) >= args.moments:
        ap.error(f"--orders must be < --moments = {args.moments}, got {max(args.orders)}")
    torch.set_num_threads(args.threads)
    train, validation = load_split(args.data, "train"), load_split(args.data, "validation")
    print(
        "| start | highest order | linear kernel R | terms | train loss | val loss "
        "| val median angle | val p99 | val median magnitude error |\n" + "|---" * 9 + "|"
    )
    for name in args.starts:
        start = START_TYPES.index(name)
        s_tr, t_tr = select_frames(train, start, args.frames[0], seed=0)
        s_va, t_va = select_frames(validation, start, args.frames[1], seed=1)
        mu_tr, mu_va = (
            moment_features(s, args.moments, args.twists, args.cache, *probing(args))
            for s in (s_tr, s_va)
        )
        kernel_tr, kernel_va = (
            [shell_features(s, args.radius, 0)] if args.radius else [] for s in (s_tr, s_va)
        )
        rows = [(order, args.radius) for order in [2, *args.orders]]
        rows.append((max(args.orders), 0))  # moments alone
        for order, radius in rows:
            # mu_0 = 0, mu_1 and mu_2 are along S_i (their perpendicular parts are rounding
            # noise, which a column-scaled fit would blow up): the first useful moment is n = 3
            x_tr = torch.cat(
                [*kernel_tr[: bool(radius)], perpendicular(mu_tr[:, 3 : order + 1], s_tr)], -1
            )
            x_va = torch.cat(
                [*kernel_va[: bool(radius)], perpendicular(mu_va[:, 3 : order + 1], s_va)], -1
            )
            r = fit_and_score(x_tr, t_tr, x_va, t_va)
            print(
                f"| {name} | {order if order > 2 else '-'} | {radius or '-'} | {r['terms']} "
                f"| {r['train']:.3f} | {r['val']:.3f} | {r['median']:.2f} deg | {r['p99']:.1f} "
                f"| {100 * r['magnitude']:.1f}% |",
                flush=True,
            )


if __name__ == "__main__":
    main()
