"""Random ordered-phase starts: every family drawn, reproducible, stationary where exact."""

import numpy as np
import pytest

from torquenet.model import SDModelParams
from torquenet.observables import perpendicular_part
from torquenet.solvers import EDParams, EDSolver
from torquenet.textures import ORDERED_FAMILIES, OrderedPhaseDistribution, random_ordered_phase

NOISELESS = OrderedPhaseDistribution(spin_noise=0.0)


def _draws(n, distribution=NOISELESS, seed=0):
    rng = np.random.default_rng(seed)
    return [random_ordered_phase(12, rng, distribution) for _ in range(n)]


def test_every_family_is_drawn_and_the_spins_are_unit():
    draws = _draws(40, OrderedPhaseDistribution())
    assert {family for _, family in draws} == set(ORDERED_FAMILIES)
    for spins, _ in draws:
        assert spins.shape == (12, 12, 3)
        np.testing.assert_allclose(np.linalg.norm(spins, axis=-1), 1.0, atol=1e-12)


def test_the_same_generator_state_gives_the_same_texture():
    a, b = _draws(5, OrderedPhaseDistribution(), seed=3), _draws(5, OrderedPhaseDistribution(), 3)
    for (sa, fa), (sb, fb) in zip(a, b, strict=True):
        assert fa == fb and np.array_equal(sa, sb)
    assert not np.array_equal(a[0][0], _draws(1, OrderedPhaseDistribution(), seed=4)[0][0])


def test_noiseless_families_have_their_defining_magnetisation():
    cone = OrderedPhaseDistribution(spin_noise=0.0, max_cone_magnetization=0.4)
    for spins, family in _draws(40, cone):
        m = spins.reshape(-1, 3).mean(axis=0)
        if family == "ferromagnet":
            assert np.ptp(spins.reshape(-1, 3), axis=0).max() < 1e-12
        elif family == "coplanar spiral":
            assert np.abs(spins[..., 2]).max() < 1e-12 and np.linalg.norm(m[:2]) < 1e-9
        elif family == "conical spiral":
            # uniform m_z in (0, 0.4) on every site, the in-plane part winds (zero mean)
            assert np.ptp(spins[..., 2]) < 1e-12 and 0 <= spins[0, 0, 2] <= 0.4
            assert np.linalg.norm(m[:2]) < 1e-9


def test_noiseless_ferromagnets_and_spirals_are_the_symmetric_states_of_the_exact_fields():
    """Single-Q spirals and ferromagnets: every site is equivalent under a translation combined
    with a spin rotation about z, so the exact field is H_i = a S_i + b z: ferromagnets and
    coplanar spirals (b = 0 by a pi rotation about an in-plane axis) are stationary; a conical
    spiral precesses rigidly, one torque magnitude b on every site."""
    solver = EDSolver(SDModelParams(), EDParams(num_twists=1))
    checked = set()
    for spins, family in _draws(16):
        if family == "skyrmion lattice":
            continue
        torque = perpendicular_part(solver.compute(spins).fields, spins)
        if family == "conical spiral":
            z_perp = perpendicular_part(np.broadcast_to([0.0, 0.0, 1.0], spins.shape), spins)
            b = np.sum(torque * z_perp, axis=-1) / np.sum(z_perp * z_perp, axis=-1)
            np.testing.assert_allclose(torque, b[..., None] * z_perp, rtol=0, atol=1e-10)
            assert np.ptp(b) < 1e-10
        else:
            assert np.abs(torque).max() < 1e-10, family
        checked.add(family)
    assert checked == {"ferromagnet", "coplanar spiral", "conical spiral"}
    noisy, _ = random_ordered_phase(12, np.random.default_rng(1))
    torque = perpendicular_part(solver.compute(noisy).fields, noisy)
    assert np.abs(torque).max() > 1e-3  # the spin noise drives dynamics


@pytest.mark.parametrize("L", [6, 18])
def test_a_lattice_size_without_the_skyrmion_lattice_is_refused(L):
    with pytest.raises(ValueError, match=f"divisible by 12; got L = {L}"):
        random_ordered_phase(L, np.random.default_rng(0))


@pytest.mark.parametrize(
    "changes, match",
    [
        ({"spin_noise": -0.1}, "spin_noise"),
        ({"max_cone_magnetization": 1.5}, "max_cone_magnetization"),
        ({"amplitude_range": (1.0, 0.5)}, "amplitude_range"),
    ],
)
def test_bad_distributions_are_refused_by_name(changes, match):
    with pytest.raises(ValueError, match=match):
        OrderedPhaseDistribution(**changes)
