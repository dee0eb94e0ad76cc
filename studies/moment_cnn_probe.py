"""Does the equivariant network get better when it is *given* the local Chebyshev moments?

A controlled probe on a small training set (``--frames`` per start type, the same frames as
``chebyshev_moment_fit.py``): the shipped architecture (16 + 16 channels, 4 blocks, bond basis)
trained from the same seed for the same epochs, once on the spins alone (``--variant control``)
and once with the moment vectors mu_n(i), n = 3 .. M-1, added to the lift as extra vector
channels through a learned 1 x 1 mixing (``--variant moments``; still exactly SO(3) x D6
equivariant, since the moments rotate with the spins).  Adam, cosine schedule, batch 8, no
augmentation (the network is equivariant by construction).  Reports the validation error per
start type every 10 epochs, and the shipped model's angles on the same validation frames.

Usage: .venv/bin/python studies/moment_cnn_probe.py --variant moments [--moments 17]
       [--frames 300 150] [--epochs 60] [--cache runs/moment_cache]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch
from chebyshev_moment_fit import (
    add_probing_arguments,
    error_summary,
    moment_features,
    probing,
    select_frames,
)
from linear_response_fit import load_split
from torch import nn

from torquenet.data.manifest import START_TYPES
from torquenet.ml import (
    load_model_file,
    relative_l1_loss,
    torque_angles_degrees,
)
from torquenet.ml._equivariant import EquivariantTorqueCNN
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


def errors(predicted: torch.Tensor, target: torch.Tensor) -> str:
    e = error_summary(predicted, target)
    return (
        f"loss {e.mean_relative_l1:.3f}, median {e.median_angle_degrees:.2f} deg, p99 "
        f"{e.p99_angle_degrees:.0f} deg, magnitude {100 * e.median_relative_magnitude_error:.1f}%"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--variant", choices=("moments", "control"), required=True)
    ap.add_argument("--data", default="runs/data80")
    ap.add_argument("--frames", type=int, nargs=2, default=[300, 150], metavar=("TRAIN", "VAL"))
    ap.add_argument("--moments", type=int, default=17)
    ap.add_argument("--twists", type=int, default=4)
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cache", type=Path, default=Path("runs/moment_cache"))
    ap.add_argument("--threads", type=int, default=1)
    add_probing_arguments(ap)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    train, validation = load_split(args.data, "train"), load_split(args.data, "validation")
    train_parts, val_parts = [], {}
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
    model = MomentLiftCNN(
        shipped.config, float(torques.norm(dim=1).mean()), moments.shape[1], args.seed
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, args.epochs)
    generator = torch.Generator().manual_seed(args.seed)
    start_time = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        model.train()
        order = torch.randperm(len(spins), generator=generator)
        for batch in order.split(8):
            loss = relative_l1_loss(model(spins[batch], moments[batch]), torques[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        schedule.step()
        if epoch % 10 == 0 or epoch == args.epochs:
            model.eval()
            with torch.no_grad():
                for name, (s, t, mu) in val_parts.items():
                    mu = torch.zeros_like(mu) if args.variant == "control" else mu
                    print(
                        f"{args.variant} epoch {epoch} ({time.perf_counter() - start_time:.0f} s), "
                        f"{name}: {errors(model(s, mu), t)}",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
