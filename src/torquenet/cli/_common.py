"""Pieces shared by subcommands: physics and solver flags -> FieldsConfig, the output policy.

One overwrite policy for every command: an output that exists is refused unless ``--overwrite``
is given, except that the run commands (simulate, generate, train, demo) resume unfinished work
and treat a finished run of the same configuration as done (a no-op that reports it).
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from torquenet._validation import check_float
from torquenet.config import from_mapping, read_yaml
from torquenet.runs import FieldsConfig, StepProgressBar, work_directory
from torquenet.solvers import SOLVER_KINDS


def add_overwrite_argument(parser: argparse.ArgumentParser, what: str = "the output") -> None:
    parser.add_argument(
        "--overwrite", action="store_true", help=f"replace {what} if it exists (else refused)"
    )


def output_file(path: str | Path, suffix: str, overwrite: bool) -> Path:
    """The file ``path`` a command writes, exactly as named: it must end in ``suffix``, must not
    be a directory, and may exist only with ``overwrite``."""
    out = Path(path)
    if out.is_dir():
        raise ValueError(f"--out {str(out)!r} is a directory; name a file ending in {suffix}")
    if out.suffix != suffix:
        raise ValueError(
            f"--out {str(out)!r} must end in {suffix} (the file is written under exactly this name)"
        )
    if out.exists() and not overwrite:
        raise FileExistsError(f"{str(out)!r} already exists; pass --overwrite to replace it")
    return out


def output_directory(path: str | Path, report: str, overwrite: bool) -> Path:
    """A report directory: refused when it already holds the report file ``report``, unless
    ``overwrite``; a file in its place is an error."""
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {str(out)!r} is a file; name a directory for the report")
    if (out / report).exists() and not overwrite:
        raise FileExistsError(
            f"{str(out)!r} already holds a report ({report}); pass --overwrite to replace it"
        )
    return out


def add_solver_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags shared by every subcommand that evaluates fields."""
    parser.add_argument(
        "--solver",
        choices=SOLVER_KINDS,
        default=None,
        help="field solver (default: from --config, else ed)",
    )
    parser.add_argument(
        "--config",
        default=None,
        help="YAML with the physics and the solver: keys model (SDModelParams: hopping, "
        "sd_coupling, chemical_potential, electron_temperature) and solver (SolverConfig: kind, "
        "ed, kpm, cnn); flags override it",
    )
    parser.add_argument(
        "--twists", type=int, default=None, help="k: average ED over k x k boundary twists"
    )
    parser.add_argument("--kT", type=float, default=None, help="electron temperature")
    parser.add_argument("--device", default=None, help="cpu | cuda | auto (of the chosen solver)")
    parser.add_argument(
        "--model",
        default=None,
        help="model file from `torquenet train` (with --solver cnn; default: the shipped model)",
    )
    parser.add_argument(
        "--max-memory",
        type=float,
        default=None,
        help="memory budget of one CNN forward pass in MB (with --solver cnn; larger lattices "
        "are evaluated tile by tile, same fields; default 256)",
    )
    kpm = parser.add_argument_group("KPM solver (--solver kpm; see KPMParams)")
    kpm.add_argument("--num-moments", type=int, default=None, help="Chebyshev moments M")
    kpm.add_argument(
        "--probing-distance",
        type=int,
        default=None,
        help="minimum distance of sites sharing a probe vector (must divide L; >= L is exact)",
    )
    kpm.add_argument(
        "--num-random-vectors",
        type=int,
        default=None,
        help="random-phase probes per (colour, spin) pair",
    )
    kpm.add_argument("--kpm-seed", type=int, default=None, help="seed of the probe phases")
    kpm.add_argument(
        "--kpm-dtype",
        choices=("float32", "float64"),
        default=None,
        help="precision of the Chebyshev recursion (default float64; float32 is 2-3.5x "
        "faster, its rounding, ~1e-6 relative, far below the probing error of d < L)",
    )
    kpm.add_argument(
        "--fresh-probes",
        dest="kpm_fresh_probes",
        action="store_const",
        const=True,
        default=None,
        help="new probe phases every LLG step (stochastic KPM-Langevin: unbiased fields)",
    )
    kpm.add_argument(
        "--no-compile",
        dest="kpm_compile",
        action="store_const",
        const=False,
        default=None,
        help="run the KPM kernels eagerly (no torch.compile; quicker start, slower steps)",
    )


def fields_config_from_args(args: argparse.Namespace) -> FieldsConfig:
    """FieldsConfig (physics + solver) from --config, overridden by explicit flags."""
    config = (
        from_mapping(FieldsConfig, read_yaml(args.config), args.config)
        if args.config
        else FieldsConfig()
    )
    model, solver = config.model, config.solver
    kind = args.solver if args.solver is not None else solver.kind
    cnn = replace(solver.cnn, model_file=args.model) if args.model is not None else solver.cnn
    if args.model is not None and kind != "cnn":
        raise ValueError(f"--model needs --solver cnn (solver is {kind!r})")
    if args.max_memory is not None:
        if kind != "cnn":
            raise ValueError(f"--max-memory needs --solver cnn (solver is {kind!r})")
        megabytes = check_float("--max-memory", args.max_memory, minimum=0.0, strict_minimum=True)
        cnn = replace(cnn, max_memory=int(megabytes * 2**20))
    solver = replace(solver, kind=kind, cnn=cnn)
    if args.kT is not None:
        model = replace(model, electron_temperature=args.kT)
    if args.twists is not None:
        if solver.kind != "ed":
            raise ValueError(
                f"--twists applies to --solver ed only; the {solver.kind!r} solver evaluates the "
                f"plain L x L torus (to see a larger lattice, tile the texture instead)"
            )
        solver = replace(solver, ed=replace(solver.ed, num_twists=args.twists))
    kpm_flags = {
        "num_moments": args.num_moments,
        "probing_distance": args.probing_distance,
        "num_random_vectors": args.num_random_vectors,
        "seed": args.kpm_seed,
        "dtype": args.kpm_dtype,
        "compile": args.kpm_compile,
        "fresh_probes": args.kpm_fresh_probes,
    }
    kpm_changes = {key: value for key, value in kpm_flags.items() if value is not None}
    if kpm_changes and solver.kind != "kpm":
        raise ValueError(
            f"KPM options {sorted(kpm_changes)} need --solver kpm (solver is {solver.kind!r})"
        )
    if kpm_changes:
        solver = replace(solver, kpm=replace(solver.kpm, **kpm_changes))
    if args.device is not None:
        solver = replace(solver, **{solver.kind: replace(solver.settings, device=args.device)})
    return FieldsConfig(model=model, solver=solver)


def run_resumable(job: Callable[[StepProgressBar], object], out: Path, description: str) -> int:
    """Run ``job(progress_bar)`` (a checkpointed run writing ``out``); 130 after Ctrl-C, with
    where the progress is kept, else 0.  The bar is closed either way."""
    bar = StepProgressBar(description)
    try:
        job(bar)
    except KeyboardInterrupt:
        bar.close()
        logging.getLogger("torquenet.cli").warning(
            "interrupted; progress is kept in %s: run the same command again to resume",
            work_directory(out),
        )
        return 130
    finally:
        bar.close()
    return 0
