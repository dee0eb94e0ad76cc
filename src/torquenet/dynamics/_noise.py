"""Langevin noise sources: the unit normals xi of each LLG step, per site and component.

The SIB step needs xi ~ N(0, 1) of shape (sites, 3) once per step (the noise field is
sqrt(2 alpha T / dt) xi, see :mod:`torquenet.dynamics`).  Two sources:

* :class:`CounterNoise` (the default of :func:`~torquenet.runs.simulate`): xi of site i at
  step n is a *function* of (seed, n, i), computed by the counter-based generator Philox4x64-10
  (Salmon et al., SC'11) with key from the seed and counter (i, n): the noise of a site does not
  depend on which process or tile integrates it, on how many do, or on anything drawn before,
  so a domain-decomposed run equals a single-process one and a resumed run needs no generator
  state.
* :class:`SequentialNoise`: one ``numpy.random.Generator`` stream drawn in site order step after
  step (torquenet <= 0.1 trajectories; reproducible only by the same sequence of draws).
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from torquenet._validation import check_int

#: Name of :class:`CounterNoise` in trajectory and checkpoint files.
COUNTER_NOISE = "counter"
#: Name of :class:`SequentialNoise` in trajectory and checkpoint files.
SEQUENTIAL_NOISE = "sequential"
#: The noise generators a run can ask for.
NOISE_KINDS = (COUNTER_NOISE, SEQUENTIAL_NOISE)

#: How :class:`CounterNoise` turns (seed, step, site) into three normals (stored in files).
COUNTER_NOISE_DERIVATION = (
    "key = SeedSequence([seed, 0x4e4f495345]).generate_state(2, uint64); site i (row-major "
    "index i = row L + column) at step n takes half of the Philox4x64-10 block of counter "
    "[i // 2, n, 0, 0], i.e. the first four 64-bit words of numpy.random.Philox(key=key, "
    "counter=[i // 2, n, 0, 0]) read as eight little-endian 32-bit words w, of which site i "
    "takes w[4 (i % 2) + k], k = 0..3; u_k = ((w >> 8) + 0.5) 2^-24 in (0, 1), float32; "
    "Box-Muller in float32: r = sqrt(-2 ln u0), xi_x = r cos(2 pi u1), xi_y = r sin(2 pi u1), "
    "xi_z = sqrt(-2 ln u2) cos(2 pi u3) (|xi| <= 5.9), stored as float64"
)

_KEY_SALT = 0x4E4F495345  # "NOISE": keeps the noise key apart from other streams of one seed


@runtime_checkable
class LangevinNoise(Protocol):
    """Unit normals of one step for the sites a process integrates."""

    def normals(self, step: int, shape: tuple[int, ...]) -> NDArray[np.float64]:
        """xi ~ N(0, 1) of ``shape`` (..., 3) for step ``step``."""
        ...

    def state(self) -> dict[str, Any]:
        """JSON-serialisable state to store in a checkpoint (enough to resume exactly)."""
        ...


def counter_normals(
    key: NDArray[np.uint64], step: int, first_site: int, num_sites: int
) -> NDArray[np.float64]:
    """The normals (num_sites, 3) of sites first_site, ..., first_site + num_sites - 1 at ``step``.

    See :data:`COUNTER_NOISE_DERIVATION`.  Consecutive sites share consecutive Philox blocks
    (two sites per block), so a contiguous range of sites costs one vectorised call; the
    transcendental functions run in float32 (~0.07 s per 10^6 sites on one core, twice a
    sequential ziggurat draw).  The result of a site does not depend on the range it is
    computed in (tested for arbitrary cuts).
    """
    first_block = first_site // 2
    num_blocks = (first_site + num_sites + 1) // 2 - first_block
    generator = np.random.Philox(key=key, counter=[first_block, step, 0, 0])
    words = generator.random_raw(4 * num_blocks).astype("<u8", copy=False).view("<u4")
    offset = first_site % 2
    words = words.reshape(2 * num_blocks, 4)[offset : offset + num_sites].T  # (4, sites)
    u = (words >> np.uint32(8)).astype(np.float32)  # 24-bit uniforms: exact in float32
    u += np.float32(0.5)
    u *= np.float32(2.0**-24)  # in (0, 1): log(u) is finite
    radius = np.sqrt(np.float32(-2.0) * np.log(u[0::2]))  # (2, sites)
    angle = np.float32(2.0 * np.pi) * u[1::2]
    out = np.empty((num_sites, 3))
    out[:, 0] = np.cos(angle[0]) * radius[0]
    out[:, 1] = np.sin(angle[0]) * radius[0]
    out[:, 2] = np.cos(angle[1]) * radius[1]
    return out


class CounterNoise:
    """Langevin normals as a function of (seed, step, site): Philox4x64-10, counter (site, step).

    Parameters
    ----------
    seed : int
        The run's seed (>= 0).
    first_site : int
        Row-major index (row L + column) of the first site this process integrates; its sites
        are ``first_site, first_site + 1, ...`` in the order of the spins passed to
        :meth:`normals` (a slab of whole rows of the lattice is one contiguous range).

    Examples
    --------
    >>> whole = CounterNoise(3).normals(7, (4, 4, 3))
    >>> lower = CounterNoise(3, first_site=8).normals(7, (2, 4, 3))
    >>> bool(np.array_equal(whole[2:], lower))
    True
    """

    def __init__(self, seed: int, *, first_site: int = 0) -> None:
        self.seed = check_int("seed", seed, minimum=0)
        self.first_site = check_int("first_site", first_site, minimum=0)
        self.key = np.random.SeedSequence([self.seed, _KEY_SALT]).generate_state(2, np.uint64)

    def __repr__(self) -> str:
        return f"CounterNoise(seed={self.seed}, first_site={self.first_site})"

    def normals(self, step: int, shape: tuple[int, ...]) -> NDArray[np.float64]:
        step = check_int("step", step, minimum=0)
        if len(shape) < 1 or shape[-1] != 3:
            raise ValueError(f"noise shape must be (..., 3), got {shape}")
        num_sites = int(np.prod(shape[:-1], dtype=np.int64))
        return counter_normals(self.key, step, self.first_site, num_sites).reshape(shape)

    def state(self) -> dict[str, Any]:
        return {"generator": COUNTER_NOISE, "seed": self.seed}


class SequentialNoise:
    """Langevin normals drawn in order from one ``numpy.random.Generator`` (``step`` unused).

    The stream of torquenet <= 0.1: ``rng.standard_normal(shape)`` once per step, so a run is
    reproduced only by the same sequence of draws (one process, the generator state restored on
    resume).
    """

    def __init__(self, rng: np.random.Generator) -> None:
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
        self.rng = rng

    def __repr__(self) -> str:
        return f"SequentialNoise({self.rng.bit_generator.__class__.__name__})"

    def normals(self, step: int, shape: tuple[int, ...]) -> NDArray[np.float64]:
        return self.rng.standard_normal(shape)

    def state(self) -> dict[str, Any]:
        return self.rng.bit_generator.state


def as_noise(rng: np.random.Generator | LangevinNoise | None) -> LangevinNoise | None:
    """A :class:`LangevinNoise` for ``rng`` (a Generator is wrapped in SequentialNoise)."""
    if rng is None or isinstance(rng, LangevinNoise):
        return rng
    if isinstance(rng, np.random.Generator):
        return SequentialNoise(rng)
    raise TypeError(
        f"the noise source must be a numpy.random.Generator or a LangevinNoise (CounterNoise, "
        f"SequentialNoise), got {type(rng).__name__}"
    )
