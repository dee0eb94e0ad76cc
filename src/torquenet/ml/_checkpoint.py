"""Training checkpoints: everything needed to resume a run so that it ends exactly as if it had
never stopped.

Randomness in training is keyed on (seed, epoch) for the data order and (seed, epoch, sample)
for augmentation, and the initial weights on the seed, so model, optimiser and scheduler state
plus the bookkeeping below are the whole state.  A run resumes at the start of the epoch after
the last completed one; the work of an interrupted epoch is redone identically.

Like model files, checkpoints hold only plain types and tensors and are read with
``torch.load(weights_only=True)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from torquenet._version import __version__
from torquenet.ml._model_file import atomic_torch_save, safe_torch_load

CHECKPOINT_FORMAT = "torquenet-training-checkpoint"
CHECKPOINT_VERSION = 1

#: TrainConfig fields that may differ between the interrupted run and its resumption: they change
#: how long or where the run goes on, not what any completed epoch computed.
RESUMABLE_CHANGES = frozenset(
    {"epochs", "device", "num_workers", "early_stopping_patience", "time_budget_seconds"}
)

#: Training options added after checkpoints of format 1 were first written, with the value that
#: reproduces the behaviour from before they existed: a checkpoint without the key resumes
#: under that value.
LATER_OPTIONS = {"energy_loss_weight": 1.0, "time_budget_seconds": 0.0, "max_grad_norm": 0.0}


@dataclass
class TrainingState:
    """Mutable bookkeeping of a run, saved with every checkpoint.

    Attributes
    ----------
    epochs_completed : int
    best_val_loss : float
    best_epoch : int
        1-based epoch of ``best_val_loss`` (0 before the first epoch).
    epochs_without_improvement : int
    stopped_early : bool
    history : list of dict
        One row of metrics per completed epoch (what the CSV log holds).
    """

    epochs_completed: int = 0
    best_val_loss: float = float("inf")
    best_epoch: int = 0
    epochs_without_improvement: int = 0
    stopped_early: bool = False
    history: list[dict[str, float]] = field(default_factory=list)


def save_checkpoint(
    path: str | Path,
    *,
    state: TrainingState,
    model_state: dict,
    optimizer_state: dict,
    scheduler_state: dict,
    run_identity: dict[str, Any],
) -> Path:
    """Write a checkpoint atomically.

    ``run_identity`` holds what must match on resume: the plain train config, the dataset
    checksum and the s-d parameters.
    """
    payload = {
        "format": CHECKPOINT_FORMAT,
        "format_version": CHECKPOINT_VERSION,
        "package_version": __version__,
        "state": {
            "epochs_completed": state.epochs_completed,
            "best_val_loss": state.best_val_loss,
            "best_epoch": state.best_epoch,
            "epochs_without_improvement": state.epochs_without_improvement,
            "stopped_early": state.stopped_early,
            "history": state.history,
        },
        "model_state": {k: v.detach().to("cpu").clone() for k, v in model_state.items()},
        "optimizer_state": optimizer_state,
        "scheduler_state": scheduler_state,
        "run_identity": run_identity,
    }
    return atomic_torch_save(payload, path)


def load_checkpoint(
    path: str | Path, run_identity: dict[str, Any]
) -> tuple[TrainingState, dict, dict, dict]:
    """Read a checkpoint and check that it belongs to the run described by ``run_identity``.

    Returns
    -------
    state, model_state, optimizer_state, scheduler_state

    Raises
    ------
    ValueError
        Unreadable or foreign file, or a run that differs in anything but
        :data:`RESUMABLE_CHANGES`, naming the differences.
    """
    payload = safe_torch_load(path, "training checkpoint")
    where = f"checkpoint {str(path)!r}"
    if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"{where} is not a torquenet training checkpoint")
    if payload.get("format_version") != CHECKPOINT_VERSION:
        raise ValueError(
            f"{where} has format_version {payload.get('format_version')!r}; expected "
            f"{CHECKPOINT_VERSION}"
        )
    diffs = _identity_differences(payload["run_identity"], run_identity)
    if diffs:
        raise ValueError(
            f"cannot resume from {where}: the run differs in " + "; ".join(diffs) + ". Use a new "
            "output directory for a different run."
        )
    s = payload["state"]
    state = TrainingState(
        epochs_completed=int(s["epochs_completed"]),
        best_val_loss=float(s["best_val_loss"]),
        best_epoch=int(s["best_epoch"]),
        epochs_without_improvement=int(s["epochs_without_improvement"]),
        stopped_early=bool(s["stopped_early"]),
        history=[dict(row) for row in s["history"]],
    )
    return state, payload["model_state"], payload["optimizer_state"], payload["scheduler_state"]


def _identity_differences(saved: dict, current: dict) -> list[str]:
    diffs = []
    for key in sorted(set(saved) | set(current)):
        old, new = saved.get(key), current.get(key)
        if key == "train_config" and isinstance(old, dict) and isinstance(new, dict):
            for name in sorted(set(old) | set(new)):
                if name not in old and name in LATER_OPTIONS and new[name] == LATER_OPTIONS[name]:
                    continue
                if name not in RESUMABLE_CHANGES and old.get(name) != new.get(name):
                    was, now = old.get(name), new.get(name)
                    diffs.append(f"train_config.{name} (was {was!r}, now {now!r})")
        elif old != new:
            diffs.append(f"{key} (was {old!r}, now {new!r})")
    return diffs
