"""Effective receptive field of a model file (paper Fig. 10): ``torquenet erf``'s Python mirror.

The numerical kernel (gradients of one output torque with respect to every input spin, radii)
is :mod:`torquenet.analysis._receptive_field`; this module adds the probe texture, the figure
and the files.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from torquenet._validation import check_float, check_int
from torquenet.analysis._figures import save_figure
from torquenet.analysis._receptive_field import (
    effective_receptive_field,
    plot_receptive_field,
    receptive_field_radius,
)
from torquenet.config import save_config
from torquenet.ml import CNNSolver, theoretical_receptive_field
from torquenet.textures import random_spins, skyrmion_lattice

logger = logging.getLogger(__name__)

#: Probe textures: uniform random spins, or the ideal skyrmion-lattice ansatz of Eq. (13).
TEXTURES = ("random", "skl")


@dataclass(frozen=True)
class ReceptiveFieldConfig:
    """Settings of ``torquenet erf`` (paper Fig. 10, Luo et al. 2016).

    Parameters
    ----------
    L : int
        Lattice size of the probe texture; should exceed the theoretical receptive field, or
        the gradients wrap around the torus.
    texture : str
        "random" (uniform spins from ``seed``) or "skl" (ideal ansatz of Eq. 13; L % 12 == 0).
    seed : int
        Seed of the random texture.
    site : tuple of int, optional
        Output site (i, j); None: the centre (L // 2, L // 2).
    fraction : float
        Weight fraction whose radius is reported (0.99 in the paper's spirit).
    device : str
    """

    L: int = 48
    texture: str = "random"
    seed: int = 0
    site: tuple[int, int] | None = None
    fraction: float = 0.99
    device: str = "cpu"

    def __post_init__(self) -> None:
        check_int("L", self.L, minimum=1)
        if self.texture not in TEXTURES:
            raise ValueError(f"texture must be one of {TEXTURES}, got {self.texture!r}")
        check_int("seed", self.seed, minimum=0)
        if self.site is not None:
            site = tuple(self.site)
            if len(site) != 2 or not all(0 <= check_int("site", s) < self.L for s in site):
                raise ValueError(f"site must be two indices in [0, {self.L}), got {self.site!r}")
            object.__setattr__(self, "site", site)
        check_float("fraction", self.fraction, minimum=0.0, maximum=1.0, strict_minimum=True)


def receptive_field_report(
    model_path: str | Path, out_dir: str | Path, config: ReceptiveFieldConfig | None = None
) -> dict[str, Any]:
    """Effective receptive field of a model file: nine gradient maps, summed |grad|, radii.

    Parameters
    ----------
    model_path : path
    out_dir : path
    config : ReceptiveFieldConfig, optional

    Returns
    -------
    dict
        The content of ``receptive_field.json``: ``radius`` (the ``fraction`` radius, lattice
        constants), radii at 50 / 90 / 99 / 99.9 % and at 100 % (the support), the theoretical
        receptive field of the architecture and the probe settings.

    Notes
    -----
    ``erf[a, b, i, j] = dT_a(site) / dS_b(i, j)`` (units of t1 per unit spin) is written to
    ``erf.npy``; the figure ``receptive_field`` (PNG, PDF) shows the nine maps and
    sum_ab |erf[a, b]| on the triangular geometry with the radius drawn.  Distances are the
    minimum-image distances on the torus.

    Examples
    --------
    >>> report = receptive_field_report("run/model.pt", "erf",
    ...                                 ReceptiveFieldConfig(L=48))  # doctest: +SKIP
    >>> report["radius"]  # lattice constants  # doctest: +SKIP
    """
    config = config or ReceptiveFieldConfig()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    solver = CNNSolver.from_file(model_path, device=config.device)
    L = config.L
    spins = (
        random_spins(L, np.random.default_rng(config.seed))
        if config.texture == "random"
        else skyrmion_lattice(L)
    )
    site = config.site or (L // 2, L // 2)
    theoretical = theoretical_receptive_field(solver.model.config)
    if theoretical > L:
        logger.warning(
            "L = %d is smaller than the theoretical receptive field %d: gradients wrap around "
            "the torus; use a larger --L",
            L,
            theoretical,
        )
    erf = effective_receptive_field(solver.model, spins, site)
    if not np.any(erf):
        raise ValueError(
            f"the torque of model {str(model_path)!r} at site {site} does not depend on any input "
            f"spin (all gradients are zero), so it has no receptive field"
        )
    radii = {
        f"radius_{f:g}": receptive_field_radius(erf, site, f) for f in (0.5, 0.9, 0.99, 0.999, 1.0)
    }
    radius = receptive_field_radius(erf, site, config.fraction)
    np.save(out / "erf.npy", erf)
    fig = plot_receptive_field(erf, site, radius=radius)
    zoom = 1.5 * radius + 2.0  # the nine signed maps: show the region that holds the weight
    for ax in fig.axes:
        if ax.get_ylabel() == "gradient":  # the colour bar of the nine maps: give its units
            ax.set_ylabel(r"$\partial T_a / \partial S_b$ ($t_1$ per unit spin)")
        elif ax.get_title().startswith(r"$\partial T"):
            ax.set_xlim(-zoom, zoom)
            ax.set_ylim(-zoom, zoom)
    # plot_receptive_field labels its circle as the 99% radius; name the fraction used
    summed = next(ax for ax in fig.axes if ax.patches)
    summed.legend(
        [summed.patches[0]],
        [f"{100 * config.fraction:g}% radius = {radius:.2f} a"],
        loc="upper right",
    )
    fig.suptitle(
        f"effective receptive field of {Path(model_path).name}: output site {site}, L = {L}, "
        f"{config.texture} texture (theoretical field {theoretical} x {theoretical} sites)"
    )
    figures = save_figure(fig, out / "receptive_field")
    result = {
        "model": str(model_path),
        "L": L,
        "texture": config.texture,
        "seed": config.seed,
        "site": list(site),
        "fraction": config.fraction,
        "radius": radius,
        "radius_units": "lattice constants (minimum image on the torus)",
        "radii": radii,
        "theoretical_receptive_field_sites": theoretical,
        "theoretical_half_width_sites": (theoretical - 1) // 2,
        "erf_definition": "erf[a, b, i, j] = dT_a(site) / dS_b(i, j), t1 per unit spin",
    }
    save_config(config, out / "erf_config.yaml")
    result["files_written"] = sorted(
        [p.name for p in figures] + ["erf.npy", "erf_config.yaml", "receptive_field.json"]
    )
    (out / "receptive_field.json").write_text(json.dumps(result, indent=1) + "\n")
    logger.info("receptive field radius (%g): %.3f lattice constants", config.fraction, radius)
    return result
