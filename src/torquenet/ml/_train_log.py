"""Per-epoch logs of a training run: a CSV file always, TensorBoard when it is installed."""

from __future__ import annotations

import csv
import importlib.util
import logging
import os
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)


def write_csv_log(path: str | Path, history: list[dict[str, float]]) -> None:
    """(Re)write the whole history as CSV, one row per epoch, atomically.

    Rewriting from the checkpointed history (instead of appending) keeps the log exact across
    interruptions: an epoch that was cut off and redone appears once.
    """
    path = Path(path)
    columns: list[str] = []
    for row in history:
        columns.extend(k for k in row if k not in columns)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for row in history:
            writer.writerow({k: _format(v) for k, v in row.items()})
    os.replace(tmp, path)


def _format(value: float) -> str:
    return repr(value) if isinstance(value, float) else str(value)


class TensorBoardLog:
    """Scalars to TensorBoard if the optional ``tensorboard`` package is importable.

    torquenet does not depend on tensorboard; without it this logs one INFO line and does
    nothing (the CSV log carries the same numbers).
    """

    def __init__(self, log_dir: str | Path) -> None:
        self._writer: Any = None
        if importlib.util.find_spec("tensorboard") is None:
            logger.info("tensorboard is not installed; writing the CSV log only")
            return
        from torch.utils.tensorboard import SummaryWriter

        self._writer = SummaryWriter(log_dir=str(log_dir))

    @property
    def enabled(self) -> bool:
        return self._writer is not None

    def log(self, row: dict[str, float]) -> None:
        if self._writer is None:
            return
        step = int(row["epoch"])
        for key, value in row.items():
            if key != "epoch":
                self._writer.add_scalar(key, value, step)
        self._writer.flush()

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
