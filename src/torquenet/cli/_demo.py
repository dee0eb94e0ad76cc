"""``torquenet demo``: the built-in default job."""

from __future__ import annotations

import argparse
import json

from torquenet.demo import FieldDemoConfig, run_field_demo


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="run the built-in default job and write pictures + summary")
    p.add_argument("--out", default="torquenet-demo", help="output directory")
    p.add_argument("--L", type=int, default=FieldDemoConfig.L, help="lattice size (multiple of 12)")
    p.add_argument(
        "--twists", type=int, default=FieldDemoConfig.num_twists, help="k x k boundary twists"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    summary = run_field_demo(args.out, FieldDemoConfig(L=args.L, num_twists=args.twists))
    print(json.dumps(summary, indent=2))
    return 0
