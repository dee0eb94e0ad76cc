"""Warm starts of training: weights from a trained model file, widened when the new net is wider.

Its own module because it needs both the architectures and the model-file reader, which must not
import each other.
"""

from __future__ import annotations

import torch

from torquenet.ml._architectures import TorqueModel
from torquenet.ml._energy import EnergyModelConfig, EquivariantEnergyCNN
from torquenet.ml._equivariant import EquivariantModelConfig, EquivariantTorqueCNN
from torquenet.ml._model_file import check_physics_matches, read_model_file
from torquenet.model import SDModelParams


def _differences(requested, trained, names: tuple[str, ...]) -> str:
    """ "name trained X vs requested Y" for each of ``names`` where the two configs differ."""
    return ", ".join(
        f"{k} trained {getattr(trained, k)} vs requested {getattr(requested, k)}"
        for k in names
        if getattr(requested, k) != getattr(trained, k)
    )


def widen_equivariant(
    model: EquivariantTorqueCNN,
    trained: dict[str, torch.Tensor],
    trained_config: EquivariantModelConfig,
) -> None:
    """Start ``model`` from a trained narrower network: the same function, more channels.

    The trained weights fill the leading channels.  Every connection *from* a new channel *to*
    an old channel or to the output is set to zero, so the widened network computes exactly the
    trained network's torques (tested); the new channels keep their fresh random weights *in*
    and start learning from the first step, because the gradients of the zeroed outgoing weights
    do not vanish (Net2Net-style function-preserving growth, Chen et al., ICLR 2016).

    Raises
    ------
    ValueError
        If the depth, kernel radius or bond basis differ, or the trained network is wider
        than ``model``.
    """
    new = model.config
    differences = _differences(new, trained_config, ("num_blocks", "radius", "bond_basis_degree"))
    if differences:
        raise ValueError(
            "can only widen an equivariant model of the same depth, radius and bond basis: "
            + differences
        )
    cv, cs = trained_config.vector_channels, trained_config.scalar_channels
    if cv > new.vector_channels or cs > new.scalar_channels:
        raise ValueError(
            f"the trained model ({cv} vector / {cs} scalar channels) is wider than the requested "
            f"one ({new.vector_channels} / {new.scalar_channels}); widening only adds channels"
        )
    nv = new.vector_channels
    # Invariant inputs are [v . S (Cv channels), |v|^2 (Cv channels)]: where the old ones sit now.
    old_invariants = list(range(cv)) + list(range(nv, nv + cv))
    # The lift's invariants are followed by the bond-basis invariants (same count in both).
    old_lift_invariants = old_invariants + list(
        range(2 * nv, model.lift_invariants.weight.shape[1])
    )
    with torch.no_grad():
        params = dict(model.named_parameters())
        params["lift.weight"][:cv] = trained["lift.weight"]
        if new.bond_basis_degree:
            params["bond_vectors.weight"][:cv] = trained["bond_vectors.weight"]
        head = params["head.weight"]
        head.zero_()
        head[:, :cv] = trained["head.weight"]
        w = params["lift_invariants.weight"]
        w[:cs] = 0.0
        w[:cs, old_lift_invariants] = trained["lift_invariants.weight"]
        params["lift_invariants.bias"][:cs] = trained["lift_invariants.bias"]
        for k in range(new.num_blocks):
            b = f"blocks.{k}."
            for name, rows, cols in (
                ("vector_conv.weight", cv, cv),
                ("scalar_conv.weight", cs, cs),
                ("gate.weight", cv, cs),
            ):
                w = params[b + name]
                w[:rows, cols:] = 0.0
                w[:rows, :cols] = trained[b + name]
            params[b + "scalar_conv.bias"][:cs] = trained[b + "scalar_conv.bias"]
            params[b + "gate.bias"][:cv] = trained[b + "gate.bias"]
            mix = params[b + "invariant_mix.weight"]
            mix[:cs] = 0.0
            mix[:cs, old_invariants] = trained[b + "invariant_mix.weight"]
        model.torque_scale.copy_(trained["torque_scale"])


#: Backbone hyper-parameters an energy model must share with the torque model it starts from.
BACKBONE_FIELDS = (
    "vector_channels",
    "scalar_channels",
    "num_blocks",
    "radius",
    "bond_basis_degree",
)


def backbone_from_torque_model(
    model: EquivariantEnergyCNN,
    trained: dict[str, torch.Tensor],
    trained_config: EquivariantModelConfig,
) -> None:
    """Start an energy model from a trained torque network: its backbone, a fresh energy head.

    Direct pre-training, conservative fine-tuning: the lift and the blocks (the features)
    are copied; the torque head is dropped and the energy head keeps its fresh weights.
    The nonlinearity may differ (ReLU features seed a SiLU network well: the two agree away
    from zero).
    """
    differences = _differences(model.config, trained_config, BACKBONE_FIELDS)
    if differences:
        raise ValueError(
            "an energy model starts from a torque model with the same backbone: " + differences
        )
    backbone = {k: v for k, v in trained.items() if not k.startswith("head.")}  # + torque_scale
    missing, unexpected = model.load_state_dict(backbone, strict=False)
    fresh = {"energy_hidden.weight", "energy_hidden.bias", "energy_out.weight"}
    fresh |= {"energy_out.bias", "energy_offset"}
    if unexpected or set(missing) - fresh:
        raise ValueError(f"backbone mismatch: missing {missing}, unexpected {unexpected}")


def initialize_from_file(model: TorqueModel, path: str, params: SDModelParams) -> None:
    """Load the weights of a trained model file into ``model`` (warm start of training).

    The file's architecture must equal ``model.config``, or both must be equivariant networks
    of the same depth with the file's no wider (then it is widened function-preservingly), or
    ``model`` an energy model and the file an equivariant torque model with the same backbone
    (:func:`backbone_from_torque_model`).  ``params`` (SDModelParams of the training data)
    must match the file's physics.
    """
    info, state = read_model_file(path)
    check_physics_matches(info.params, params, f"initial model {path!r}")
    device = model.torque_scale.device
    state = {key: value.to(device) for key, value in state.items()}
    if info.model_config == model.config:
        model.load_state_dict(state, strict=True)
    elif isinstance(model, EquivariantTorqueCNN) and isinstance(
        info.model_config, EquivariantModelConfig
    ):
        widen_equivariant(model, state, info.model_config)
    elif isinstance(model.config, EnergyModelConfig) and isinstance(
        info.model_config, EquivariantModelConfig
    ):
        backbone_from_torque_model(model, state, info.model_config)
    else:
        raise ValueError(
            f"initial model {path!r} has architecture {info.model_config}, which cannot start "
            f"a {model.config} (same architecture, a narrower equivariant network, or for an "
            f"energy model an equivariant torque model with its backbone, needed)"
        )
