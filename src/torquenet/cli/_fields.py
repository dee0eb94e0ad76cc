"""``torquenet fields``: exchange fields of one texture (or a batch) from a .npy file."""

from __future__ import annotations

import argparse
import json
import logging

import numpy as np

from torquenet.cli._common import (
    add_overwrite_argument,
    add_solver_arguments,
    fields_config_from_args,
    output_file,
)
from torquenet.config import save_config
from torquenet.data import read_spins
from torquenet.runs import compute_fields, energy_record

logger = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "fields",
        help="electron-induced exchange fields of a spin texture",
        description="Read unit spins (L, L, 3) from IN.npy, write the electron-"
        "induced fields H_i = J <c^dag sigma c>_i (no H_ext), shape (L, L, 3), and, for "
        "solvers with an energy (ED, KPM, energy models), OUT.energy.json with the grand "
        "potential of the cell and per site.",
    )
    p.add_argument("--spins", required=True, help="input .npy, unit spins of shape (L, L, 3)")
    p.add_argument("--out", required=True, help="output file for the fields (must end in .npy)")
    add_overwrite_argument(p)
    add_solver_arguments(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    out = output_file(args.out, ".npy", args.overwrite)
    spins = read_spins(args.spins)
    config = fields_config_from_args(args)
    result = compute_fields(spins, config)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.save(out, result.fields)
    save_config(config, out.with_suffix(".config.yaml"))
    record = energy_record(result, spins, config.solver.kind)
    if record is not None:
        energy_file = out.with_suffix(".energy.json")
        energy_file.write_text(json.dumps(record, indent=1) + "\n")
        logger.info(
            "grand potential Omega = %s (%s per site), in %s",
            record["grand_potential"],
            record["grand_potential_per_site"],
            energy_file,
        )
    logger.info("wrote fields %s to %s", result.fields.shape, out)
    return 0
