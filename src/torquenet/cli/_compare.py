"""``torquenet compare``: exact vs model quench ensembles (paper Sec. IV B, Fig. 5)."""

from __future__ import annotations

import argparse
import json

from torquenet.analysis import ComparisonConfig, compare_ensembles
from torquenet.cli._common import add_overwrite_argument, output_directory

_DEFAULTS = ComparisonConfig()


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "compare",
        help="dynamical benchmark: exact-solver vs model ensembles of trajectories",
        description="Compare two ensembles of runs saved at the same times (e.g. quenches with "
        "the exact solver at T = 0.001 and with the model at T = 0): S(q, t) side by side, the "
        "intensity at the six +-Q_eta with ensemble error bars and its relative difference. "
        "Exit status 0 when the largest relative difference over the saved times is within "
        "--tolerance, 1 when it is not, 2 on errors.",
    )
    p.add_argument("--exact", nargs="+", required=True, help="trajectory files of the exact runs")
    p.add_argument("--model", nargs="+", required=True, help="trajectory files of the model runs")
    p.add_argument("--out", required=True, help="output directory")
    add_overwrite_argument(p, "an existing report in --out")
    p.add_argument(
        "--tolerance",
        type=float,
        default=_DEFAULTS.tolerance,
        help="largest allowed relative difference of the peak intensity (0.1 = 10%%)",
    )
    p.add_argument(
        "--times", type=float, nargs="+", default=None, help="times (t0) of the S(q) panels"
    )
    p.add_argument(
        "--panels", type=int, default=_DEFAULTS.num_panels, help="panels when --times is absent"
    )
    p.add_argument(
        "--sq-scale",
        choices=("auto", "log", "linear"),
        default=_DEFAULTS.structure_factor_scale,
        help="colour scale of the S(q) panels (auto: logarithmic when Bragg peaks dominate)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = ComparisonConfig(
        tolerance=args.tolerance,
        times=None if args.times is None else tuple(args.times),
        num_panels=args.panels,
        structure_factor_scale=args.sq_scale,
    )
    output_directory(args.out, "comparison.json", args.overwrite)
    result = compare_ensembles(args.exact, args.model, args.out, config)
    print(json.dumps(result["summary"], indent=1))
    return 0 if result["summary"]["passed"] else 1
