"""``torquenet analyze``: S(q, t), Bragg peaks, skyrmions, energy and pictures of trajectories."""

from __future__ import annotations

import argparse
import json

from torquenet.analysis import AnalysisConfig, analyze_trajectories
from torquenet.cli._common import add_overwrite_argument, output_directory

_DEFAULTS = AnalysisConfig()


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "analyze",
        help="structure factor, peak intensity, topological charge, snapshots of trajectories",
        description="Average the spin structure factor S(q, t) of paper Eq. (12) (normalised so "
        "that sum_q S(q) = 1) over the given runs (same L and save times) and write: S(q) panels "
        "over the Brillouin zone (Fig. 5), the intensity at the six +-Q_eta vs time (Fig. 8), "
        "topological charge and skyrmion count vs time, energy vs time when stored, real-space "
        "snapshots (Figs. 6-7), numbers.json/.csv and optionally a GIF movie.",
    )
    p.add_argument("runs", nargs="+", help="trajectory files (.h5) of torquenet simulate")
    p.add_argument("--out", required=True, help="output directory")
    add_overwrite_argument(p, "an existing report in --out")
    p.add_argument(
        "--times",
        type=float,
        nargs="+",
        default=None,
        help="times (t0) of the S(q) panels and snapshots (nearest saved frame)",
    )
    p.add_argument(
        "--panels", type=int, default=_DEFAULTS.num_panels, help="panels when --times is absent"
    )
    p.add_argument(
        "--snapshot-run",
        type=int,
        default=_DEFAULTS.snapshot_run,
        help="run (0-based) shown in snapshots and movie",
    )
    p.add_argument(
        "--sq-scale",
        choices=("auto", "log", "linear"),
        default=_DEFAULTS.structure_factor_scale,
        help="colour scale of the S(q) panels (auto: logarithmic when Bragg peaks dominate)",
    )
    p.add_argument("--movie", action="store_true", help="also write movie.gif of the run")
    p.add_argument(
        "--movie-frames",
        type=int,
        default=_DEFAULTS.movie_max_frames,
        help="at most this many movie frames",
    )
    p.add_argument(
        "--formats",
        nargs="+",
        choices=("png", "pdf", "svg"),
        default=list(_DEFAULTS.figure_formats),
        help="file formats of every figure (default: %(default)s; PDF is the slow one)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = AnalysisConfig(
        times=None if args.times is None else tuple(args.times),
        num_panels=args.panels,
        snapshot_run=args.snapshot_run,
        structure_factor_scale=args.sq_scale,
        movie=args.movie,
        movie_max_frames=args.movie_frames,
        figure_formats=tuple(args.formats),
    )
    output_directory(args.out, "numbers.json", args.overwrite)
    numbers = analyze_trajectories(args.runs, args.out, config)
    print(json.dumps({"num_runs": numbers["num_runs"], "final": numbers["final"]}, indent=1))
    return 0
