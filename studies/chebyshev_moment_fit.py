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
import hashlib
from pathlib import Path

import numpy as np
import torch
from linear_response_fit import load_split, shell_features
from tqdm import tqdm

from torquenet.data.manifest import START_TYPES
from torquenet.ml import TorqueErrorSummary, relative_magnitude_errors, torque_angles_degrees
from torquenet.ml._loss import relative_l1_per_site
from torquenet.ml._metrics import summarize_errors
from torquenet.ml._model import project_perpendicular
from torquenet.solvers import local_spin_moments


def select_frames(split, start: int, count: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``count`` frames of one start type, drawn without replacement (seeded)."""
    spins, torques, start_types = split
    rows = torch.nonzero(start_types == start)[:, 0]
    rows = rows[torch.randperm(len(rows), generator=torch.Generator().manual_seed(seed))[:count]]
    return spins[rows], torques[rows]


def moment_features(
    spins: torch.Tensor,
    num_moments: int,
    num_twists: int,
    cache: Path | None,
    probing_distance: int | None = None,
    coherent: bool = False,
):
    """mu_n, n = 0 .. M-1, of (B, 3, L, L) spins as (B, M, 3, L, L), cached by content.

    ``probing_distance`` None: exact moments; else coloured probes of that distance, with
    random phases or (``coherent``) the deterministic image sums of ``local_spin_moments``.
    """
    tag = bytes([num_moments, num_twists])
    if probing_distance is not None:
        tag += f"d{probing_distance}{'c' if coherent else 'r'}".encode()
    key = hashlib.sha256(spins.numpy().tobytes() + tag).hexdigest()
    path = cache / f"moments_{key[:16]}.npy" if cache else None
    if path is not None and path.exists():
        return torch.from_numpy(np.load(path))
    textures = spins.permute(0, 2, 3, 1).numpy()
    options = dict(num_moments=num_moments, num_twists=num_twists)
    if probing_distance is not None:
        options.update(probing_distance=probing_distance, coherent=coherent)
    out = np.concatenate(
        [
            local_spin_moments(textures[k : k + 8], **options)
            for k in tqdm(range(0, len(textures), 8), desc="moments", unit="x8 frames")
        ]
    )
    out = torch.from_numpy(out).permute(0, 1, 4, 2, 3).contiguous()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, out.numpy())
    return out


def add_probing_arguments(ap: argparse.ArgumentParser) -> None:
    ap.add_argument(
        "--probing-distance", type=int, default=None, help="colouring distance (default: exact)"
    )
    ap.add_argument(
        "--coherent", action="store_true", help="unit probe phases: image sums, not estimates"
    )


def probing(args: argparse.Namespace) -> tuple[int | None, bool]:
    return args.probing_distance, args.coherent


def perpendicular(vectors: torch.Tensor, spins: torch.Tensor) -> torch.Tensor:
    """(B, F, 3, L, L) vectors made perpendicular to S_i, as (B, 3, L, L, F)."""
    return project_perpendicular(vectors.permute(0, 2, 3, 4, 1), spins[..., None])


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


def error_summary(predicted: torch.Tensor, target: torch.Tensor) -> TorqueErrorSummary:
    """The package's per-site error statistics (as ``torquenet evaluate``) of one prediction."""
    return summarize_errors(
        *(
            f(predicted, target).flatten().double().numpy()
            for f in (torque_angles_degrees, relative_magnitude_errors, relative_l1_per_site)
        )
    )


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
