"""Langevin noise sources: counter-based normals are a function of (seed, step, site)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from torquenet.dynamics import (
    CounterNoise,
    LangevinNoise,
    LLGParams,
    SequentialNoise,
    run_llg,
)
from torquenet.dynamics._noise import as_noise
from torquenet.solvers import EDSolver
from torquenet.textures import random_spins


def documented_normals(seed: int, step: int, site: int) -> np.ndarray:
    """The three normals of one site, computed one site at a time from the recipe written in
    COUNTER_NOISE_DERIVATION (independently of the vectorised code)."""
    key = np.random.SeedSequence([seed, 0x4E4F495345]).generate_state(2, np.uint64)
    block = np.random.Philox(key=key, counter=[site // 2, step, 0, 0]).random_raw(4)
    halves = [int(w) >> shift & 0xFFFFFFFF for w in block for shift in (0, 32)]
    u = [np.float32(((w >> 8) + 0.5) * 2.0**-24) for w in halves[4 * (site % 2) :][:4]]
    f = np.float32
    r = np.sqrt(f(-2.0) * np.log(u[0]))
    return np.array(
        [
            np.cos(f(2 * np.pi) * u[1]) * r,
            np.sin(f(2 * np.pi) * u[1]) * r,
            np.sqrt(f(-2.0) * np.log(u[2])) * np.cos(f(2 * np.pi) * u[3]),
        ],
        dtype=np.float64,
    )


def test_counter_normals_follow_the_documented_recipe():
    whole = CounterNoise(11).normals(5, (4, 6, 3)).reshape(-1, 3)
    for site in (0, 1, 7, 23):
        np.testing.assert_allclose(whole[site], documented_normals(11, 5, site), rtol=1e-6)


def test_counter_normals_of_any_range_of_sites_are_those_of_the_whole():
    """Any contiguous range (odd starts, lengths that leave SIMD tails) gives the same values
    bit for bit: a site's noise does not depend on which process or slab computes it."""
    noise, rng = CounterNoise(8), np.random.default_rng(0)
    whole = noise.normals(3, (5000, 3))
    for _ in range(200):
        first = int(rng.integers(0, 4999))
        end = int(rng.integers(first + 1, 5001))
        part = CounterNoise(8, first_site=first).normals(3, (end - first, 3))
        assert np.array_equal(part, whole[first:end]), (first, end)


@pytest.mark.parametrize("cuts", [(1,), (3, 5), (2, 3, 7)])
def test_counter_normals_do_not_depend_on_how_the_rows_are_split(cuts):
    L, step = 8, 12
    whole = CounterNoise(4).normals(step, (L, L, 3))
    bounds = [0, *cuts, L]
    parts = [
        CounterNoise(4, first_site=a * L).normals(step, (b - a, L, 3))
        for a, b in zip(bounds[:-1], bounds[1:], strict=True)
    ]
    assert np.array_equal(np.concatenate(parts), whole)


def test_counter_normals_are_reproducible_and_differ_between_steps_and_seeds():
    a = CounterNoise(1).normals(3, (16, 16, 3))
    assert np.array_equal(a, CounterNoise(1).normals(3, (16, 16, 3)))
    for other in (CounterNoise(1).normals(4, (16, 16, 3)), CounterNoise(2).normals(3, (16, 16, 3))):
        assert abs(np.corrcoef(a.ravel(), other.ravel())[0, 1]) < 0.05


def test_counter_normals_are_standard_normal_and_uncorrelated():
    x = CounterNoise(9).normals(0, (200, 200, 3)).reshape(-1, 3)  # 40 000 sites
    n = len(x)
    assert np.all(np.abs(x.mean(axis=0)) < 4 / np.sqrt(n))
    assert np.all(np.abs(x.var(axis=0) - 1) < 4 * np.sqrt(2 / n))
    for k in range(3):
        assert stats.kstest(x[:, k], "norm").pvalue > 1e-3
    corr = np.corrcoef(np.column_stack([x, np.roll(x, 1, axis=0)]).T)
    off_diagonal = corr[~np.eye(6, dtype=bool)]
    assert np.all(np.abs(off_diagonal) < 4 / np.sqrt(n))  # components and neighbouring sites
    y = CounterNoise(9).normals(1, (200, 200, 3)).reshape(-1, 3)
    assert abs(np.corrcoef(x.ravel(), y.ravel())[0, 1]) < 4 / np.sqrt(3 * n)  # next step


def test_sequential_noise_is_the_generator_stream():
    a = SequentialNoise(np.random.default_rng(5))
    b = np.random.default_rng(5)
    assert np.array_equal(a.normals(0, (3, 3, 3)), b.standard_normal((3, 3, 3)))
    assert a.state() == b.bit_generator.state
    assert isinstance(a, LangevinNoise) and isinstance(CounterNoise(0), LangevinNoise)


def test_run_llg_with_a_generator_is_unchanged_by_the_noise_layer():
    """A Generator given to run_llg draws exactly the stream sib_step drew before."""
    spins = random_spins(6, np.random.default_rng(0))
    params = LLGParams(temperature=0.05, damping=0.2)
    a = run_llg(spins, EDSolver(), params, np.random.default_rng(3), 3)
    b = run_llg(spins, EDSolver(), params, SequentialNoise(np.random.default_rng(3)), 3)
    assert np.array_equal(a, b)
    c = run_llg(spins, EDSolver(), params, CounterNoise(3), 3)
    assert not np.allclose(a, c)


@pytest.mark.parametrize(
    "bad, message",
    [(object(), "numpy.random.Generator or a LangevinNoise"), (3, "got int")],
)
def test_bad_noise_sources_are_named(bad, message):
    with pytest.raises(TypeError, match=message):
        as_noise(bad)


def test_bad_noise_arguments_are_named():
    with pytest.raises(ValueError, match="seed"):
        CounterNoise(-1)
    with pytest.raises(ValueError, match=r"\(\.\.\., 3\)"):
        CounterNoise(0).normals(0, (4, 2))
    with pytest.raises(ValueError, match="noise source"):
        run_llg(
            random_spins(6, np.random.default_rng(0)),
            EDSolver(),
            LLGParams(temperature=0.1),
            None,
            1,
        )
