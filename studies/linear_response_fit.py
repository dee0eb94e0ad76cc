"""How much of the torque is linear response, and over what range: a least-squares kernel fit.

Fits the best *linear isotropic* torque model of radius R,

    T_i = P_perp(S_i) sum_(|r| <= R) K(|r|) S_(i + r),

with K constant on D6 orbits of lattice offsets (exactly the lift convolution of the equivariant
network, circular on the 12 x 12 training torus), by least squares weighted with 1 / |T_true|
(close to the relative L1 loss of Eq. 11), on the training split of each start type, and reports
the relative L1 loss and the median / p99 torque angle on the validation split.  A linear kernel
is the RKKY part of the electron exchange field; its range tells how far the network's lift must
see.  ``--degree K`` adds the Legendre bond terms sum_j P_n(S_i . S_j) S_j (n <= K) per shell.

Usage: .venv/bin/python studies/linear_response_fit.py [--data DIR] [--radii 1 2 4 6] [--degree K]
"""

from __future__ import annotations

import argparse

import torch
from _common import load_split, shell_features

from torquenet.data import START_TYPES
from torquenet.ml import relative_l1_per_site, torque_angles_degrees


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--data", default="runs/data80")
    ap.add_argument("--radii", type=int, nargs="+", default=[1, 2, 3, 4, 5, 6])
    ap.add_argument("--degree", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    train, validation = load_split(args.data, "train"), load_split(args.data, "validation")
    print("start type | R | kernel terms | train loss | val loss | val median angle | val p99")
    for start, name in enumerate(START_TYPES):
        s_tr, t_tr = (x[train[2] == start] for x in train[:2])
        s_va, t_va = (x[validation[2] == start] for x in validation[:2])
        for radius in args.radii:
            x_tr = shell_features(s_tr, radius, args.degree)
            weight = 1.0 / t_tr.norm(dim=1, keepdim=True)
            design = (x_tr * weight[..., None]).reshape(-1, x_tr.shape[-1])
            kernel = torch.linalg.lstsq(design, (t_tr * weight).reshape(-1, 1)).solution[:, 0]
            fit, predicted = x_tr @ kernel, shell_features(s_va, radius, args.degree) @ kernel
            angles = torque_angles_degrees(predicted, t_va).flatten()
            print(
                f"{name} | {radius} | {len(kernel)} | "
                f"{relative_l1_per_site(fit, t_tr).mean():.3f} | "
                f"{relative_l1_per_site(predicted, t_va).mean():.3f} | "
                f"{angles.median():.2f} | {angles.quantile(0.99):.1f}"
            )


if __name__ == "__main__":
    main()
