"""Domain decomposition of CNN field evaluation: row slabs, halo exchange over torch.distributed.

The torque network is local (receptive radius h, :func:`~torquenet.ml.halo_radius`), so an
L x L periodic lattice can be split into horizontal slabs of whole rows, one per process:
before every field evaluation each process sends its first h rows to the process above and its
last h rows to the one below (periodically), runs the network on its slab padded with the h
rows received from each neighbour (and wrapped periodically along the rows' own direction), and
keeps the torques of its own rows.  Each site then sees exactly the spins it sees on the whole
torus, so the fields equal the single-process ones to float32 rounding.

Only halos travel: 2 h L sites per process and evaluation, whatever the number of processes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.distributed as dist
from numpy.typing import NDArray

from torquenet._typing import FieldResult
from torquenet._validation import check_int, check_spins
from torquenet.ml._distributed import DistributedContext, all_reduce_sum
from torquenet.ml._field_solver import CNNSolver
from torquenet.ml._tiling import balanced_tile, halo_forward
from torquenet.observables import perpendicular_part


@dataclass(frozen=True)
class RowSlabs:
    """Balanced split of the rows 0..L-1 of an L x L lattice over ``num_parts`` processes.

    Part r owns rows [r L // P, (r + 1) L // P): whole rows, so its sites are one contiguous
    range of row-major site indices (what :class:`~torquenet.dynamics.CounterNoise` needs).

    Examples
    --------
    >>> RowSlabs(10, 3).bounds(2), RowSlabs(10, 3).first_site(1)
    ((6, 10), 30)
    """

    lattice_size: int
    num_parts: int

    def __post_init__(self) -> None:
        check_int("lattice_size", self.lattice_size, minimum=1)
        check_int("num_parts", self.num_parts, minimum=1, maximum=self.lattice_size)

    def bounds(self, part: int) -> tuple[int, int]:
        """(first row, end row) of ``part``."""
        part = check_int("part", part, minimum=0, maximum=self.num_parts - 1)
        L, P = self.lattice_size, self.num_parts
        return part * L // P, (part + 1) * L // P

    def first_site(self, part: int) -> int:
        """Row-major index of the first site of ``part``."""
        return self.bounds(part)[0] * self.lattice_size

    @property
    def min_rows(self) -> int:
        """Rows of the thinnest slab."""
        return self.lattice_size // self.num_parts

    def check_halo(self, halo: int) -> None:
        """ValueError unless every slab has at least ``halo`` rows (halos come from neighbours)."""
        if halo > self.min_rows:
            raise ValueError(
                f"{self.num_parts} processes on L = {self.lattice_size} leave slabs of "
                f"{self.min_rows} rows, fewer than the network's halo of {halo} rows (each "
                f"process's halo must come from its neighbours only); use at most "
                f"{max(1, self.lattice_size // max(halo, 1))} processes for this L"
            )


def exchange_row_halos(slab: torch.Tensor, halo: int, context: DistributedContext) -> torch.Tensor:
    """The slab (B, 3, H, L) padded with ``halo`` rows of its periodic neighbours (B, 3, H + 2h, L).

    With one process the neighbours are the slab's own last and first rows (periodic wrap).
    Otherwise, in two phases of paired point-to-point messages (every process sends and
    receives once per phase, so the pairing holds for any backend, NCCL included, and for two
    processes that are each other's upper and lower neighbour): first rows go up (they become
    the bottom halo of the process above), then last rows go down.
    """
    h = halo
    if not context.is_distributed:
        top, bottom = slab[..., -h:, :], slab[..., :h, :]
    else:
        up = (context.rank - 1) % context.world_size
        down = (context.rank + 1) % context.world_size
        first = slab[..., :h, :].contiguous()
        last = slab[..., -h:, :].contiguous()
        bottom = torch.empty_like(first)
        top = torch.empty_like(last)
        for send, to, receive, source, tag in (
            (first, up, bottom, down, 0),
            (last, down, top, up, 1),
        ):
            requests = dist.batch_isend_irecv(
                [
                    dist.P2POp(dist.isend, send, to, tag=tag),
                    dist.P2POp(dist.irecv, receive, source, tag=tag),
                ]
            )
            for request in requests:
                request.wait()
    return torch.cat([top, slab, bottom], dim=-2)


class DomainCNNSolver:
    """The fields of one process's row slab of a lattice split over torch.distributed processes.

    A :class:`~torquenet.dynamics.FieldSolver` for slabs (rows, L, 3): :meth:`compute` is a
    collective call (every process of the group calls it once per field evaluation, with its
    own slab) that exchanges halos (:func:`exchange_row_halos`) and evaluates the network on
    the padded slab, tile by tile within the memory budget of ``solver``.

    Parameters
    ----------
    solver : CNNSolver
        The network, its device (one GPU per process: ``cuda:local_rank``) and memory budget.
    slabs : RowSlabs
        The split; this process owns ``slabs.bounds(context.rank)``.
    context : DistributedContext
        This process's rank in the initialised process group (world size 1: no messages).
    """

    def __init__(self, solver: CNNSolver, slabs: RowSlabs, context: DistributedContext) -> None:
        if not isinstance(solver, CNNSolver):
            raise TypeError(
                f"domain decomposition needs a CNNSolver (a local network), got "
                f"{type(solver).__name__}"
            )
        if slabs.num_parts != context.world_size:
            raise ValueError(
                f"the split has {slabs.num_parts} slabs for {context.world_size} processes"
            )
        slabs.check_halo(solver.halo)
        self.solver = solver
        self.params = solver.params
        self.slabs = slabs
        self.context = context
        self.rows = slabs.bounds(context.rank)
        #: Energy models: every process's Omega is the whole lattice's (its slab's site
        #: energies summed over the processes).
        self.provides_energy = solver.provides_energy
        #: Wall time (s) this process has spent in halo exchanges (waiting for its neighbours
        #: included): the communication share of a run, for benchmarks.
        self.exchange_seconds = 0.0

    def __repr__(self) -> str:
        return (
            f"DomainCNNSolver({self.solver!r}, rows {self.rows[0]}..{self.rows[1] - 1} of "
            f"{self.slabs.lattice_size}, process {self.context.rank} of {self.context.world_size})"
        )

    def compute(self, spins: NDArray[np.float64]) -> FieldResult:
        """Perpendicular fields (float64) of this process's slab (rows, L, 3), and for energy
        models the Omega of the whole lattice (a sum over the processes)."""
        L = self.slabs.lattice_size
        rows = self.rows[1] - self.rows[0]
        spins = check_spins(spins, square=False, name="slab spins")
        if spins.shape != (rows, L, 3):
            raise ValueError(
                f"process {self.context.rank} owns rows {self.rows[0]}..{self.rows[1] - 1}: its "
                f"slab spins must have shape ({rows}, {L}, 3), got {spins.shape}"
            )
        solver, h = self.solver, self.solver.halo
        x = torch.from_numpy(np.ascontiguousarray(spins.transpose(2, 0, 1), dtype=solver.dtype))
        x = x.to(solver.device)[None]
        plan = solver.tile_plan(L)
        tile_rows = balanced_tile(rows, plan.tile_size)
        tile_cols = balanced_tile(L, plan.tile_size)
        with torch.inference_mode():
            start = time.perf_counter()
            padded = exchange_row_halos(x, h, self.context)
            self.exchange_seconds += time.perf_counter() - start
            index = torch.arange(-h, L + h, device=padded.device) % L  # periodic along rows
            padded = padded.index_select(-1, index)
            evaluated = solver.evaluated_network
            y = halo_forward(evaluated, padded, h, tile_rows, tile_cols, plan.windows_per_pass)
        omega = None
        if self.provides_energy:
            local = float(y[0, 3].double().sum())
            total = torch.tensor([local], dtype=torch.float64, device=y.device)
            omega = float(all_reduce_sum(total, self.context).item())
        out = np.array(y[0, :3].cpu().numpy().transpose(1, 2, 0), dtype=np.float64, order="C")
        return FieldResult(fields=perpendicular_part(out, spins), grand_potential=omega)
