"""A trained torque network behind the FieldSolver protocol, so LLG can run on it unchanged."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import torch
from numpy.typing import NDArray

from torquenet._device import resolve_device
from torquenet._typing import FieldResult
from torquenet._validation import check_int, check_spins
from torquenet.ml._architectures import TorqueModel, is_energy_model, is_torque_model
from torquenet.ml._energy import SiteEnergyOutputs
from torquenet.ml._model_file import ModelFileInfo, check_physics_matches, load_model_file
from torquenet.ml._tiling import (
    TilePlan,
    check_max_memory,
    halo_radius,
    plan_tiles,
    tiled_forward,
)
from torquenet.model import SDModelParams
from torquenet.observables import perpendicular_part

logger = logging.getLogger(__name__)


class CNNSolver:
    """Exchange fields from a trained CNN: the part of H perpendicular to each spin.

    Parameters
    ----------
    model : TorqueCNN or EquivariantTorqueCNN
        Trained network (moved to ``device`` and put in eval mode).
    params : SDModelParams
        The physics this solver stands for.  Its electronic parameters must be the ones the
        network was trained for when ``trained_params`` is given (H_ext is not one of them: the
        dynamics adds it, :class:`~torquenet.dynamics.LLGParams`).
    device : str
        "cpu", "cuda", "cuda:N" or "auto".
    batch_size : int
        Most textures (or tiles) per forward pass when a batch is given.
    trained_params : SDModelParams, optional
        Physics of the training data; checked against ``params``.
    max_memory : int, optional
        Budget in bytes for the network's activations in one forward pass (default
        :data:`~torquenet.ml.DEFAULT_MAX_MEMORY`, 256 MiB).  Lattices whose forward
        pass fits it are evaluated whole, as before; larger ones tile by tile (see Notes), so
        the memory beyond the state arrays (a few float32/float64 copies of the spins and
        fields, ~150 bytes per site) does not grow with L.  Must hold at least one tile of
        max(2 h, 8) sites plus its halo of h sites (h: the receptive radius), else ValueError.
    tile_size : int, optional
        Interior side of the tiles instead of the largest one ``max_memory`` allows (tiles are
        balanced, so the actual side is at most this; >= L means untiled).  Mainly for tests
        and benchmarks.
    dtype : str
        "float32" (the training dtype; default) or "float64" (a double-precision copy of the
        network: for derivative checks and energy differences below float32 resolution).

    Notes
    -----
    **What "fields" means for a torque model.**  The network is trained on
    :math:`\\mathbf{T}_i = \\mathbf{H}_i - (\\mathbf{H}_i \\cdot \\mathbf{S}_i)\\mathbf{S}_i`, the
    electron field perpendicular to the spin (paper Sec. III C calls it the torque).  The
    returned ``fields`` are that prediction with its small parallel residue projected out in
    float64, so ``fields . S = 0`` to rounding.  The parallel component of the true H (about two
    orders of magnitude larger) is not predicted and is *not* included.  That is all the LLG
    equation needs: it only uses :math:`\\mathbf{S}_i \\times \\mathbf{H}_i`, which is the same
    for H and its perpendicular part.  Anything that needs the parallel part must use ED or
    KPM.  The energy is there only for energy models (:class:`~torquenet.ml.EquivariantEnergyCNN`:
    ``provides_energy`` is True and ``grand_potential`` is the learned Omega of the lattice,
    the sum of its site energies; for torque models it is None).

    The network runs in float32 (its training dtype); inputs are cast at this boundary and the
    result is returned as float64, shape (L, L, 3) or (B, L, L, 3) like the input.  Any L works.

    **Tiled evaluation.**  The network is local: the torque at a site depends only on the spins
    within its halo radius h = (theoretical receptive field - 1) / 2 (12 sites for the shipped
    model), derived from the model's config.  When the whole lattice does not fit
    ``max_memory``, it is cut into T x T tiles, each padded with a halo of h sites taken
    periodically from the lattice, and only each tile's interior is kept
    (:func:`~torquenet.ml.tiled_forward`): the result equals the untiled forward pass
    to float32 rounding, at a cost of (1 + 2 h / T)^2 times the work per site (1.2 for the
    shipped model at the default budget, where T = 256 at L = 1024).

    Examples
    --------
    >>> from torquenet.ml import ModelConfig, TorqueCNN
    >>> solver = CNNSolver(TorqueCNN(ModelConfig(widths=(4,), kernel_size=3)), SDModelParams())
    >>> spins = np.zeros((6, 6, 3)); spins[..., 2] = 1.0
    >>> solver.compute(spins).fields.shape
    (6, 6, 3)
    """

    def __init__(
        self,
        model: TorqueModel,
        params: SDModelParams,
        *,
        device: str = "cpu",
        batch_size: int = 16,
        trained_params: SDModelParams | None = None,
        max_memory: int | None = None,
        tile_size: int | None = None,
        dtype: str = "float32",
    ) -> None:
        if not is_torque_model(model):
            raise TypeError(f"model must be a torquenet torque model, got {type(model).__name__}")
        if trained_params is not None:
            check_physics_matches(trained_params, params, "the CNN model")
        self.params = params
        self.device = resolve_device(device)
        self.batch_size = check_int("batch_size", batch_size, minimum=1)
        if dtype not in ("float32", "float64"):
            raise ValueError(f"dtype must be 'float32' or 'float64', got {dtype!r}")
        self.dtype = dtype
        self.model = model.to(self.device, getattr(torch, dtype)).eval()
        #: True for energy models: ``compute`` also returns Omega.
        self.provides_energy = is_energy_model(model)
        #: What the tiled evaluators run: the network, or (energy models) a wrapper returning
        #: the torques and the site energy as 4 channels.
        self.evaluated_network = (
            SiteEnergyOutputs(self.model) if self.provides_energy else self.model
        )
        #: Memory budget (bytes) of one forward pass; decides the tiling (:meth:`tile_plan`).
        self.max_memory = check_max_memory(model.config, max_memory)
        self.tile_size = None if tile_size is None else check_int("tile_size", tile_size, minimum=1)
        #: Halo radius h (sites) of the network: its receptive radius.
        self.halo = halo_radius(model.config)
        #: Metadata of the model file, when built by :meth:`from_file`.
        self.info: ModelFileInfo | None = None

    @classmethod
    def from_file(
        cls,
        path: str | Path,
        params: SDModelParams | None = None,
        *,
        device: str = "cpu",
        batch_size: int = 16,
        max_memory: int | None = None,
        tile_size: int | None = None,
        dtype: str = "float32",
    ) -> CNNSolver:
        """Load a model file (see :func:`load_model_file`) as a solver.

        ``params=None`` takes the physics stored in the file; otherwise the file must have been
        trained for ``params`` or ValueError is raised.  ``max_memory``, ``tile_size`` and
        ``dtype`` as in the constructor.
        """
        model, info = load_model_file(path, params=params, device=device)
        solver = cls(
            model,
            params or info.params,
            device=device,
            batch_size=batch_size,
            max_memory=max_memory,
            tile_size=tile_size,
            dtype=dtype,
        )
        solver.info = info
        logger.info("loaded CNN model %s on %s", path, solver.device)
        return solver

    def __repr__(self) -> str:
        return f"CNNSolver({self.model.config}, device={self.device})"

    def tile_plan(self, lattice_size: int) -> TilePlan:
        """How :meth:`compute` evaluates an L x L lattice (untiled or the tiles it uses)."""
        return plan_tiles(
            self.model.config,
            lattice_size,
            max_memory=self.max_memory,
            tile_size=self.tile_size,
            max_windows_per_pass=self.batch_size,
        )

    def compute(self, spins: NDArray[np.float64]) -> FieldResult:
        """Predicted perpendicular fields (float64), shaped like ``spins``; for energy models
        also Omega (float, or an array of the batch shape)."""
        spins = check_spins(spins)
        batch_shape = spins.shape[:-3]
        L = spins.shape[-2]
        flat = spins.reshape(-1, L, L, 3)
        # one pass each way: (B, L, L, 3) float64 <-> contiguous (B, 3, L, L) in self.dtype
        x = torch.from_numpy(np.ascontiguousarray(flat.transpose(0, 3, 1, 2), dtype=self.dtype))
        with torch.inference_mode():
            y = tiled_forward(self.evaluated_network, x.to(self.device), self.tile_plan(L)).cpu()
        out = np.array(y[:, :3].numpy().transpose(0, 2, 3, 1), dtype=np.float64, order="C")
        omega = None
        if self.provides_energy:
            omega = y[:, 3].double().sum(dim=(1, 2)).numpy().reshape(batch_shape)
            omega = float(omega) if not batch_shape else omega
        del x, y
        # Remove the parallel residue in float64 so fields . S = 0 to double rounding.
        out = perpendicular_part(out, flat)
        return FieldResult(fields=out.reshape(*batch_shape, L, L, 3), grand_potential=omega)
