import numpy as np
import pytest
from numpy.testing import assert_allclose

from torquenet.lattice import TriangularLattice

ATOL_GEOMETRY = 1e-12  # exact integer/trigonometric identities, only rounding


@pytest.mark.parametrize("shell, distance", [(1, 1.0), (2, np.sqrt(3)), (3, 2.0)])
def test_neighbor_shells_have_six_sites_at_the_right_distance(shell, distance):
    offsets = TriangularLattice.neighbor_offsets(shell)
    r = offsets @ TriangularLattice.primitive_vectors
    assert offsets.shape == (6, 2)
    assert_allclose(np.linalg.norm(r, axis=1), distance, rtol=0, atol=ATOL_GEOMETRY)
    # closed under inversion
    assert {tuple(o) for o in offsets} == {tuple(-o) for o in offsets}


def test_shell_bad_index_raises():
    with pytest.raises(ValueError, match="shell must be <= 3"):
        TriangularLattice.neighbor_offsets(4)


def test_small_lattice_rejected_for_third_shell():
    lat = TriangularLattice(4)
    with pytest.raises(ValueError, match="L = 4 is too small"):
        lat.check_supports_shells(3)
    TriangularLattice(6).check_supports_shells(3)


def test_bonds_pair_up_and_wind_consistently():
    lat = TriangularLattice(6)
    for shell in (1, 2, 3):
        b = lat.bonds(shell)
        pairs = set(zip(b.source.tolist(), b.target.tolist()))
        assert all((t, s) in pairs for s, t in pairs)
        i, j = np.divmod(b.source, 6)
        ti, tj = np.divmod(b.target, 6)
        offs = np.repeat(lat.neighbor_offsets(shell)[None], 36, axis=0).reshape(-1, 2)
        assert np.all(ti + 6 * b.winding[:, 0] == i + offs[:, 0])
        assert np.all(tj + 6 * b.winding[:, 1] == j + offs[:, 1])


def test_reciprocal_vectors_dual():
    lat = TriangularLattice(6)
    assert_allclose(
        lat.primitive_vectors @ lat.reciprocal_vectors.T,
        2 * np.pi * np.eye(2),
        rtol=0,
        atol=ATOL_GEOMETRY,
    )


def test_momentum_index_roundtrip_and_off_grid_error():
    lat = TriangularLattice(12)
    q = lat.momenta[2, 1]
    assert lat.momentum_index(q) == (2, 1)
    assert lat.momentum_index(np.array([np.pi / 3, 0.0])) == (2, 1)
    with pytest.raises(ValueError, match="not on the 10 x 10 grid"):
        TriangularLattice(10).momentum_index(np.array([np.pi / 3, 0.0]))


def test_point_group_has_12_distinct_operations_forming_a_group():
    lat = TriangularLattice(6)
    mats = [op.integer_matrix for op in lat.point_group]
    keys = {m.tobytes() for m in mats}
    assert len(keys) == 12
    for a in mats:
        for b in mats:
            assert (a @ b).tobytes() in keys
    for op in lat.point_group:
        c = op.cartesian_matrix
        assert_allclose(c @ c.T, np.eye(2), rtol=0, atol=ATOL_GEOMETRY)


def test_point_group_maps_are_permutations_preserving_every_shell():
    lat = TriangularLattice(7)
    for op in lat.point_group:
        perm = lat.point_group_index_map(op)
        assert sorted(perm.tolist()) == list(range(lat.num_sites))
        for shell in (1, 2, 3):
            b = lat.bonds(shell)
            mapped = set(zip(perm[b.source].tolist(), perm[b.target].tolist()))
            assert mapped == set(zip(b.source.tolist(), b.target.tolist()))


def test_apply_point_group_moves_positions_like_the_cartesian_rotation():
    lat = TriangularLattice(6)
    op = lat.point_group[1]  # 60 degrees
    field = np.zeros((6, 6, 1))
    field[1, 0, 0] = 1.0  # site at a1
    moved = lat.apply_point_group(field, op)
    (i, j) = np.argwhere(moved[..., 0] == 1.0)[0]
    r_new = i * lat.primitive_vectors[0] + j * lat.primitive_vectors[1]
    expected = op.cartesian_matrix @ lat.primitive_vectors[0]
    # equal up to a lattice translation by multiples of L
    d = np.linalg.solve(lat.primitive_vectors.T, r_new - expected) / 6
    assert_allclose(d, np.round(d), rtol=0, atol=1e-9)


def test_triangles_tile_the_torus():
    lat = TriangularLattice(5)
    tri = lat.triangles
    assert tri.shape == (50, 3)
    counts = np.bincount(tri.ravel(), minlength=25)
    assert np.all(counts == 6)
    # every triangle is made of mutual nearest neighbours
    nn = lat.neighbor_table(1)
    for a, b, c in tri:
        assert b in nn[a] and c in nn[b] and a in nn[c]


def test_translate_is_a_roll():
    lat = TriangularLattice(4)
    f = np.arange(48.0).reshape(4, 4, 3)
    out = lat.translate(f, (1, 2))
    assert np.array_equal(out[1, 2], f[0, 0])
