"""The built-in default job: the shipped model restores a perturbed skyrmion lattice (paper Fig. 7).

``torquenet demo`` (Python: :func:`run_demo`) integrates LLG with the shipped CNN torque model
on a lattice far larger than the 12 x 12 cells it was trained on (96 x 96 by default), starting
from the skyrmion-lattice ansatz of Eq. (13) with site-dependent random parameters, and then,
on request, continues the run for the long-time stability test of Fig. 8.  Each stage is an
ordinary resumable trajectory (:func:`~torquenet.runs.simulate`) analysed by
:func:`~torquenet.analysis.analyze_trajectories`, so the demo is the same code path a user
scripts by hand.  The verdict (:func:`~torquenet.observables.skyrmion_lattice_order`) is
measured, not assumed: the six
+-Q_eta Bragg peaks must be the six largest S(q != 0), and the texture must hold exactly the
ideal lattice's L^2/24 skyrmions and no antiskyrmion.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from torquenet._validation import check_int
from torquenet._version import __version__
from torquenet.analysis import AnalysisConfig, analyze_trajectories, plot_corner_snapshots
from torquenet.config import save_config, to_mapping
from torquenet.data import read_trajectory
from torquenet.dynamics import LLGParams
from torquenet.observables import skyrmion_lattice_order
from torquenet.pretrained import resolve_model_file
from torquenet.runs._simulate import simulate
from torquenet.runs._simulation_config import SimulationConfig
from torquenet.runs._trajectory_files import StepProgressBar
from torquenet.solvers import LearnedModelParams, SolverConfig
from torquenet.textures import SkyrmionPerturbation

logger = logging.getLogger(__name__)

#: Perturbation of the demo's start: the strongest site-independent noise (of the three kinds of
#: Sec. IV C) that, for every seed we tried at L = 96, creates no antiskyrmion and destroys no
#: skyrmion at t = 0, so topology alone does not decide the outcome.  Stronger noise, like the
#: training data's SkyrmionPerturbation(), creates skyrmion-antiskyrmion pairs at t = 0 that
#: annihilate during the relaxation, in the exact dynamics as in the model's (REPRODUCTION.md).
DEMO_PERTURBATION = SkyrmionPerturbation(
    phase_noise=0.12, amplitude_noise=0.2, magnetization_noise=0.1
)


@dataclass(frozen=True)
class DemoConfig:
    """Settings of :func:`run_demo` (defaults: the README's main job, ~7 min on 2 cores).

    Parameters
    ----------
    L : int
        Lattice size (multiple of 12; 96 = 8 x the 12 x 12 training cells in each direction).
    restoration_steps : int
        LLG steps (dt = 0.1, alpha = 0.05, T = 0) of the restoration stage.
    stability_steps : int
        Steps of the long-time stability stage that continues from the restored state (0 skips
        it).  The default makes the whole run 5000 steps, t = 500 t0: five times the duration of
        the training trajectories (paper Fig. 8).
    save_every : int
        Frame interval of both stages.
    seed : int
        Seed of the random perturbation.
    perturbation : SkyrmionPerturbation
        Site-dependent randomness of the initial ansatz.
    model_file : str
        Model file; "" uses the shipped model (:func:`torquenet.pretrained.resolve_model_file`).
    device : str
        "cpu", "cuda", "cuda:N" or "auto".
    """

    L: int = 96
    restoration_steps: int = 600
    stability_steps: int = 4400
    save_every: int = 40
    seed: int = 0
    perturbation: SkyrmionPerturbation = field(default_factory=lambda: DEMO_PERTURBATION)
    model_file: str = ""
    device: str = "cpu"

    def __post_init__(self) -> None:
        L = check_int("L", self.L, minimum=12)
        if L % 12:
            raise ValueError(
                f"the demo's skyrmion lattice needs L divisible by 12 (period of the ansatz), got "
                f"L = {L}"
            )
        check_int("restoration_steps", self.restoration_steps, minimum=1)
        check_int("stability_steps", self.stability_steps, minimum=0)
        check_int("save_every", self.save_every, minimum=1)
        check_int("seed", self.seed, minimum=0)

    def solver(self) -> SolverConfig:
        """The learned field solver of both stages (the model file resolved to a path)."""
        model_file = str(resolve_model_file(self.model_file))
        return SolverConfig(
            kind="cnn", cnn=LearnedModelParams(model_file=model_file, device=self.device)
        )


def _run_stage(
    name: str, config: SimulationConfig, out: Path, show_progress: bool, times: tuple[float, ...]
) -> dict[str, Any]:
    """Simulate (or resume) one stage, analyse it, and return its measured numbers."""
    path = out / f"{name}.h5"
    timing = out / name / "timing.json"
    # Simulation time so far, kept until the stage is complete: calls interrupted in the
    # simulation (exceptions, Ctrl-C) or in the analysis after it add up over resumes.
    interrupted = out / name / "timing.partial.json"
    if not path.exists() or not timing.exists():
        earlier = (
            json.loads(interrupted.read_text())["wall_seconds"] if interrupted.exists() else 0.0
        )
        start = time.perf_counter()
        bar = StepProgressBar(name) if show_progress else None
        try:
            if not path.exists():
                simulate(config, path, progress=bar)
        finally:
            if bar is not None:
                bar.close()
            seconds = earlier + time.perf_counter() - start
            interrupted.parent.mkdir(parents=True, exist_ok=True)
            interrupted.write_text(json.dumps({"wall_seconds": seconds}) + "\n")
        analyze_trajectories(
            [path], out / name, AnalysisConfig(times=times, figure_formats=("png",))
        )
        run = read_trajectory(path)
        plot_corner_snapshots(run, out / name / "zoom", ZOOM, ("png",))
        timing.write_text(json.dumps({"wall_seconds": seconds}) + "\n")
        interrupted.unlink(missing_ok=True)
    else:
        run = read_trajectory(path)
    seconds = json.loads(timing.read_text())["wall_seconds"]
    return {
        "trajectory": str(path),
        "steps": config.num_steps,
        "duration_t0": float(run.times[-1] - run.times[0]),
        "wall_seconds": seconds,
        "seconds_per_step": seconds / config.num_steps,
        "initial": skyrmion_lattice_order(run.spins[0]),
        "final": skyrmion_lattice_order(run.spins[-1]),
        "charge_range": [float(run.topological_charge.min()), float(run.topological_charge.max())],
    }


#: Side of the corner shown by the zoomed snapshots (two 12 x 12 magnetic cells).
ZOOM = 24


def _summary_text(summary: dict[str, Any]) -> str:
    lines = [
        f"torquenet {summary['torquenet_version']} demo: {summary['L']} x {summary['L']} lattice, "
        f"model {summary['model_file']}",
    ]
    for name in ("restoration", "stability"):
        stage = summary.get(name)
        if stage is None:
            continue
        first, last = stage["initial"], stage["final"]
        lines += [
            f"{name}: {stage['steps']} steps (t = {stage['duration_t0']:g} t0) in "
            f"{stage['wall_seconds']:.0f} s ({stage['seconds_per_step']:.3f} s/step)",
            f"  skyrmions / antiskyrmions: {first['skyrmions']} / {first['antiskyrmions']} -> "
            f"{last['skyrmions']} / {last['antiskyrmions']} (ideal lattice: "
            f"{last['ideal_skyrmions']} / 0); topological charge {first['topological_charge']:g}"
            f" -> {last['topological_charge']:g}",
            f"  Bragg weight of the six +-Q_eta: {first['bragg_weight']:.3f} -> "
            f"{last['bragg_weight']:.3f} (ideal ansatz 0.954); peaks dominate S(q): "
            f"{last['bragg_peaks_dominate']}",
            f"  skyrmion lattice at the end: {last['is_skyrmion_lattice']}",
        ]
    return "\n".join(lines) + "\n"


def run_demo(
    out_dir: str | Path, config: DemoConfig | None = None, *, show_progress: bool = False
) -> dict[str, Any]:
    """Restore a perturbed skyrmion lattice with the shipped model; write figures and a summary.

    Writes ``restoration.h5`` and ``restoration/`` (snapshots, S(q) panels, peak intensity and
    topological charge vs time, ``numbers.json``), the same for ``stability`` when
    ``config.stability_steps > 0``, ``demo_config.yaml``, ``summary.json`` and ``summary.txt``.
    Running it again resumes unfinished stages and reuses finished ones.

    Returns
    -------
    dict
        The content of ``summary.json``.
    """
    config = config or DemoConfig()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    save_config(config, out / "demo_config.yaml")
    solver = config.solver()
    llg = LLGParams(time_step=0.1, damping=0.05, temperature=0.0)

    def stage(init: str, num_steps: int) -> SimulationConfig:
        return SimulationConfig(
            L=config.L,
            init=init,
            num_steps=num_steps,
            save_every=config.save_every,
            checkpoint_every=max(config.save_every, 100),
            seed=config.seed,
            save_fields=False,
            llg=llg,
            solver=solver,
            perturbation=config.perturbation,
        )

    summary: dict[str, Any] = {
        "torquenet_version": __version__,
        "L": config.L,
        "model_file": solver.cnn.model_file,
        "config": to_mapping(config),
    }
    t_end = config.restoration_steps * llg.time_step
    summary["restoration"] = _run_stage(
        "restoration",
        stage("skl-perturbed", config.restoration_steps),
        out,
        show_progress,
        (0.0, t_end / 8, t_end / 3, t_end),
    )
    if config.stability_steps:
        t_long = config.stability_steps * llg.time_step
        summary["stability"] = _run_stage(
            "stability",
            stage(str(out / "restoration.h5"), config.stability_steps),
            out,
            show_progress,
            (0.0, t_long / 3, 2 * t_long / 3, t_long),
        )
    text = _summary_text(summary)
    (out / "summary.txt").write_text(text)
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    logger.info("wrote %s", out)
    return summary
