"""Does the equivariant network get better when it is *given* the local Chebyshev moments?

A controlled probe on a small training set (``--frames`` per start type, the same frames as
``chebyshev_moment_fit.py``): the shipped architecture (16 + 16 channels, 4 blocks, bond basis)
trained from the same seed for the same epochs, once on the spins alone (``--variant control``)
and once with the moment vectors mu_n(i), n = 3 .. M-1, added to the lift as extra vector
channels through a learned 1 x 1 mixing (``--variant moments``; still exactly SO(3) x D6
equivariant, since the moments rotate with the spins).  ``--variant auxiliary`` keeps the
spins-only network and asks a 1 x 1 mix of its last vector features to predict the
perpendicular moments as well (weight ``--aux-weight``): does supervision with the moments teach
a spins-only network to build them?  It prints how well it does per order.
``--variant resnet`` fits the paper's plain ResNet (``default`` preset, or widths w-w-2w-2w with
``--width w``; SO(3) x D6 augmentation) to one moment order alone, ``--variant pathsum`` the
bond-modulated hopping network of ``path_sum_network.py`` (to the ``--aux-orders`` moments, or
to the torque without them).
``--probing-distance d [--coherent]`` uses probed moments instead of exact ones (with
``--coherent``: the deterministic image sums of ``local_spin_moments``).  Adam, cosine schedule,
batch 8, no augmentation (the network is equivariant by construction).  Reports the validation
error per start type every 10 epochs, and the shipped model's angles on the same validation
frames.

Usage: .venv/bin/python studies/moment_cnn_probe.py --variant moments [--moments 17]
       [--frames 300 150] [--epochs 60] [--cache runs/moment_cache]
       [--probing-distance D --coherent] [--aux-weight W] [--aux-orders N ...] [--width W]
       [--lr LR] [--layers T] [--train-errors]
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

import torch
from _common import (
    PathSumNet,
    add_probing_arguments,
    error_summary,
    load_split,
    moment_features,
    probing,
    select_frames,
)
from torch import nn

from torquenet.data import START_TYPES
from torquenet.ml import (
    MODEL_PRESETS,
    NUM_POINT_GROUP_OPERATIONS,
    EquivariantTorqueCNN,
    TorqueCNN,
    haar_rotations,
    load_model_file,
    relative_l1_loss,
    torque_angles_degrees,
    transform_pairs,
)
from torquenet.observables import perpendicular_part
from torquenet.pretrained import default_model_path


class MomentLiftCNN(EquivariantTorqueCNN):
    """The equivariant network with moment vectors mixed into its lift (x, y, z alike)."""

    def __init__(self, config, torque_scale: float, num_inputs: int, seed: int):
        super().__init__(config, torque_scale, generator=torch.Generator().manual_seed(seed))
        self.moment_mix = nn.Conv2d(num_inputs, config.vector_channels, 1, bias=False)
        generator = torch.Generator().manual_seed(seed + 1)
        nn.init.normal_(self.moment_mix.weight, std=num_inputs**-0.5, generator=generator)
        self._moments: torch.Tensor | None = None
        # the lift sees (B * 3, 1, L, L) folded vectors; add the folded moment mix to its output
        self.lift.register_forward_hook(lambda module, inputs, output: output + self._mixed())

    def _mixed(self) -> torch.Tensor:
        b, c, _, h, w = self._moments.shape
        return self.moment_mix(self._moments.transpose(1, 2).reshape(b * 3, c, h, w))

    def forward(self, spins: torch.Tensor, moments: torch.Tensor) -> torch.Tensor:
        self._moments = moments
        return super().forward(spins)


class AuxiliaryMomentCNN(EquivariantTorqueCNN):
    """The spins-only network whose last vector features must also predict the moments.

    A 1 x 1 mix of the head's input vector channels predicts the perpendicular parts of the
    moment vectors (normalised per order): extra supervision during training only; the torque
    prediction uses the spins alone, so the model stays deployable without moments.
    """

    def __init__(self, config, torque_scale: float, num_targets: int, seed: int):
        super().__init__(config, torque_scale, generator=torch.Generator().manual_seed(seed))
        self.auxiliary = nn.Conv2d(config.vector_channels, num_targets, 1, bias=False)
        bound = config.vector_channels**-0.5  # as reset_parameters draws 1 x 1 convolutions
        generator = torch.Generator().manual_seed(seed + 1)
        nn.init.uniform_(self.auxiliary.weight, -bound, bound, generator=generator)
        self.features: torch.Tensor | None = None
        self.head.register_forward_hook(lambda module, inputs, output: self._keep(inputs[0]))

    def _keep(self, folded: torch.Tensor) -> None:
        self.features = folded  # (B * 3, Cv, L, L)

    def predicted_moments(self) -> torch.Tensor:
        """(B, K, 3, L, L) from the features of the last forward pass."""
        out = self.auxiliary(self.features)
        return out.reshape(-1, 3, *out.shape[1:]).transpose(1, 2)


def augment_moment_pairs(spins: torch.Tensor, moments: torch.Tensor, generator: torch.Generator):
    """A Haar rotation and a D6 element per sample on spins and (B, K, 3, L, L) moments."""
    b, k = moments.shape[:2]
    rotations = haar_rotations(b, generator, dtype=spins.dtype)
    operations = torch.randint(NUM_POINT_GROUP_OPERATIONS, (b,), generator=generator)
    pairs = [transform_pairs(spins, moments[:, j], rotations, operations) for j in range(k)]
    return pairs[0][0], torch.stack([moved for _, moved in pairs], dim=1)


def perpendicular_normalised(moments: torch.Tensor, spins: torch.Tensor, scale=None):
    """Parts of (B, K, 3, L, L) moments perpendicular to S_i, divided by each order's RMS."""
    perp = perpendicular_part(moments, spins[:, None], axis=2)
    if scale is None:
        scale = perp.pow(2).sum(2).mean(dim=(0, 2, 3)).sqrt()[None, :, None, None, None]
    return perp / scale, scale


def predictions(variant, model, spins, moments, torque_scale, fits_moments):
    """(torques or None, predicted perpendicular moments (B, K, 3, L, L) or None) of a probe."""
    if variant == "resnet":
        return None, model(spins)[:, None]
    if variant == "pathsum":
        out = model(spins)
        return (None, out) if fits_moments else (out[:, 0] * torque_scale, None)
    if variant == "auxiliary":
        return model(spins), model.predicted_moments()
    return model(spins, moments), None  # "moments", "control"


def moment_errors(fitted: torch.Tensor, target: torch.Tensor, orders: list[int]) -> str:
    """Relative RMS error of the predicted moments, for the orders 3, 8, 16, 32 among them."""
    miss = (fitted - target).pow(2).mean(dim=(0, 2, 3, 4))
    relative = (miss / target.pow(2).mean(dim=(0, 2, 3, 4))).sqrt()
    shown = [k for k, n in enumerate(orders) if n in (3, 8, 16, 32)] or [0]
    return (
        f"moments n = {'/'.join(str(orders[k]) for k in shown)} rel. RMS error "
        f"{'/'.join(f'{relative[k]:.2f}' for k in shown)}"
    )


def errors(predicted: torch.Tensor, target: torch.Tensor) -> str:
    e = error_summary(predicted, target)
    return (
        f"loss {e.mean_relative_l1:.3f}, median {e.median_angle_degrees:.2f} deg, p99 "
        f"{e.p99_angle_degrees:.0f} deg, magnitude {100 * e.median_relative_magnitude_error:.1f}%"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument(
        "--variant", choices=("moments", "control", "auxiliary", "resnet", "pathsum"), required=True
    )
    ap.add_argument("--aux-weight", type=float, default=1.0, help="auxiliary loss weight")
    ap.add_argument("--train-errors", action="store_true", help="also score training frames")
    ap.add_argument(
        "--width",
        type=int,
        default=None,
        help="equivariant: vector = scalar channels (default: shipped); resnet: widths w-w-2w-2w",
    )
    ap.add_argument(
        "--aux-orders", type=int, nargs="+", default=None, help="orders to predict (default all)"
    )
    ap.add_argument("--data", default="runs/data80")
    ap.add_argument("--frames", type=int, nargs=2, default=[300, 150], metavar=("TRAIN", "VAL"))
    ap.add_argument("--moments", type=int, default=17)
    ap.add_argument("--twists", type=int, default=4)
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate")
    ap.add_argument("--layers", type=int, default=8, help="pathsum: hopping layers")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cache", type=Path, default=Path("runs/moment_cache"))
    ap.add_argument("--threads", type=int, default=1)
    add_probing_arguments(ap)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    train, validation = load_split(args.data, "train"), load_split(args.data, "validation")
    train_parts, val_parts, check_parts = [], {}, {}
    for start, name in enumerate(START_TYPES):
        for split, count, seed, out in (
            (train, args.frames[0], 0, None),
            (validation, args.frames[1], 1, name),
        ):
            spins, torques = select_frames(split, start, count, seed)
            mu = moment_features(spins, args.moments, args.twists, args.cache, *probing(args))[
                :, 3:
            ]
            part = (spins.float(), torques.float(), mu.float())
            if out is None:
                train_parts.append(part)
                if args.train_errors:  # as many training frames as validation frames
                    check_parts[f"{name} (train)"] = tuple(x[: args.frames[1]] for x in part)
            else:
                val_parts[out] = part
    spins, torques, moments = (torch.cat(x) for x in zip(*train_parts))
    if args.variant == "control":
        moments = torch.zeros_like(moments)  # the mix then adds exactly nothing
    shipped, _ = load_model_file(default_model_path())
    for name, (s, t, _) in val_parts.items():
        with torch.no_grad():
            median = torque_angles_degrees(shipped(s), t).median()
            print(f"shipped model, {name}: median {median:.2f} deg")
    torque_scale = float(torques.norm(dim=1).mean())
    config = shipped.config
    if args.width:
        config = dataclasses.replace(config, vector_channels=args.width, scalar_channels=args.width)
    fits_moments = args.variant == "resnet" or (args.variant == "pathsum" and args.aux_orders)
    targets = None
    if args.variant == "auxiliary" or fits_moments:
        orders = args.aux_orders or list(range(3, args.moments))
        if min(orders) < 3 or max(orders) >= args.moments:
            ap.error(f"--aux-orders must lie in 3 .. {args.moments - 1}, got {orders}")
        picked = [n - 3 for n in orders]
        targets, scale = perpendicular_normalised(moments[:, picked], spins)
    if args.variant == "resnet":  # the paper's architecture family, fitted to the moments alone
        if len(picked) != 1:
            ap.error("--variant resnet fits one order: give one --aux-orders N")
        resnet = MODEL_PRESETS["default"]
        if args.width:  # widths w-w-2w-2w (the default preset is w = 32)
            widths = (args.width, args.width, 2 * args.width, 2 * args.width)
            resnet = dataclasses.replace(resnet, widths=widths)
        model = TorqueCNN(resnet, generator=torch.Generator().manual_seed(args.seed))
    elif args.variant == "pathsum":  # moments (--aux-orders) or, without, the torque
        outputs = len(picked) if fits_moments else 1
        model = PathSumNet(outputs, args.width or 16, args.layers, seed=args.seed)
    elif args.variant == "auxiliary":
        model = AuxiliaryMomentCNN(config, torque_scale, len(picked), args.seed)
    else:
        model = MomentLiftCNN(config, torque_scale, moments.shape[1], args.seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, args.epochs)
    generator = torch.Generator().manual_seed(args.seed)
    start_time = time.perf_counter()

    def predict(x: torch.Tensor, mu: torch.Tensor):
        return predictions(args.variant, model, x, mu, torque_scale, fits_moments)

    for epoch in range(1, args.epochs + 1):
        model.train()
        order = torch.randperm(len(spins), generator=generator)
        for batch in order.split(8):
            x, target = spins[batch], targets[batch] if targets is not None else None
            if args.variant == "resnet":  # SO(3) x D6 augmentation, as the package trains it
                x, target = augment_moment_pairs(x, target, generator)
            predicted, fitted = predict(x, moments[batch])
            loss = 0.0
            if predicted is not None:
                loss = relative_l1_loss(predicted, torques[batch])
            if fitted is not None:
                weight = args.aux_weight if predicted is not None else 1.0
                loss = loss + weight * (fitted - target).pow(2).sum(2).sqrt().mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        schedule.step()
        if epoch % 10 == 0 or epoch == args.epochs:
            model.eval()
            with torch.no_grad():
                for name, (s, t, mu) in [*val_parts.items(), *check_parts.items()]:
                    mu = torch.zeros_like(mu) if args.variant == "control" else mu
                    predicted, fitted = predict(s, mu)
                    report = [errors(predicted, t)] if predicted is not None else []
                    if fitted is not None:
                        target, _ = perpendicular_normalised(mu[:, picked], s, scale)
                        report.append(moment_errors(fitted, target, orders))
                    print(
                        f"{args.variant} epoch {epoch} ({time.perf_counter() - start_time:.0f} s), "
                        f"{name}: {', '.join(report)}",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
