"""Two-process gloo data parallelism equals single-process training on the same global batch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from tests.ml.conftest import TINY_MODEL
from torquenet import SDModelParams
from torquenet.ml import TensorPairDataset, TorqueCNN, TrainConfig, train

#: Both runs make the same 6 Adam steps (lr 1e-3) on the same augmented samples; they differ only
#: in the float32 summation order of the gradient (per-rank halves averaged by all-reduce vs one
#: batch).  Weights move by ~6e-3 in total, so a wrong batch split, missing gradient averaging or
#: different augmentation shows up at >= 1e-4, while rounding stays near 1e-7.
ATOL_DDP_WEIGHTS = 1e-5

pytestmark = pytest.mark.usefixtures("single_thread")

CONFIG = TrainConfig(model=TINY_MODEL, batch_size=4, epochs=3, device="cpu", seed=3)


def _worker(rank: int, init_file: str, run_dir: str, arrays: tuple) -> None:
    torch.set_num_threads(1)  # two processes on two cores
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=2)
    try:
        spins, torques, starts = arrays
        train_set = TensorPairDataset.from_site_arrays(spins[:8], torques[:8], starts[:8])
        val_set = TensorPairDataset.from_site_arrays(spins[8:], torques[8:], starts[8:])
        train(CONFIG, train_set, val_set, run_dir, params=SDModelParams())
    finally:
        dist.destroy_process_group()


def test_two_process_gloo_matches_single_process(ed_pairs, tiny_datasets, tmp_path):
    train_set, val_set = tiny_datasets
    single = train(CONFIG, train_set, val_set, tmp_path / "single", params=SDModelParams())
    mp.spawn(
        _worker,
        args=(str(tmp_path / "rendezvous"), str(tmp_path / "ddp"), ed_pairs),
        nprocs=2,
        join=True,
    )
    one = torch.load(tmp_path / "single" / "checkpoint.pt", weights_only=True)
    two = torch.load(tmp_path / "ddp" / "checkpoint.pt", weights_only=True)
    assert one["state"]["epochs_completed"] == two["state"]["epochs_completed"] == 3
    max_diff = max(
        float((one["model_state"][k] - two["model_state"][k]).abs().max())
        for k in one["model_state"]
    )
    print(f"max weight difference {max_diff:.2e}")
    assert max_diff < ATOL_DDP_WEIGHTS
    # the comparison is not vacuous: training moved the weights far more than the tolerance
    start = TorqueCNN(TINY_MODEL, generator=torch.Generator().manual_seed(CONFIG.seed))
    moved = max(
        float((one["model_state"][k] - v).abs().max())
        for k, v in start.state_dict().items()
        if k != "torque_scale"
    )
    print(f"weights moved by {moved:.2e}")
    assert moved > 100 * ATOL_DDP_WEIGHTS
    # validation losses agree (the val set is sharded without padding, reduced over ranks)
    for a, b in zip(single.history, two["state"]["history"]):
        assert np.isclose(a["val_loss"], b["val_loss"], rtol=1e-5, atol=0)
        assert np.isclose(a["val_loss_start1"], b["val_loss_start1"], rtol=1e-5, atol=0)
    assert Path(tmp_path / "ddp" / "best_model.pt").is_file()
