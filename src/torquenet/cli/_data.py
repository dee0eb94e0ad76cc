"""``torquenet data info DIR``: summary of a generated dataset."""

from __future__ import annotations

import argparse
import json

from torquenet.data import TrajectoryDataset, dataset_info


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("data", help="inspect generated datasets")
    actions = p.add_subparsers(dest="data_command", required=True, metavar="ACTION")
    info = actions.add_parser("info", help="counts, L, parameters, split sizes, label statistics")
    info.add_argument("directory")
    info.add_argument(
        "--verify", action="store_true", help="also check every file's SHA-256 against the manifest"
    )
    info.set_defaults(func=run_info)


def run_info(args: argparse.Namespace) -> int:
    summary = dataset_info(args.directory)
    if args.verify:
        summary["verified_frames"] = len(TrajectoryDataset(args.directory, "all", verify=True))
    print(json.dumps(summary, indent=2))
    return 0
