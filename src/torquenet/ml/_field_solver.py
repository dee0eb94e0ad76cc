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
from torquenet.ml._architectures import TorqueModel, is_torque_model
from torquenet.ml._model_file import ModelFileInfo, check_physics_matches, load_model_file
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
        Textures per forward pass when a batch is given (bounds memory on large L).
    trained_params : SDModelParams, optional
        Physics of the training data; checked against ``params``.

    Notes
    -----
    **What "fields" means for a torque model.**  The network is trained on
    :math:`\\mathbf{T}_i = \\mathbf{H}_i - (\\mathbf{H}_i \\cdot \\mathbf{S}_i)\\mathbf{S}_i`, the
    electron field perpendicular to the spin (paper Sec. III C calls it the torque).  The
    returned ``fields`` are that prediction with its small parallel residue projected out in
    float64, so ``fields . S = 0`` to rounding.  The parallel component of the true H (about two
    orders of magnitude larger) is not predicted and is *not* included.  That is all the LLG
    equation needs: it only uses :math:`\\mathbf{S}_i \\times \\mathbf{H}_i`, which is the same
    for H and its perpendicular part.  Anything that needs the parallel part or the energy
    (``provides_energy`` is False, ``grand_potential`` is None) must use ED or KPM.

    The network runs in float32 (its training dtype); inputs are cast at this boundary and the
    result is returned as float64, shape (L, L, 3) or (B, L, L, 3) like the input.  Any L works.

    Examples
    --------
    >>> from torquenet.ml import ModelConfig, TorqueCNN
    >>> solver = CNNSolver(TorqueCNN(ModelConfig(widths=(4,), kernel_size=3)), SDModelParams())
    >>> spins = np.zeros((6, 6, 3)); spins[..., 2] = 1.0
    >>> solver.compute(spins).fields.shape
    (6, 6, 3)
    """

    provides_energy = False

    def __init__(
        self,
        model: TorqueModel,
        params: SDModelParams,
        *,
        device: str = "cpu",
        batch_size: int = 16,
        trained_params: SDModelParams | None = None,
    ) -> None:
        if not is_torque_model(model):
            raise TypeError(f"model must be a torquenet torque model, got {type(model).__name__}")
        if trained_params is not None:
            check_physics_matches(trained_params, params, "the CNN model")
        self.params = params
        self.device = resolve_device(device)
        self.batch_size = check_int("batch_size", batch_size, minimum=1)
        self.model = model.to(self.device).eval()
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
    ) -> CNNSolver:
        """Load a model file (see :func:`load_model_file`) as a solver.

        ``params=None`` takes the physics stored in the file; otherwise the file must have been
        trained for ``params`` or ValueError is raised.
        """
        model, info = load_model_file(path, params=params, device=device)
        solver = cls(model, params or info.params, device=device, batch_size=batch_size)
        solver.info = info
        logger.info("loaded CNN model %s on %s", path, solver.device)
        return solver

    def __repr__(self) -> str:
        return f"CNNSolver({self.model.config}, device={self.device})"

    def compute(self, spins: NDArray[np.float64]) -> FieldResult:
        """Predicted perpendicular fields (float64), shaped like ``spins``."""
        spins = check_spins(spins)
        batch_shape = spins.shape[:-3]
        L = spins.shape[-2]
        flat = spins.reshape(-1, L, L, 3)
        out = np.empty_like(flat)
        with torch.inference_mode():
            for start in range(0, len(flat), self.batch_size):
                chunk = torch.from_numpy(flat[start : start + self.batch_size])
                x = chunk.permute(0, 3, 1, 2).to(device=self.device, dtype=torch.float32)
                y = self.model(x).permute(0, 2, 3, 1).to(device="cpu", dtype=torch.float64)
                out[start : start + len(chunk)] = y.numpy()
        # Remove the parallel residue in float64 so fields . S = 0 to double rounding.
        out = perpendicular_part(out, flat)
        return FieldResult(fields=out.reshape(*batch_shape, L, L, 3), grand_potential=None)
