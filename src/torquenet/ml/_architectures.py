"""The torque-model architectures behind one interface, selected by ``architecture`` in configs.

* ``"resnet"`` (:class:`~torquenet.ml.TorqueCNN`, :class:`~torquenet.ml.ModelConfig`): the paper's
  purely convolutional ResNet; symmetry learned from augmentation.
* ``"equivariant"`` (:class:`EquivariantTorqueCNN`, :class:`EquivariantModelConfig`): exactly
  SO(3) x D6 x translation equivariant by construction.
* ``"energy"`` (:class:`EquivariantEnergyCNN`, :class:`EnergyModelConfig`): an exactly invariant
  learned grand potential; torques are the perpendicular part of its autograd fields.

Both map spins (batch, 3, L, L) to torques (batch, 3, L, L) in physical units, carry a
``torque_scale`` buffer and a ``config`` attribute, and accept a seeded ``generator``.
"""

from __future__ import annotations

from typing import Any, Union

import torch

from torquenet.config import from_mapping
from torquenet.ml._energy import EnergyModelConfig, EquivariantEnergyCNN
from torquenet.ml._equivariant import EquivariantModelConfig, EquivariantTorqueCNN
from torquenet.ml._model import ModelConfig, TorqueCNN, receptive_field

#: Config of either architecture.
AnyModelConfig = Union[ModelConfig, EquivariantModelConfig, EnergyModelConfig]  # noqa: UP007
#: A network of any architecture.
TorqueModel = Union[TorqueCNN, EquivariantTorqueCNN, EquivariantEnergyCNN]  # noqa: UP007
MODEL_CLASSES: dict[type, type] = {
    ModelConfig: TorqueCNN,
    EquivariantModelConfig: EquivariantTorqueCNN,
    EnergyModelConfig: EquivariantEnergyCNN,
}
#: Value of ``architecture`` in a model config -> the config class of that architecture.
ARCHITECTURES = {
    "resnet": ModelConfig,
    "equivariant": EquivariantModelConfig,
    "energy": EnergyModelConfig,
}


def build_model(
    config: AnyModelConfig, torque_scale: float = 1.0, generator: torch.Generator | None = None
) -> TorqueModel:
    """Instantiate the network described by ``config`` (weights drawn from ``generator``)."""
    try:
        cls = MODEL_CLASSES[type(config)]
    except KeyError:
        raise TypeError(
            f"model config must be one of {[c.__name__ for c in MODEL_CLASSES]}, "
            f"got {type(config).__name__}"
        ) from None
    return cls(config, torque_scale=torque_scale, generator=generator)


def model_config_from_mapping(mapping: Any, where: str = "model") -> AnyModelConfig:
    """Model config from its plain form, dispatching on ``architecture`` (default "resnet")."""
    if isinstance(mapping, tuple(MODEL_CLASSES)):
        return mapping
    if not isinstance(mapping, dict):
        raise TypeError(f"{where} must be a mapping, got {mapping!r}")
    name = mapping.get("architecture", "resnet")
    if name not in ARCHITECTURES:
        raise ValueError(
            f"{where}.architecture must be one of {sorted(ARCHITECTURES)}, got {name!r}"
        )
    return from_mapping(ARCHITECTURES[name], mapping, where)


def is_torque_model(model: object) -> bool:
    return isinstance(model, tuple(MODEL_CLASSES.values()))


def is_energy_model(model: object) -> bool:
    """True for networks that also give Omega (fields are -dOmega/dS)."""
    return isinstance(model, EquivariantEnergyCNN)


def theoretical_receptive_field(config: AnyModelConfig) -> int:
    """Side length (sites, along a lattice direction) of the network's theoretical receptive field.

    ResNet: 1 + (k - 1)(2 n_blocks + 2).  Equivariant: 1 + 2 R (n_blocks + 2) (lift, blocks and
    head each grow the hexagonal support by R).  Energy: 1 + 4 R (n_blocks + 1) (the field at
    a site is the derivative of every site energy that sees it).
    """
    if isinstance(config, (EquivariantModelConfig, EnergyModelConfig)):
        return 1 + 2 * config.receptive_field_radius
    return receptive_field(config)
