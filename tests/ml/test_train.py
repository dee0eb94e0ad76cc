"""Training loop: overfitting, exact repeatability, resume after interruption, logs, errors."""

from __future__ import annotations

import csv
import dataclasses

import pytest
import torch

from tests.ml.conftest import TINY_MODEL
from torquenet import SDModelParams
from torquenet.data import RunInUseError, exclusive_run, lock_path
from torquenet.ml import ModelConfig, TrainConfig, load_model_file, train
from torquenet.ml._checkpoint import TrainingState, load_checkpoint, save_checkpoint

PARAMS = SDModelParams()

pytestmark = pytest.mark.usefixtures("single_thread")

#: A few milliseconds per epoch: 8 samples of 6 x 6, batch 4, two steps per epoch.
QUICK = TrainConfig(model=TINY_MODEL, batch_size=4, epochs=3, device="cpu", seed=5)

#: Columns of the history that measure wall time and so differ between identical runs.
TIMING_COLUMNS = {"epoch_seconds", "train_samples_per_second"}


def physics_columns(history):
    return [{k: v for k, v in row.items() if k not in TIMING_COLUMNS} for row in history]


def final_weights(run_dir):
    payload = torch.load(run_dir / "checkpoint.pt", weights_only=True)
    return payload["model_state"], payload["optimizer_state"]


def assert_states_equal(a: dict, b: dict) -> None:
    assert set(a) == set(b)
    for key in a:
        if isinstance(a[key], dict):
            assert_states_equal(a[key], b[key])
        elif isinstance(a[key], torch.Tensor):
            assert torch.equal(a[key], b[key]), key
        else:
            assert a[key] == b[key], key


def test_a_tiny_model_overfits_a_tiny_dataset(ed_pairs, tmp_path):
    from torquenet.ml import TensorPairDataset

    spins, torques, _ = ed_pairs
    data = TensorPairDataset.from_site_arrays(spins[:4], torques[:4])
    config = TrainConfig(
        model=ModelConfig(widths=(32,), kernel_size=3),
        batch_size=4,
        epochs=300,
        learning_rate=3e-3,
        augment=False,
        plateau_patience=50,
        early_stopping_patience=300,
        device="cpu",
    )
    result = train(config, data, data, tmp_path, params=PARAMS)
    first = result.history[0]["val_loss"]
    # Eq. (11) starts near 1.5 (random output of the right scale); memorising 4 textures takes it
    # below 0.1 in 300 Adam steps.  0.2 leaves room for platform rounding, and a network that
    # cannot learn (a broken skip, padding or output scale) stays above 1.
    assert first > 1.0
    assert result.best_val_loss < 0.2


def test_seeded_runs_repeat_exactly_and_seeds_matter(tiny_datasets, tmp_path):
    train_set, val_set = tiny_datasets
    a = train(QUICK, train_set, val_set, tmp_path / "a", params=PARAMS)
    # worker processes and progress bars must not change anything: augmentation is keyed on
    # (seed, epoch, sample), not on the process that loads the sample
    b = train(
        dataclasses.replace(QUICK, num_workers=2),
        train_set,
        val_set,
        tmp_path / "b",
        params=PARAMS,
        show_progress=True,
    )
    c = train(dataclasses.replace(QUICK, seed=6), train_set, val_set, tmp_path / "c", params=PARAMS)
    assert physics_columns(a.history) == physics_columns(b.history)
    assert_states_equal(final_weights(tmp_path / "a")[0], final_weights(tmp_path / "b")[0])
    assert physics_columns(a.history) != physics_columns(c.history)


class InterruptingDataset(torch.utils.data.Dataset):
    """Delegates to ``base`` but raises on the ``fail_at``-th item access (a simulated crash)."""

    def __init__(self, base, fail_at: int) -> None:
        self.base, self.fail_at, self.calls = base, fail_at, 0

    def __len__(self):
        return len(self.base)

    def __getitem__(self, index):
        self.calls += 1
        if self.calls == self.fail_at:
            raise KeyboardInterrupt("simulated interruption")
        return self.base[index]


def test_resume_after_interruption_reproduces_the_uninterrupted_run(tiny_datasets, tmp_path):
    train_set, val_set = tiny_datasets
    config = dataclasses.replace(QUICK, epochs=4)
    straight = train(config, train_set, val_set, tmp_path / "straight", params=PARAMS)
    # accesses: 8 for the dataset summary, 8 per epoch; crash half-way through epoch 3
    crashing = InterruptingDataset(train_set, fail_at=8 + 8 + 8 + 5)
    with pytest.raises(KeyboardInterrupt):
        train(config, crashing, val_set, tmp_path / "resumed", params=PARAMS)
    state, *_ = load_checkpoint(
        tmp_path / "resumed" / "checkpoint.pt",
        torch.load(tmp_path / "resumed" / "checkpoint.pt", weights_only=True)["run_identity"],
    )
    assert state.epochs_completed == 2
    resumed = train(config, train_set, val_set, tmp_path / "resumed", params=PARAMS)
    assert physics_columns(resumed.history) == physics_columns(straight.history)
    model_a, optim_a = final_weights(tmp_path / "straight")
    model_b, optim_b = final_weights(tmp_path / "resumed")
    assert_states_equal(model_a, model_b)
    assert_states_equal(optim_a, optim_b)
    with (tmp_path / "resumed" / "log.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3, 4]


def test_resume_refuses_a_different_run(tiny_datasets, tmp_path):
    train_set, val_set = tiny_datasets
    train(dataclasses.replace(QUICK, epochs=1), train_set, val_set, tmp_path, params=PARAMS)
    with pytest.raises(ValueError, match=r"train_config.learning_rate \(was 0.001, now 0.002\)"):
        train(
            dataclasses.replace(QUICK, learning_rate=2e-3),
            train_set,
            val_set,
            tmp_path,
            params=PARAMS,
        )
    with pytest.raises(ValueError, match="sd_model_params"):
        train(QUICK, train_set, val_set, tmp_path, params=SDModelParams(sd_coupling=2.0))
    with pytest.raises(FileExistsError, match="already holds a training run"):
        train(QUICK, train_set, val_set, tmp_path, params=PARAMS, resume=False)


def test_a_second_training_of_the_same_directory_is_refused(tiny_datasets, tmp_path):
    train_set, val_set = tiny_datasets
    run = tmp_path / "run"
    with exclusive_run(run):  # another writer (flock conflicts per open file)
        with pytest.raises(RunInUseError, match=r"run is being written by another process"):
            train(QUICK, train_set, val_set, run, params=PARAMS)
    assert not (run / "checkpoint.pt").exists()
    train(dataclasses.replace(QUICK, epochs=1), train_set, val_set, run, params=PARAMS)
    assert (run / "checkpoint.pt").is_file() and not lock_path(run).exists()


def test_checkpoint_round_trip_is_exact(tmp_path):
    model = torch.nn.Linear(3, 2)
    optimizer = torch.optim.Adam(model.parameters())
    model(torch.ones(1, 3)).sum().backward()
    optimizer.step()
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, min_lr=1e-6)
    scheduler.step(0.5)
    state = TrainingState(
        epochs_completed=3,
        best_val_loss=0.25,
        best_epoch=2,
        epochs_without_improvement=1,
        history=[{"epoch": 1, "val_loss": 0.3}],
    )
    identity = {"train_config": {"seed": 1}, "dataset_checksum": "c"}
    path = save_checkpoint(
        tmp_path / "c.pt",
        state=state,
        model_state=model.state_dict(),
        optimizer_state=optimizer.state_dict(),
        scheduler_state=scheduler.state_dict(),
        run_identity=identity,
    )
    loaded_state, model_state, optimizer_state, scheduler_state = load_checkpoint(path, identity)
    assert loaded_state == state
    assert_states_equal(model_state, model.state_dict())
    assert_states_equal(optimizer_state, optimizer.state_dict())
    assert scheduler_state == scheduler.state_dict()


def test_logs_best_model_and_early_stopping(tiny_datasets, tmp_path):
    train_set, val_set = tiny_datasets
    # lr 1e-12 cannot move float32 weights, so the validation loss never improves after epoch 1
    config = dataclasses.replace(
        QUICK, epochs=10, learning_rate=1e-12, min_learning_rate=1e-12, early_stopping_patience=2
    )
    result = train(config, train_set, val_set, tmp_path, params=PARAMS)
    assert result.stopped_early and result.epochs_completed == 3 and result.best_epoch == 1
    with (tmp_path / "log.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 3
    assert {"train_loss", "val_loss", "val_loss_start0", "val_loss_start1", "learning_rate"} <= set(
        rows[0]
    )
    model, info = load_model_file(result.model_path, params=PARAMS)
    assert info.training_metrics["best_epoch"] == 1
    assert info.training_metrics["best_val_loss"] == pytest.approx(result.best_val_loss)
    assert (tmp_path / "train_config.yaml").is_file()
    # the stored output scale is the training set's mean torque magnitude
    expected = float(train_set.torques.norm(dim=1).mean())
    assert float(model.torque_scale) == pytest.approx(expected, rel=1e-6)


def test_bad_config_raises():
    with pytest.raises(ValueError, match="min_learning_rate must be <= 0.001"):
        TrainConfig(min_learning_rate=0.01)
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        TrainConfig(batch_size=0)


def test_train_config_reads_from_yaml(tmp_path):
    from torquenet.config import load_config, save_config

    path = tmp_path / "train.yaml"
    path.write_text("batch_size: 4\nmodel:\n  widths: [16, 16]\n  kernel_size: 3\n")
    config = load_config(path, TrainConfig)
    assert config.model == ModelConfig(widths=(16, 16), kernel_size=3)
    assert config.batch_size == 4 and config.learning_rate == 1e-3
    save_config(config, tmp_path / "again.yaml")
    assert load_config(tmp_path / "again.yaml", TrainConfig) == config
    path.write_text("model:\n  width: [16]\n")
    with pytest.raises(ValueError, match=r"unknown key\(s\) \['width'\]"):
        load_config(path, TrainConfig)


def test_time_budget_stops_training_and_can_be_raised_on_resume(tiny_datasets, tmp_path):
    train_set, val_set = tiny_datasets
    tiny_budget = dataclasses.replace(QUICK, epochs=50, time_budget_seconds=1e-9)
    result = train(tiny_budget, train_set, val_set, tmp_path, params=PARAMS)
    assert result.epochs_completed == 1  # the first epoch already spends the budget
    spent = sum(row["epoch_seconds"] for row in result.history)
    more = dataclasses.replace(tiny_budget, time_budget_seconds=spent + 1e-9, epochs=3)
    assert train(more, train_set, val_set, tmp_path, params=PARAMS).epochs_completed >= 2
    with pytest.raises(ValueError, match="time_budget_seconds"):
        TrainConfig(time_budget_seconds=-1.0)


def test_max_grad_norm_bounds_every_step_and_zero_leaves_gradients_alone(
    tiny_datasets, tmp_path, monkeypatch
):
    train_set, val_set = tiny_datasets
    norms: list[float] = []
    step = torch.optim.Adam.step

    def recording_step(self, *args, **kwargs):
        grads = [
            p.grad for group in self.param_groups for p in group["params"] if p.grad is not None
        ]
        norms.append(float(torch.linalg.vector_norm(torch.stack([g.norm() for g in grads]))))
        return step(self, *args, **kwargs)

    monkeypatch.setattr(torch.optim.Adam, "step", recording_step)
    train(QUICK, train_set, val_set, tmp_path / "free", params=PARAMS)
    free = list(norms)
    bound = 0.5 * min(free)  # below every unclipped norm: every step must be clipped
    norms.clear()
    train(
        dataclasses.replace(QUICK, max_grad_norm=bound),
        train_set,
        val_set,
        tmp_path / "clip",
        params=PARAMS,
    )
    assert len(norms) == len(free)
    assert all(n == pytest.approx(bound, rel=1e-5) for n in norms)  # every step at the bound
    assert min(free) > bound  # unclipped gradients are larger: the bound did something
    with pytest.raises(ValueError, match="max_grad_norm"):
        TrainConfig(max_grad_norm=-1.0)


def test_checkpoints_from_before_later_options_still_resume(tiny_datasets, tmp_path):
    """A checkpoint whose train_config lacks an option added later resumes under its default."""
    train_set, val_set = tiny_datasets
    train(dataclasses.replace(QUICK, epochs=1), train_set, val_set, tmp_path, params=PARAMS)
    payload = torch.load(tmp_path / "checkpoint.pt", weights_only=False)
    for name in ("energy_loss_weight", "time_budget_seconds", "max_grad_norm"):
        del payload["run_identity"]["train_config"][name]
    torch.save(payload, tmp_path / "checkpoint.pt")
    assert train(QUICK, train_set, val_set, tmp_path, params=PARAMS).epochs_completed == 3
    with pytest.raises(ValueError, match="energy_loss_weight"):
        other = dataclasses.replace(QUICK, energy_loss_weight=0.5)
        train(other, train_set, val_set, tmp_path, params=PARAMS)
