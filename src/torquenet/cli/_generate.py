"""``torquenet generate``: an ensemble of exact LLG trajectories as training data."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from tqdm import tqdm

from torquenet.config import load_config, save_config
from torquenet.data import builtin_config_names, dataset_info, resolve_config_path
from torquenet.runs import GenerateConfig, generate


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "generate",
        help="generate training trajectories (resumable; local processes or Dask)",
        description="Run an ensemble of LLG trajectories, one HDF5 file each, plus a manifest "
        "with checksums, splits and the label normalisation. Re-running resumes.",
    )
    p.add_argument(
        "--config",
        default="default",
        help=f"YAML file or shipped config name {builtin_config_names('data')}",
    )
    p.add_argument("--out", required=True, help="dataset directory")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, default=1, help="local worker processes")
    where.add_argument(
        "--scheduler", default=None, help="Dask distributed scheduler address, e.g. tcp://host:8786"
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="run dynamics settings refused as physically absurd, with a warning",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = load_config(resolve_config_path(args.config, "data"), GenerateConfig)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    save_config(config, out / "generate_config.yaml")
    bar = tqdm(unit="trajectory", desc="generate", dynamic_ncols=True)

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()

    try:
        generate(
            config,
            out,
            workers=args.workers,
            scheduler=args.scheduler,
            progress=progress,
            force=args.force,
        )
    finally:
        bar.close()
    print(json.dumps(dataset_info(out), indent=2))
    return 0
