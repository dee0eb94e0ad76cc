"""Data-parallel plumbing: the process group, rank bookkeeping and a padding-free shard sampler.

Training is data parallel (``DistributedDataParallel``): every process holds the whole model,
sees ``batch_size / world_size`` samples per step, and gradients are averaged across processes,
so one step equals one single-process step on the global batch.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch.utils.data import Sampler

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DistributedContext:
    """Where this process sits in a (possibly trivial) process group.

    Attributes
    ----------
    rank : int
        Global rank, 0 for a single process.
    world_size : int
        Number of processes.
    local_rank : int
        Rank on this node: selects the GPU (``cuda:local_rank``).
    """

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        """Whether this process writes files and shows progress."""
        return self.rank == 0

    @property
    def is_distributed(self) -> bool:
        return self.world_size > 1


def current_context() -> DistributedContext:
    """The context of the initialised process group, or a single process if there is none.

    The local rank comes from ``LOCAL_RANK`` (set by torchrun), else equals the global rank.
    """
    if not (dist.is_available() and dist.is_initialized()):
        return DistributedContext()
    rank = dist.get_rank()
    local_rank = int(os.environ.get("LOCAL_RANK", rank))
    return DistributedContext(rank=rank, world_size=dist.get_world_size(), local_rank=local_rank)


def setup_distributed(
    device: torch.device, *, single_process_group: bool = False
) -> DistributedContext:
    """Join the process group described by torchrun's environment, if there is one.

    torchrun sets ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR`` and ``MASTER_PORT``;
    with ``WORLD_SIZE`` > 1 this initialises ``torch.distributed`` with the NCCL backend on CUDA
    and gloo on the CPU.  Without them (a plain ``python`` launch) nothing happens.  An already
    initialised group is used as it is.

    Parameters
    ----------
    device : torch.device
        The resolved device; selects the backend.
    single_process_group : bool
        Also initialise a group of one process (``torchrun --nproc-per-node 1``: checks the
        backend, e.g. NCCL on one GPU); by default one process needs no group.
    """
    if dist.is_available() and dist.is_initialized():
        return current_context()
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size <= 1 and not (single_process_group and "RANK" in os.environ):
        return DistributedContext()
    if not dist.is_available():
        raise RuntimeError(
            f"WORLD_SIZE = {world_size} but this PyTorch build has no torch.distributed"
        )
    backend = "nccl" if device.type == "cuda" else "gloo"
    if device.type == "cuda":
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    dist.init_process_group(backend=backend)
    context = current_context()
    logger.info(
        "joined process group: rank %d of %d (local rank %d), backend %s",
        context.rank,
        context.world_size,
        context.local_rank,
        backend,
    )
    return context


def all_reduce_sum(tensor: torch.Tensor, context: DistributedContext) -> torch.Tensor:
    """Sum ``tensor`` over all processes (in place; a no-op for one process)."""
    if context.is_distributed:
        dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    return tensor


def barrier(context: DistributedContext) -> None:
    """Wait for every process (a no-op for one process)."""
    if context.is_distributed:
        dist.barrier()


class ShardSampler(Sampler[int]):
    """Indices rank, rank + W, rank + 2W, ... of a dataset: disjoint, no padding, no shuffling.

    For evaluation, where each sample must count exactly once (``DistributedSampler`` pads with
    repeats to equalise shard sizes).
    """

    def __init__(self, num_samples: int, context: DistributedContext) -> None:
        self.indices = list(range(context.rank, num_samples, context.world_size))

    def __iter__(self) -> Iterator[int]:
        return iter(self.indices)

    def __len__(self) -> int:
        return len(self.indices)
