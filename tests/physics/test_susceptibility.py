"""The sign convention H = -sum t c^dag c puts the chi0(q) maximum at |q| = pi/3."""

import numpy as np

from torquenet.lattice import TriangularLattice
from torquenet.model import SDModelParams, bare_susceptibility
from torquenet.textures import Q_MAGNITUDE

NUM_K = 240  # electron momentum grid; converged enough at kT = 0.05 to resolve the maximum
Q_GRID = 12  # candidate wave vectors: the 12 x 12 grid, which contains the six +-Q_eta


def _chi0_on_grid(params):
    q = TriangularLattice(Q_GRID).momenta
    return q, bare_susceptibility(q, params, NUM_K, kT=0.05)


def test_chi0_maximal_at_pi_over_3_with_minus_t_convention():
    q, chi = _chi0_on_grid(SDModelParams())
    norms = np.linalg.norm(q, axis=-1)
    # fold momenta into the first Brillouin zone to measure |q|
    b = TriangularLattice(Q_GRID).reciprocal_vectors
    shifts = np.array([m1 * b[0] + m2 * b[1] for m1 in (-1, 0, 1) for m2 in (-1, 0, 1)])
    norms = np.min(np.linalg.norm(q[..., None, :] + shifts, axis=-1), axis=-1)
    at_q = np.isclose(norms, Q_MAGNITUDE, atol=1e-9)
    assert at_q.sum() == 6
    assert chi[at_q].min() > chi[~at_q].max()
    assert chi[at_q].max() - chi[at_q].min() < 1e-9  # the six are symmetry-equivalent


def test_opposite_hopping_sign_does_not_peak_at_pi_over_3():
    q, chi = _chi0_on_grid(SDModelParams(hopping=(-1.0, 0.0, 0.85)))
    b = TriangularLattice(Q_GRID).reciprocal_vectors
    shifts = np.array([m1 * b[0] + m2 * b[1] for m1 in (-1, 0, 1) for m2 in (-1, 0, 1)])
    norms = np.min(np.linalg.norm(q[..., None, :] + shifts, axis=-1), axis=-1)
    best = norms.ravel()[np.argmax(chi)]
    assert not np.isclose(best, Q_MAGNITUDE, atol=1e-6)
