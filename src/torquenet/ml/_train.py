"""Training the torque CNN: Eq. (11) loss, Adam, reduce-on-plateau, augmentation, data parallel.

Run-directory layout written by :func:`train` (rank 0 only)::

    RUN_DIR/train_config.yaml   resolved TrainConfig
    RUN_DIR/checkpoint.pt       training state after the last completed epoch (for resume)
    RUN_DIR/best_model.pt       portable model file of the epoch with the lowest validation loss
    RUN_DIR/log.csv             one row of metrics per epoch
    RUN_DIR/tensorboard/        only if the optional ``tensorboard`` package is installed
"""

from __future__ import annotations

import logging
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, Dataset, DistributedSampler
from tqdm.auto import tqdm

from torquenet._device import resolve_device
from torquenet._validation import check_float, check_int
from torquenet.config import save_config, to_mapping
from torquenet.data import RunInUseError, exclusive_run
from torquenet.ml._architectures import (
    AnyModelConfig,
    TorqueModel,
    build_model,
    is_energy_model,
)
from torquenet.ml._checkpoint import TrainingState, load_checkpoint, save_checkpoint
from torquenet.ml._datasets import (
    MAX_START_TYPES,
    AugmentedDataset,
    DatasetSummary,
    summarize_dataset,
)
from torquenet.ml._distributed import (
    DistributedContext,
    ShardSampler,
    all_reduce_sum,
    barrier,
    setup_distributed,
)
from torquenet.ml._energy import EnergyModelConfig
from torquenet.ml._equivariant import EquivariantModelConfig
from torquenet.ml._loss import energy_per_site_loss, relative_l1_loss, relative_l1_per_site
from torquenet.ml._model import ModelConfig
from torquenet.ml._model_file import save_model_file
from torquenet.ml._train_log import TensorBoardLog, write_csv_log
from torquenet.ml._warm_start import initialize_from_file
from torquenet.model import SDModelParams

logger = logging.getLogger(__name__)

CHECKPOINT_NAME = "checkpoint.pt"
BEST_MODEL_NAME = "best_model.pt"
CSV_LOG_NAME = "log.csv"
CONFIG_NAME = "train_config.yaml"


@dataclass(frozen=True)
class TrainConfig:
    """How to train a :class:`TorqueCNN` (paper Sec. III C).

    Parameters
    ----------
    model : ModelConfig, EquivariantModelConfig or EnergyModelConfig
        Architecture (default: the 2-core-CPU ResNet preset); in YAML,
        ``model: {architecture: equivariant, ...}`` selects the exactly equivariant network,
        ``architecture: energy`` the conservative one (learned Omega, fields by autograd).
    batch_size : int
        Global samples per optimiser step, split evenly over the processes of a distributed run
        (so it must be a multiple of the world size).
    epochs : int
        Maximum number of passes over the training set.
    learning_rate : float
        Initial Adam learning rate (paper: 1e-3).
    min_learning_rate : float
        Floor of the reduce-on-plateau schedule (paper: 1e-6).
    plateau_factor : float
        Factor applied to the learning rate when the validation loss plateaus.
    plateau_patience : int
        Epochs without improvement of the validation loss before the rate is reduced.
    early_stopping_patience : int
        Epochs without a new best validation loss before training stops.
    weight_decay : float
        Adam L2 penalty; 0, as in the paper (no regularisation).
    augment : bool
        Random SO(3) x D6 symmetry per sample and epoch (paper Sec. III C, Eq. 14).
    seed : int
        Seeds the initial weights, the data order and the augmentation.
    device : str
        "auto", "cpu", "cuda" or "cuda:N"; under torchrun each process uses cuda:LOCAL_RANK.
    num_workers : int
        DataLoader worker processes (0 loads in the training process).
    initial_model : str
        Model file to start from instead of random weights ("" = random): same architecture,
        or a narrower equivariant network of the same depth, widened without changing its
        output (:func:`~torquenet.ml.widen_equivariant`), or (for an energy model) an
        equivariant torque model whose backbone it takes over (direct pre-training,
        conservative fine-tuning).  Its physics must match the dataset's.
    energy_loss_weight : float
        Energy models only: the loss is Eq. (11) plus this weight times the mean
        |Omega_pred - Omega| per site in units of the torque scale
        (:func:`~torquenet.ml.energy_per_site_loss`); needs datasets that store Omega.
        0 trains on torques alone (Omega then only up to a constant).
    time_budget_seconds : float
        Stop after the first epoch at which the summed epoch times of the run (training plus
        validation, over all resumes) reach this; 0 = no budget.  For comparisons at equal
        training cost; it may be raised on resume to continue.
    max_grad_norm : float
        Clip the global L2 norm of the gradient to this before every optimizer step
        (``torch.nn.utils.clip_grad_norm_``, after the gradient average of several processes);
        0 = no clipping.  Guards fine-tunes against rare batches with huge gradients (energy
        models on near-stationary ordered states diverged without it).
    """

    model: AnyModelConfig = field(default_factory=ModelConfig)
    batch_size: int = 8
    epochs: int = 100
    learning_rate: float = 1e-3
    min_learning_rate: float = 1e-6
    plateau_factor: float = 0.5
    plateau_patience: int = 5
    early_stopping_patience: int = 15
    weight_decay: float = 0.0
    augment: bool = True
    seed: int = 0
    device: str = "auto"
    num_workers: int = 0
    initial_model: str = ""
    energy_loss_weight: float = 1.0
    time_budget_seconds: float = 0.0
    max_grad_norm: float = 0.0

    def __post_init__(self) -> None:
        if not isinstance(self.model, (ModelConfig, EquivariantModelConfig, EnergyModelConfig)):
            raise TypeError(
                f"model must be a ModelConfig, EquivariantModelConfig or EnergyModelConfig, "
                f"got {type(self.model).__name__}"
            )
        check_float("energy_loss_weight", self.energy_loss_weight, minimum=0.0)
        check_float("time_budget_seconds", self.time_budget_seconds, minimum=0.0)
        check_float("max_grad_norm", self.max_grad_norm, minimum=0.0)
        check_int("batch_size", self.batch_size, minimum=1)
        check_int("epochs", self.epochs, minimum=1)
        lr = check_float("learning_rate", self.learning_rate, minimum=0.0, strict_minimum=True)
        check_float("min_learning_rate", self.min_learning_rate, minimum=0.0, maximum=lr)
        check_float(
            "plateau_factor", self.plateau_factor, minimum=0.0, maximum=1.0, strict_minimum=True
        )
        check_int("plateau_patience", self.plateau_patience, minimum=0)
        check_int("early_stopping_patience", self.early_stopping_patience, minimum=1)
        check_float("weight_decay", self.weight_decay, minimum=0.0)
        if not isinstance(self.augment, bool):
            raise TypeError(f"augment must be a bool, got {self.augment!r}")
        check_int("seed", self.seed, minimum=0)
        check_int("num_workers", self.num_workers, minimum=0)
        if not isinstance(self.initial_model, str):
            raise TypeError(f"initial_model must be a path string, got {self.initial_model!r}")
        resolve_device(self.device)


@dataclass(frozen=True)
class TrainResult:
    """Outcome of :func:`train`.

    Attributes
    ----------
    model_path : Path
        The best model file.
    checkpoint_path : Path
    best_epoch : int
    best_val_loss : float
    epochs_completed : int
    stopped_early : bool
    history : tuple of dict
        Per-epoch metrics, as in the CSV log.
    """

    model_path: Path
    checkpoint_path: Path
    best_epoch: int
    best_val_loss: float
    epochs_completed: int
    stopped_early: bool
    history: tuple[dict[str, float], ...]


def train(
    config: TrainConfig,
    train_dataset: Dataset,
    val_dataset: Dataset,
    out_dir: str | Path,
    *,
    params: SDModelParams,
    dataset_checksum: str | None = None,
    resume: bool = True,
    show_progress: bool = False,
) -> TrainResult:
    """Train a TorqueCNN, checkpointing every epoch; resume an interrupted run in ``out_dir``.

    Parameters
    ----------
    config : TrainConfig
    train_dataset, val_dataset : torch.utils.data.Dataset
        Items are dicts ``{"spins": (3, L, L), "torques": (3, L, L), "start_type": int}``
        (see ``torquenet.ml._datasets``); torques are the field perpendicular to the spin.
    out_dir : str or Path
        Run directory (layout in the module docstring).
    params : SDModelParams
        The physics the data were generated with; stored in the model file.
    dataset_checksum : str, optional
        Identity of the data (e.g. from the data pipeline).  None: the SHA-256 of the training
        samples computed here.
    resume : bool
        Continue from ``out_dir/checkpoint.pt`` if it exists.  With False an existing
        checkpoint is an error (nothing is overwritten).
    show_progress : bool
        tqdm bars over batches (main process only).

    Returns
    -------
    TrainResult

    Raises
    ------
    RunInUseError
        Another training is writing ``out_dir`` right now (:func:`~torquenet.data.exclusive_run`;
        on every process of a torchrun group).

    Notes
    -----
    The loss is Eq. (11) (:func:`relative_l1_loss`); the network's output scale is the mean torque
    magnitude of ``train_dataset``.  The validation loss (no augmentation) drives
    ``ReduceLROnPlateau``, the best-model file and early stopping.

    Launched by ``torchrun --nproc-per-node N``, each process calls this function: the process
    group is joined here (gloo on CPU, NCCL on CUDA) unless it already exists, gradients are
    averaged with DistributedDataParallel, and a ``DistributedSampler`` splits every global batch.
    Each epoch's data order depends on (seed, epoch) and each sample's augmentation on (seed,
    epoch, index), so results do not depend on the number of processes or workers beyond
    float rounding of the gradient average (with the default padding of DistributedSampler, up
    to world_size - 1 samples per epoch are seen twice when the dataset size is not a multiple
    of it).  On the CPU, seeded runs and resumed runs repeat bit for bit; CUDA convolutions may
    choose non-deterministic algorithms.
    """
    out_dir = Path(out_dir)
    context, device = _join_processes(config)
    with ExitStack() as lock:  # process 0 holds the run directory until training ends
        _lock_run_directory(out_dir, context, lock)
        train_summary = summarize_dataset(train_dataset, "train_dataset")
        val_summary = summarize_dataset(val_dataset, "val_dataset")
        checksum = dataset_checksum or train_summary.checksum
        identity = {
            "train_config": to_mapping(config),
            "dataset_checksum": checksum,
            "sd_model_params": to_mapping(params),
        }
        model = build_model(
            config.model,
            torque_scale=train_summary.mean_torque_magnitude,
            generator=torch.Generator().manual_seed(config.seed),
        ).to(device)
        if is_energy_model(model):
            _check_energy_labels(config, train_summary, val_summary)
            if train_summary.mean_grand_potential_per_site is not None:
                model.energy_offset.fill_(train_summary.mean_grand_potential_per_site)
        optimizer, scheduler = _build_optimizer(config, model)
        state = _restore_or_start(out_dir, resume, identity, model, optimizer, scheduler, context)
        if config.initial_model and state.epochs_completed == 0:
            initialize_from_file(model, config.initial_model, params)
        run = _Run(config, context, device, model, optimizer, scheduler, show_progress)
        train_loader, sampler, augmented = run.train_loader(train_dataset)
        val_loader = run.val_loader(val_dataset)
        files = (
            _RunFiles(out_dir, identity, params, checksum, train_summary, val_summary)
            if context.is_main
            else None
        )
        logger.info(
            "training %s on %s: %d train / %d val samples, L = %d, %d process(es)",
            config.model,
            device,
            train_summary.num_samples,
            val_summary.num_samples,
            train_summary.lattice_size,
            context.world_size,
        )
        try:
            for epoch in range(state.epochs_completed, config.epochs):
                if state.stopped_early or _budget_spent(state, config):
                    break
                sampler.set_epoch(epoch)
                if augmented is not None:
                    augmented.set_epoch(epoch)
                row = run.epoch(epoch, train_loader, val_loader)
                _update_state(state, row, config)
                scheduler.step(row["val_loss"])
                if files is not None:
                    files.write_epoch(state, run)
                barrier(context)
        finally:
            if files is not None:
                files.close()
        return TrainResult(
            model_path=out_dir / BEST_MODEL_NAME,
            checkpoint_path=out_dir / CHECKPOINT_NAME,
            best_epoch=state.best_epoch,
            best_val_loss=state.best_val_loss,
            epochs_completed=state.epochs_completed,
            stopped_early=state.stopped_early,
            history=tuple(state.history),
        )


def _lock_run_directory(out_dir: Path, context: DistributedContext, lock: ExitStack) -> None:
    """Process 0 takes the run directory's lock (held in ``lock``); if another training holds
    it, every process raises the same RunInUseError."""
    message: list[str | None] = [None]
    if context.is_main:
        try:
            lock.enter_context(exclusive_run(out_dir))
        except RunInUseError as exc:
            message[0] = str(exc)
    if context.is_distributed:
        torch.distributed.broadcast_object_list(message, src=0)
    if message[0] is not None:
        raise RunInUseError(message[0])


def _check_energy_labels(
    config: TrainConfig, train_summary: DatasetSummary, val_summary: DatasetSummary
) -> None:
    """An energy loss needs Omega on every frame of both splits."""
    if config.energy_loss_weight == 0:
        return
    for split, summary in (("training", train_summary), ("validation", val_summary)):
        if summary.mean_grand_potential_per_site is None:
            raise ValueError(
                f"energy_loss_weight = {config.energy_loss_weight} needs Omega "
                f"(grand_potential_per_site) on every {split} frame, and the {split} data lack "
                f"it: label them with a solver that has an energy (ED, KPM), or set "
                f"energy_loss_weight: 0"
            )


def _join_processes(config: TrainConfig) -> tuple[DistributedContext, torch.device]:
    """Resolve the device, join a torchrun process group if any, and check the batch split."""
    device = resolve_device(config.device)
    context = setup_distributed(device)
    if device.type == "cuda" and context.is_distributed:
        device = torch.device("cuda", context.local_rank)
        torch.cuda.set_device(device)
    if config.batch_size % context.world_size:
        raise ValueError(
            f"batch_size {config.batch_size} must be a multiple of the number of processes "
            f"{context.world_size}"
        )
    return context, device


def _build_optimizer(config: TrainConfig, model: TorqueModel):
    """Adam and reduce-on-plateau of the validation loss (paper Sec. III C)."""
    optimizer = torch.optim.Adam(
        model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay
    )
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
        optimizer,
        factor=config.plateau_factor,
        patience=config.plateau_patience,
        min_lr=config.min_learning_rate,
    )
    return optimizer, scheduler


def _restore_or_start(out_dir, resume, identity, model, optimizer, scheduler, context):
    checkpoint = out_dir / CHECKPOINT_NAME
    if checkpoint.exists():
        if not resume:
            raise FileExistsError(
                f"{str(out_dir)!r} already holds a training run ({CHECKPOINT_NAME}); resume it "
                "or choose a new output directory"
            )
        state, model_state, optimizer_state, scheduler_state = load_checkpoint(checkpoint, identity)
        model.load_state_dict(model_state)
        optimizer.load_state_dict(optimizer_state)
        scheduler.load_state_dict(scheduler_state)
        logger.info("resuming %s after epoch %d", out_dir, state.epochs_completed)
        return state
    barrier(context)  # every rank has seen "no checkpoint" before rank 0 writes one
    if context.is_main:
        out_dir.mkdir(parents=True, exist_ok=True)
        save_config(identity["train_config"], out_dir / CONFIG_NAME)
    return TrainingState()


def _budget_spent(state: TrainingState, config: TrainConfig) -> bool:
    """True when ``time_budget_seconds`` is set and the run's epochs have used it up."""
    if not config.time_budget_seconds:
        return False
    spent = sum(row.get("epoch_seconds", 0.0) for row in state.history)
    if spent >= config.time_budget_seconds:
        logger.info(
            "time budget of %.0f s reached after epoch %d (%.0f s)",
            config.time_budget_seconds,
            state.epochs_completed,
            spent,
        )
        return True
    return False


def _update_state(state: TrainingState, row: dict[str, float], config: TrainConfig) -> None:
    state.epochs_completed = int(row["epoch"])
    state.history.append(row)
    if row["val_loss"] < state.best_val_loss:
        state.best_val_loss = row["val_loss"]
        state.best_epoch = state.epochs_completed
        state.epochs_without_improvement = 0
    else:
        state.epochs_without_improvement += 1
    if state.epochs_without_improvement >= config.early_stopping_patience:
        state.stopped_early = True
        logger.info(
            "early stop after epoch %d: no new best validation loss for %d epochs",
            state.epochs_completed,
            state.epochs_without_improvement,
        )


class _RunFiles:
    """What the main process writes after every epoch: checkpoint, best model, logs."""

    def __init__(
        self,
        out_dir: Path,
        identity: dict,
        params: SDModelParams,
        checksum: str,
        train_summary: DatasetSummary,
        val_summary: DatasetSummary,
    ) -> None:
        self.out_dir = out_dir
        self.identity = identity
        self.params = params
        self.checksum = checksum
        self.train_summary = train_summary
        self.val_summary = val_summary
        self.tensorboard = TensorBoardLog(out_dir / "tensorboard")

    def write_epoch(self, state: TrainingState, run: _Run) -> None:
        if state.best_epoch == state.epochs_completed:
            self._write_best_model(state, run)
        save_checkpoint(
            self.out_dir / CHECKPOINT_NAME,
            state=state,
            model_state=run.model.state_dict(),
            optimizer_state=run.optimizer.state_dict(),
            scheduler_state=run.scheduler.state_dict(),
            run_identity=self.identity,
        )
        write_csv_log(self.out_dir / CSV_LOG_NAME, state.history)
        self.tensorboard.log(state.history[-1])

    def _write_best_model(self, state: TrainingState, run: _Run) -> None:
        metrics = {
            **{f"best_{k}": v for k, v in state.history[-1].items() if k != "epoch"},
            "best_epoch": state.best_epoch,
            "num_train_samples": self.train_summary.num_samples,
            "num_val_samples": self.val_summary.num_samples,
            "train_lattice_size": self.train_summary.lattice_size,
            "train_dataset_sha256": self.train_summary.checksum,
            "val_dataset_sha256": self.val_summary.checksum,
            "world_size": run.context.world_size,
        }
        save_model_file(
            self.out_dir / BEST_MODEL_NAME,
            run.model,
            params=self.params,
            dataset_checksum=self.checksum,
            training_metrics=metrics,
            train_config=self.identity["train_config"],
        )

    def close(self) -> None:
        self.tensorboard.close()


class _Run:
    """The per-process objects of one training run and the work of one epoch."""

    def __init__(self, config, context, device, model, optimizer, scheduler, show_progress):
        self.config: TrainConfig = config
        self.context: DistributedContext = context
        self.device: torch.device = device
        self.model: TorqueModel = model
        self.optimizer = optimizer
        self.scheduler = scheduler
        self.show_progress = show_progress and context.is_main
        #: Weight of the Omega term (energy models with energy labels; else 0).
        self.energy_weight = config.energy_loss_weight if is_energy_model(model) else 0.0
        self.wrapped: torch.nn.Module = (
            DistributedDataParallel(
                model, device_ids=[device.index] if device.type == "cuda" else None
            )
            if context.is_distributed
            else model
        )

    def train_loader(self, dataset: Dataset):
        augmented = AugmentedDataset(dataset, self.config.seed) if self.config.augment else None
        source = augmented if augmented is not None else dataset
        sampler = DistributedSampler(
            source,
            num_replicas=self.context.world_size,
            rank=self.context.rank,
            shuffle=True,
            seed=self.config.seed,
        )
        loader = DataLoader(
            source,
            batch_size=self.config.batch_size // self.context.world_size,
            sampler=sampler,
            num_workers=self.config.num_workers,
            pin_memory=self.device.type == "cuda",
        )
        return loader, sampler, augmented

    def val_loader(self, dataset: Dataset) -> DataLoader:
        return DataLoader(
            dataset,
            batch_size=max(self.config.batch_size // self.context.world_size, 1),
            sampler=ShardSampler(len(dataset), self.context),  # type: ignore[arg-type]
            num_workers=self.config.num_workers,
        )

    def epoch(self, epoch: int, train_loader, val_loader) -> dict[str, float]:
        start = time.perf_counter()
        train_loss, num_samples = self._train_pass(epoch, train_loader)
        train_seconds = time.perf_counter() - start
        val_sums = self._validate(val_loader)
        elapsed = time.perf_counter() - start
        val_sums, energy_sums = val_sums[:MAX_START_TYPES], val_sums[MAX_START_TYPES]
        totals = val_sums.sum(dim=0)
        row: dict[str, float] = {
            "epoch": epoch + 1,
            "train_loss": train_loss,
            "val_loss": float(totals[0] / totals[1]),
        }
        if self.energy_weight:
            # val_loss is the training objective (torques + weighted Omega term), which
            # selects the best model; the parts are logged too.
            energy_mae = float(energy_sums[0] / energy_sums[1])
            row["val_torque_loss"] = row["val_loss"]
            row["val_energy_mae_per_site"] = energy_mae
            scale = float(self.model.torque_scale)
            row["val_loss"] = row["val_loss"] + self.energy_weight * energy_mae / scale
        for start_type in range(MAX_START_TYPES):
            loss_sum, count = val_sums[start_type]
            if count > 0:
                row[f"val_loss_start{start_type}"] = float(loss_sum / count)
        row["learning_rate"] = float(self.optimizer.param_groups[0]["lr"])
        row["epoch_seconds"] = elapsed
        row["train_samples_per_second"] = num_samples / train_seconds
        logger.info(
            "epoch %d: train %.5f, val %.5f, lr %.2e",
            row["epoch"],
            row["train_loss"],
            row["val_loss"],
            row["learning_rate"],
        )
        return row

    def _train_pass(self, epoch: int, loader: DataLoader) -> tuple[float, int]:
        self.wrapped.train()
        sums = torch.zeros(2, dtype=torch.float64, device=self.device)  # loss * sites, sites
        num_samples = 0
        bar = tqdm(loader, desc=f"epoch {epoch + 1}", leave=False, disable=not self.show_progress)
        for batch in bar:
            spins = batch["spins"].to(self.device, non_blocking=True)
            torques = batch["torques"].to(self.device, non_blocking=True)
            self.optimizer.zero_grad(set_to_none=True)
            if self.energy_weight:
                predicted, site_energies = self.wrapped(spins, with_energy=True)
                omega = batch["grand_potential_per_site"].to(self.device)
                loss = relative_l1_loss(predicted, torques) + self.energy_weight * (
                    energy_per_site_loss(
                        site_energies.mean(dim=(1, 2)), omega, self.model.torque_scale
                    )
                )
            else:
                loss = relative_l1_loss(self.wrapped(spins), torques)
            loss.backward()
            if self.config.max_grad_norm:
                torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.config.max_grad_norm)
            self.optimizer.step()
            sites = torques[:, 0].numel()
            sums[0] += loss.detach().double() * sites
            sums[1] += sites
            num_samples += len(spins)
            bar.set_postfix(loss=f"{loss.item():.4f}")
        all_reduce_sum(sums, self.context)
        total = torch.tensor([num_samples], dtype=torch.float64, device=self.device)
        all_reduce_sum(total, self.context)
        return float(sums[0] / sums[1]), int(total.item())

    @torch.no_grad()
    def _validate(self, loader: DataLoader) -> torch.Tensor:
        """(MAX_START_TYPES + 1, 2): sums of Eq. (11) site terms and site counts per start
        type, then (sum of |Omega error| per site, frames) for energy models (else zeros)."""
        self.model.eval()
        loss_sums = torch.zeros(MAX_START_TYPES + 1, dtype=torch.float64, device=self.device)
        site_counts = torch.zeros_like(loss_sums)
        for batch in loader:
            spins = batch["spins"].to(self.device)
            torques = batch["torques"].to(self.device)
            start = torch.as_tensor(batch["start_type"], device=self.device)
            if self.energy_weight:
                predicted, site_energies = self.model(spins, with_energy=True)
                omega = batch["grand_potential_per_site"].to(self.device)
                error = (site_energies.double().mean(dim=(1, 2)) - omega.double()).abs()
                loss_sums[MAX_START_TYPES] += error.sum()
                site_counts[MAX_START_TYPES] += len(error)
            else:
                predicted = self.model(spins)
            per_sample = relative_l1_per_site(predicted, torques).sum(dim=(1, 2))
            loss_sums.index_add_(0, start, per_sample.double())
            site_counts.index_add_(0, start, torch.full_like(loss_sums[start], spins[0, 0].numel()))
        return all_reduce_sum(torch.stack([loss_sums, site_counts], dim=1), self.context)
