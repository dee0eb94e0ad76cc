"""``torquenet erf``: effective receptive field of a model file (paper Fig. 10)."""

from __future__ import annotations

import argparse
import json

from torquenet.analysis import ReceptiveFieldConfig, receptive_field_report
from torquenet.cli._common import add_overwrite_argument, output_directory

_DEFAULTS = ReceptiveFieldConfig()


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "erf",
        help="effective receptive field of a torque model (gradient maps, 99%% radius)",
        description="Gradients dT_a(site) / dS_b(j) of the model's torque at one site with "
        "respect to every input spin (Luo et al. 2016), for a probe texture: nine component maps "
        "and sum_ab |dT_a/dS_b| on the triangular geometry, with the radius that holds the "
        "requested fraction of the summed weight (JSON and plot).",
    )
    p.add_argument("--model", required=True, help="model file (.pt)")
    p.add_argument("--out", required=True, help="output directory")
    add_overwrite_argument(p, "an existing report in --out")
    p.add_argument("--L", type=int, default=_DEFAULTS.L, help="lattice size of the probe texture")
    p.add_argument(
        "--texture",
        default=_DEFAULTS.texture,
        choices=("random", "skl"),
        help="probe texture: random spins or the ideal skyrmion lattice (L %% 12 == 0)",
    )
    p.add_argument("--seed", type=int, default=_DEFAULTS.seed, help="seed of the random texture")
    p.add_argument(
        "--site",
        type=int,
        nargs=2,
        default=None,
        metavar=("I", "J"),
        help="output site (default: the centre)",
    )
    p.add_argument(
        "--fraction", type=float, default=_DEFAULTS.fraction, help="weight fraction of the radius"
    )
    p.add_argument("--device", default=_DEFAULTS.device, help="cpu | cuda | auto")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = ReceptiveFieldConfig(
        L=args.L,
        texture=args.texture,
        seed=args.seed,
        site=None if args.site is None else tuple(args.site),
        fraction=args.fraction,
        device=args.device,
    )
    output_directory(args.out, "receptive_field.json", args.overwrite)
    report = receptive_field_report(args.model, args.out, config)
    keys = ("radius", "fraction", "site", "theoretical_receptive_field_sites")
    print(json.dumps({k: report[k] for k in keys}, indent=1))
    return 0
