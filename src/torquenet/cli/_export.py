"""``torquenet export``: spin textures and trajectories to OVF 2.0 (OOMMF, Spirit, MuMax3) or VTK
(ParaView)."""

from __future__ import annotations

import argparse

from torquenet.cli._common import add_overwrite_argument
from torquenet.data.export import EXPORT_FORMATS, export_trajectory


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export",
        help="spins to OVF 2.0 (OOMMF, Spirit, MuMax3) or VTK (ParaView)",
        description="Write the spins of a trajectory (RUN.h5) or a texture (SPINS.npy) in the "
        "formats other spin codes read.  ovf: OVF 2.0, Data Binary 8; ovf-text: OVF 2.0, Data "
        "Text (exact decimals); the triangular lattice is a rectangular L x L x 1 mesh indexed "
        "by (i, j), the geometry stated in the header's Desc lines.  vtk / vtk-ascii: VTK XML "
        ".vtu unstructured grids of the sites at their true positions with the spins as point "
        "vectors and S_z as a scalar, plus for trajectories trajectory.pvd with the times "
        "(open it in ParaView to play the run).  A trajectory goes to the directory --out, one "
        "file per frame named by step (step_00000010.ovf); a texture to the file --out.",
    )
    p.add_argument("input", metavar="RUN.h5|SPINS.npy", help="trajectory or spin texture")
    p.add_argument(
        "--format",
        required=True,
        choices=EXPORT_FORMATS,
        help="ovf (binary 8), ovf-text, vtk (binary .vtu), vtk-ascii",
    )
    p.add_argument(
        "--out",
        required=True,
        help="directory for a trajectory's frames; file (.ovf or .vtu) for one texture",
    )
    p.add_argument(
        "--frames",
        type=int,
        nargs="+",
        default=None,
        metavar="K",
        help="frame indices to export, negative from the end (default: all frames)",
    )
    add_overwrite_argument(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    written = export_trajectory(
        args.input, args.out, args.format, args.frames, overwrite=args.overwrite
    )
    for path in written:
        print(f"wrote {path}")
    return 0
