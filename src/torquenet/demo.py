"""The built-in default job: exchange fields of the ideal skyrmion lattice, picture and summary."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from torquenet._version import __version__
from torquenet.analysis import plot_texture, pyplot, save_figure
from torquenet.config import to_mapping
from torquenet.observables import topological_charge
from torquenet.solvers import EDParams, SolverConfig, compute_fields
from torquenet.textures import skyrmion_lattice

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FieldDemoConfig:
    """Exact fields of the ansatz of Eq. (13) on an L x L lattice with boundary-twist averaging."""

    L: int = 12
    num_twists: int = 2


def run_field_demo(out_dir: str | Path, config: FieldDemoConfig | None = None) -> dict:
    """Compute ED fields of the ideal skyrmion lattice; write spins, fields, PNG/PDF and a summary.

    Returns the summary dictionary (also written as ``summary.json``).
    """
    config = config or FieldDemoConfig()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    solver_config = SolverConfig(kind="ed", ed=EDParams(num_twists=config.num_twists))
    spins = skyrmion_lattice(config.L)
    start = time.perf_counter()
    result = compute_fields(spins, solver_config)
    seconds = time.perf_counter() - start
    fields = result.fields
    parallel = np.sum(fields * spins, axis=-1, keepdims=True)
    torque_field = fields - parallel * spins  # the part of H_i perpendicular to S_i
    np.save(out / "spins.npy", spins)
    np.save(out / "fields.npy", fields)
    fig, axes = pyplot().subplots(1, 2, figsize=(15, 6), layout="constrained")
    plot_texture(spins, ax=axes[0], title=f"skyrmion-lattice ansatz, L = {config.L}")
    plot_texture(
        spins,
        ax=axes[1],
        vectors=torque_field,
        vector_label="H_perp",
        title="in-plane part of the torque field $H_\\perp$ (arrows)",
    )
    save_figure(fig, out / "skyrmion_fields")
    summary = {
        "torquenet_version": __version__,
        "solver": to_mapping(solver_config),
        "L": config.L,
        "topological_charge": float(np.round(topological_charge(spins), 6)),
        "grand_potential_per_site": float(result.grand_potential) / config.L**2,
        "mean_field_magnitude": float(np.linalg.norm(fields, axis=-1).mean()),
        "mean_perpendicular_field_magnitude": float(np.linalg.norm(torque_field, axis=-1).mean()),
        "seconds": seconds,
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    logger.info("wrote %s", out)
    return summary
