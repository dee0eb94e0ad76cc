"""Bounded-memory evaluation of a local torque network on a large periodic lattice, tile by tile.

Both architectures are local: the torque at a site depends only on the spins within the
network's theoretical receptive field (:func:`~torquenet.ml.theoretical_receptive_field`), a
window of side 2 h + 1 around it with the *halo radius* h (:func:`halo_radius`).  So the
periodic L x L lattice can be cut into T x T tiles, each padded with a halo of h sites taken
periodically from the lattice (circular wrap), the network run on the (T + 2 h)^2 window, and
the T x T interior kept: every interior site sees exactly the spins it sees on the whole torus,
so the assembled torques equal the untiled forward pass to float32 rounding (the corrupted
outer ring of each window, where the network's own circular padding wraps around the window, is
exactly the halo that is thrown away).  The memory of one pass then depends on the window, not
on L.

The tile size is chosen from a memory budget (:func:`plan_tiles`) with the estimate of
:func:`activation_bytes_per_site`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Real

import torch

from torquenet._validation import check_int
from torquenet.ml._architectures import AnyModelConfig, TorqueModel, theoretical_receptive_field
from torquenet.ml._energy import EnergyModelConfig
from torquenet.ml._equivariant import EquivariantModelConfig, hexagonal_orbits
from torquenet.ml._model import ModelConfig

#: Default memory budget (bytes) for the activations of one forward pass: 256 MiB.  With the
#: shipped equivariant model it keeps lattices up to L = 325 on the untiled path and evaluates
#: larger ones in windows of at most 325 x 325 sites.
DEFAULT_MAX_MEMORY = 256 * 2**20

#: Margin on the measured activation memory of :func:`activation_bytes_per_site`.
MEMORY_SAFETY_FACTOR = 1.25

#: Smallest tile interior (sites per side) a budget may force, in units of the halo radius:
#: a tile of 2 h sites costs (4 h)^2, four times its interior; smaller tiles would spend most of
#: the work on halos.  An explicit ``tile_size`` may be smaller.
MIN_TILE_HALOS = 2

#: Smallest tile interior a budget may force when the halo is tiny (h <= 4).
MIN_TILE_SITES = 8


def halo_radius(config: AnyModelConfig) -> int:
    """Receptive radius h of the network: the torque at a site depends on spins within h sites.

    ``(theoretical_receptive_field(config) - 1) // 2``, along each lattice index direction
    (the hexagonal support of the equivariant kernels fits in the same index window).

    Examples
    --------
    >>> halo_radius(ModelConfig(widths=(8,), kernel_size=3))
    4
    >>> halo_radius(EquivariantModelConfig(num_blocks=4, radius=2))
    12
    """
    return (theoretical_receptive_field(config) - 1) // 2


def _kernel_padding(config: AnyModelConfig) -> int:
    """Circular padding of one spatial convolution (the largest copy a layer makes)."""
    if isinstance(config, (EquivariantModelConfig, EnergyModelConfig)):
        return config.radius
    return config.kernel_size // 2


def activation_bytes_per_site(config: AnyModelConfig) -> int:
    """Estimated peak memory (bytes per lattice site) of one float32 inference forward pass.

    Counts the feature values alive at the peak of the pass (inputs and outputs of a layer,
    their circularly padded copies and oneDNN's reordered copies), fitted to the resident-set
    growth measured on 256 x 256 inputs with torch 2.13 on CPU, times
    :data:`MEMORY_SAFETY_FACTOR`:

    * ResNet (:class:`~torquenet.ml.TorqueCNN`): 7 w + 16 values per site, w the widest layer
      (measured 67, 122, 377 and 789 for widest layers 8, 16, 64 and 128);
    * equivariant: 20 C_v + 3 C_s + 2 n_b + 48, with n_b = shells (3 (K + 1) + K) the bond-basis
      values (measured 415 for C_v = C_s = 16, 736 for C_v = 32, 467 for the shipped model);
    * energy: the forward pass keeps every block's activations for the backward pass that
      gives the fields, (n_blocks + 1) (14 C_v + 4 C_s) + 2 n_b + 48 + 2 w_head.

    Examples
    --------
    >>> activation_bytes_per_site(ModelConfig())
    2320
    """
    if isinstance(config, (EquivariantModelConfig, EnergyModelConfig)):
        degree = config.bond_basis_degree
        shells = len(hexagonal_orbits(config.radius)) - 1 if degree else 0
        bond_values = shells * (3 * (degree + 1) + degree)
        if isinstance(config, EnergyModelConfig):
            per_block = 14 * config.vector_channels + 4 * config.scalar_channels
            values = (config.num_blocks + 1) * per_block + 2 * bond_values
            values += 48 + 2 * config.head_width
        else:
            values = 20 * config.vector_channels + 3 * config.scalar_channels
            values += 2 * bond_values + 48
    elif isinstance(config, ModelConfig):
        values = 7 * max(*config.widths, config.resolved_head_width, 3) + 16
    else:
        raise TypeError(
            f"model config must be ModelConfig or EquivariantModelConfig, got "
            f"{type(config).__name__}"
        )
    return math.ceil(4 * values * MEMORY_SAFETY_FACTOR)


def window_bytes(config: AnyModelConfig, window: int) -> int:
    """Estimated peak memory (bytes) of one forward pass on a ``window`` x ``window`` input.

    Per-site activations of :func:`activation_bytes_per_site` on the window grown by the
    circular padding of one convolution.
    """
    side = window + 2 * _kernel_padding(config)
    return activation_bytes_per_site(config) * side * side


def min_tile_size(config: AnyModelConfig) -> int:
    """Smallest tile interior a memory budget may force: max(2 h, 8) sites per side."""
    return max(MIN_TILE_HALOS * halo_radius(config), MIN_TILE_SITES)


def min_max_memory(config: AnyModelConfig) -> int:
    """Smallest allowed memory budget (bytes): one window of the smallest tile plus its halo."""
    return window_bytes(config, min_tile_size(config) + 2 * halo_radius(config))


def check_max_memory(config: AnyModelConfig, max_memory: object) -> int:
    """Validate a memory budget in bytes; returns it as int.

    None is the default budget: :data:`DEFAULT_MAX_MEMORY`, or :func:`min_max_memory` for a
    network whose smallest tile needs more (deep networks have wide halos), so every model runs
    under the default.  An explicit budget is never raised.

    Raises
    ------
    TypeError
        Not a real number.
    ValueError
        Not finite and positive, or smaller than :func:`min_max_memory` (one window of the
        smallest tile :func:`min_tile_size` plus its halo).
    """
    if max_memory is None:
        return max(DEFAULT_MAX_MEMORY, min_max_memory(config))
    if isinstance(max_memory, bool) or not isinstance(max_memory, Real):
        raise TypeError(
            f"max_memory must be a number of bytes, got {max_memory!r} "
            f"({type(max_memory).__name__})"
        )
    if not math.isfinite(max_memory) or max_memory <= 0:
        raise ValueError(f"max_memory must be a positive number of bytes, got {max_memory!r}")
    minimum = min_max_memory(config)
    if max_memory < minimum:
        h = halo_radius(config)
        t = min_tile_size(config)
        raise ValueError(
            f"max_memory = {max_memory!r} bytes is too small for even one tile of this network: "
            f"a {t} x {t} tile with its halo of {h} sites (window {t + 2 * h} x {t + 2 * h}) "
            f"needs about {minimum} bytes; allowed: max_memory >= {minimum}"
        )
    return int(max_memory)


@dataclass(frozen=True)
class TilePlan:
    """How one forward over an L x L periodic lattice is cut into tiles.

    Attributes
    ----------
    lattice_size : int
        L.
    tile_size : int
        Interior side T of every tile; ``tile_size == lattice_size`` means untiled.
    halo : int
        Halo radius h added on every side of a tile (0 when untiled).
    tiles_per_side : int
        n = ceil(L / T); tiles start at 0, T, ..., (n - 1) T in both directions.
    windows_per_pass : int
        Windows (tiles of any texture of a batch, or whole textures when untiled) evaluated
        together in one forward pass.
    """

    lattice_size: int
    tile_size: int
    halo: int
    tiles_per_side: int
    windows_per_pass: int

    @property
    def tiled(self) -> bool:
        """Whether the network sees halo-padded windows (several tiles, or one tile of a torus
        smaller than the network's circular padding) rather than the whole lattice."""
        return self.halo > 0

    @property
    def window_size(self) -> int:
        """Side of the network's input: T + 2 h (L when untiled)."""
        return self.tile_size + 2 * self.halo if self.tiled else self.lattice_size


def plan_tiles(
    config: AnyModelConfig,
    lattice_size: int,
    *,
    max_memory: int | None = None,
    tile_size: int | None = None,
    max_windows_per_pass: int | None = None,
) -> TilePlan:
    """Choose the tiling of an L x L lattice for a memory budget.

    Parameters
    ----------
    config : ModelConfig or EquivariantModelConfig
        The network (halo radius and memory estimate).
    lattice_size : int
        L.
    max_memory : int, optional
        Budget in bytes for the activations of one forward pass (default
        :data:`DEFAULT_MAX_MEMORY`); see :func:`check_max_memory`.
    tile_size : int, optional
        Interior side of the tiles instead of the largest one the budget allows; a tile size
        >= L means untiled.  Tiles are balanced (T = ceil(L / ceil(L / tile_size)) <= tile_size).
    max_windows_per_pass : int, optional
        Upper bound on the windows per forward pass (e.g. the solver's ``batch_size``).

    Returns
    -------
    TilePlan
        Untiled when the whole lattice fits the budget (or ``tile_size >= L``); otherwise the
        fewest balanced tiles whose window (T + 2 h)^2 fits it.

    Examples
    --------
    >>> cfg = EquivariantModelConfig(bond_basis_degree=3)
    >>> plan_tiles(cfg, 96).tiled, plan_tiles(cfg, 1024).tile_size
    (False, 256)
    """
    L = check_int("lattice_size", lattice_size, minimum=1)
    budget = check_max_memory(config, max_memory)
    h = halo_radius(config)
    if tile_size is not None:
        tile = min(check_int("tile_size", tile_size, minimum=1), L)
    elif window_bytes(config, L) <= budget:
        tile = L
    else:
        largest = math.isqrt(budget // activation_bytes_per_site(config))
        largest -= 2 * _kernel_padding(config)
        tile = max(largest - 2 * h, min_tile_size(config))
        while tile > min_tile_size(config) and window_bytes(config, tile + 2 * h) > budget:
            tile -= 1
    tile = math.ceil(L / math.ceil(L / tile))  # balanced: the last tile is not a sliver
    n = math.ceil(L / tile)
    # a torus smaller than a convolution's circular padding cannot be padded by the network
    # itself; the periodic extension by the halo (any number of wraps) makes it one window
    wrapped = n > 1 or L < _kernel_padding(config)
    window = tile + 2 * h if wrapped else L
    per_pass = max(1, budget // window_bytes(config, window))
    if max_windows_per_pass is not None:
        per_pass = min(per_pass, max_windows_per_pass)
    return TilePlan(L, tile, h if wrapped else 0, n, per_pass)


def _wrap_pad(x: torch.Tensor, before: int, after: int) -> torch.Tensor:
    """Periodic extension of the last two axes of x by ``before``/``after`` sites (any size)."""
    L = x.shape[-1]
    index = torch.arange(-before, L + after, device=x.device) % L
    return x.index_select(-2, index).index_select(-1, index)


def balanced_tile(size: int, tile: int) -> int:
    """Side of the ceil(size / tile) equal tiles covering ``size`` sites (at most ``tile``).

    Examples
    --------
    >>> balanced_tile(1024, 300), balanced_tile(48, 96)
    (256, 48)
    """
    tile = min(tile, size)
    return math.ceil(size / math.ceil(size / tile))


def _window_starts(size: int, tile: int) -> list[tuple[int, int, int]]:
    """(window start w, first kept site i, end of kept sites) of each tile along one axis.

    Tiles keep [i, min(i + tile, size)); the window of the last one is shifted back to
    w = size - tile so every window has the same side and lies inside the halo-padded axis.
    """
    return [(min(i, size - tile), i, min(i + tile, size)) for i in range(0, size, tile)]


def halo_forward(
    model: TorqueModel,
    padded: torch.Tensor,
    halo: int,
    tile_rows: int,
    tile_cols: int,
    windows_per_pass: int,
) -> torch.Tensor:
    """Torques (B, 3, R, C) of the sites inside a halo-padded block (B, 3, R + 2 h, C + 2 h).

    (Any number of output channels: a model returning (B, K, ...) gives (B, K, R, C).)

    ``padded`` holds R x C sites surrounded by ``halo`` = h rows and columns of their true
    neighbours (a periodic wrap, or the halos received from other processes): the network runs
    on windows of (tile_rows + 2 h) x (tile_cols + 2 h) sites, ``windows_per_pass`` at a time,
    and each window's interior is kept.  ``tile_rows`` and ``tile_cols`` must be at most R and
    C.  Call it under :func:`torch.inference_mode` for bounded memory.
    """
    B, _, rows, cols = padded.shape
    h = halo
    R, C = rows - 2 * h, cols - 2 * h
    if not (0 < tile_rows <= R and 0 < tile_cols <= C):
        raise ValueError(f"tiles of {tile_rows} x {tile_cols} sites do not fit the {R} x {C} block")
    out = None  # (B, channels of the model's output, R, C), allocated at the first pass
    windows = [
        (b, rows_k, cols_k)
        for b in range(B)
        for rows_k in _window_starts(R, tile_rows)
        for cols_k in _window_starts(C, tile_cols)
    ]
    H, W = tile_rows + 2 * h, tile_cols + 2 * h
    for s in range(0, len(windows), windows_per_pass):
        group = windows[s : s + windows_per_pass]
        batch = torch.stack(
            [padded[b, :, wi : wi + H, wj : wj + W] for b, (wi, _, _), (wj, _, _) in group]
        )
        result = model(batch)
        if out is None:
            out = padded.new_empty((B, result.shape[1], R, C))
        for k, (b, (wi, i, i_end), (wj, j, j_end)) in enumerate(group):
            out[b, :, i:i_end, j:j_end] = result[
                k, :, h + i - wi : h + i_end - wi, h + j - wj : h + j_end - wj
            ]
        del batch, result
    return out


def tiled_forward(model: TorqueModel, spins: torch.Tensor, plan: TilePlan) -> torch.Tensor:
    """Torques (B, 3, L, L) of ``model`` for spins (B, 3, L, L), evaluated as in ``plan``.

    Untiled plans run the network on ``plan.windows_per_pass`` whole textures at a time (its
    own circular padding makes them periodic).  Tiled plans extend the lattice periodically by
    the halo once (a state-sized copy) and evaluate it with :func:`halo_forward`.  Call it
    under :func:`torch.inference_mode` (or ``no_grad``) for bounded memory.
    """
    if spins.ndim != 4 or spins.shape[1] != 3 or spins.shape[-1] != spins.shape[-2]:
        raise ValueError(f"spins must have shape (B, 3, L, L), got {tuple(spins.shape)}")
    B, _, L, _ = spins.shape
    if L != plan.lattice_size:
        raise ValueError(f"the plan is for L = {plan.lattice_size}, got spins with L = {L}")
    per_pass = plan.windows_per_pass
    if not plan.tiled:
        if B <= per_pass:
            return model(spins)
        return torch.cat([model(spins[s : s + per_pass]) for s in range(0, B, per_pass)])
    T, h = plan.tile_size, plan.halo
    return halo_forward(model, _wrap_pad(spins, h, h), h, T, T, per_pass)
