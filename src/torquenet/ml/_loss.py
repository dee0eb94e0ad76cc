"""The relative L1 loss of paper Eq. (11)."""

from __future__ import annotations

import torch

#: Floor on the true torque magnitude in the denominator of Eq. (11), units of t1.  Torques from
#: LLG snapshots are ~1e-2 (docs/facts.md: mean |T| 0.014-0.028, 5-13% of |H| ~ 0.2); a collinear
#: texture (a ferromagnet) has T = 0 and would otherwise give inf.  1e-12 only matters there.
MIN_TORQUE_MAGNITUDE = 1e-12


def relative_l1_per_site(
    predicted: torch.Tensor, target: torch.Tensor, dim: int = 1
) -> torch.Tensor:
    """Per-site terms of Eq. (11): (batch, L, L) for channels-first input.

    ``(|T^x - T^x_true| + |T^y - T^y_true| + |T^z - T^z_true|) / |T_true|`` with the components
    on ``dim`` (1: networks' (batch, 3, L1, L2); -1: channels-last arrays of any leading shape);
    the denominator is floored at :data:`MIN_TORQUE_MAGNITUDE`.
    """
    if dim == 1:
        if predicted.shape != target.shape or predicted.ndim != 4 or predicted.shape[1] != 3:
            raise ValueError(
                "predicted and target torques must both have shape (batch, 3, L1, L2), got "
                f"{tuple(predicted.shape)} and {tuple(target.shape)}"
            )
    elif predicted.shape != target.shape or predicted.ndim == 0 or predicted.shape[dim] != 3:
        raise ValueError(
            f"predicted and target torques must have equal shapes with 3 components on dim "
            f"{dim}, got {tuple(predicted.shape)} and {tuple(target.shape)}"
        )
    l1 = (predicted - target).abs().sum(dim=dim)
    magnitude = target.norm(dim=dim).clamp_min(MIN_TORQUE_MAGNITUDE)
    return l1 / magnitude


def relative_l1_loss(predicted: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean percentage absolute loss, paper Eq. (11).

    Parameters
    ----------
    predicted, target : torch.Tensor, shape (batch, 3, L1, L2)
        Predicted and true torques (any common unit: the loss is scale invariant).

    Returns
    -------
    torch.Tensor, scalar
        The loss averaged over all N sites of the batch.

    Notes
    -----
    .. math::
        L = \\frac{1}{N} \\sum_{i=1}^N
            \\frac{\\sum_{a=x,y,z} |T_i^a - \\hat T_i^a|}{|\\hat{\\mathbf{T}}_i|}

    with :math:`\\hat{\\mathbf{T}}` the ground truth.  Chosen in the paper because torques span an
    order of magnitude, so an absolute loss would ignore the small ones.

    References
    ----------
    Cheng et al., Phys. Rev. Research 5, 033188 (2023), Eq. (11).

    Examples
    --------
    >>> t = torch.ones(1, 3, 2, 2)
    >>> round(float(relative_l1_loss(2 * t, t)), 6)  # (1 + 1 + 1) / sqrt(3)
    1.732051
    """
    return relative_l1_per_site(predicted, target).mean()


def energy_per_site_loss(
    predicted: torch.Tensor, target: torch.Tensor, scale: torch.Tensor | float
) -> torch.Tensor:
    """Mean |Omega_pred / N - Omega / N| / scale over the batch: the energy term of energy models.

    ``predicted`` and ``target`` are Omega per site (batch,), t1; ``scale`` the model's
    ``torque_scale`` (its energy unit), so the term is O(1) for an O(torque) energy error and
    its weight in the total loss is a plain number.
    """
    if predicted.shape != target.shape or predicted.ndim != 1:
        raise ValueError(
            f"predicted and target Omega per site must both have shape (batch,), got "
            f"{tuple(predicted.shape)} and {tuple(target.shape)}"
        )
    return ((predicted - target.to(predicted.dtype)).abs() / scale).mean()
