"""HDF5 trajectory and checkpoint storage: exact round trips, plain-h5py layout, clear errors."""

from __future__ import annotations

import json

import h5py
import numpy as np
import pytest

from torquenet._version import __version__
from torquenet.data import (
    SCHEMA_VERSION,
    TRAJECTORY_DATASETS,
    Checkpoint,
    Trajectory,
    read_checkpoint,
    read_trajectory,
    write_checkpoint,
    write_trajectory,
)
from torquenet.data.schema import TRAJECTORY_ATTRIBUTES
from torquenet.textures import random_spins

L, T = 4, 3
ATTRIBUTES = {
    "config": json.dumps({"L": L}),
    "seed": 5,
    "seed_derivation": "test",
    "llg_equation": "dS/dt = S x H",
}


def make_trajectory(rng, *, optional: bool = True, num_frames: int = T) -> Trajectory:
    spins = np.array([random_spins(L, rng) for _ in range(num_frames)]).reshape(-1, L, L, 3)
    extra = {}
    if optional:
        extra = {
            "fields": rng.standard_normal((num_frames, L, L, 3)),
            "grand_potential": rng.standard_normal(num_frames),
            "energy": rng.standard_normal(num_frames),
        }
    return Trajectory(
        spins=spins,
        times=0.1 * np.arange(num_frames) * 10,
        steps=10 * np.arange(num_frames),
        topological_charge=rng.standard_normal(num_frames),
        magnetization=spins.mean(axis=(1, 2)),
        attributes=dict(ATTRIBUTES),
        **extra,
    )


@pytest.mark.parametrize("optional", [True, False])
def test_trajectory_round_trip_is_bit_exact(tmp_path, rng, optional):
    original = make_trajectory(rng, optional=optional)
    back = read_trajectory(write_trajectory(tmp_path / "t.h5", original))
    for name, value in original.arrays().items():
        assert np.array_equal(getattr(back, name), value), name
        assert getattr(back, name).dtype == value.dtype
    assert set(back.arrays()) == set(original.arrays())
    for key, value in ATTRIBUTES.items():
        assert back.attributes[key] == value
    assert back.attributes["schema_version"] == SCHEMA_VERSION
    assert back.attributes["package_version"] == __version__


def test_layout_is_readable_with_plain_h5py_and_matches_the_schema(tmp_path, rng):
    path = write_trajectory(tmp_path / "t.h5", make_trajectory(rng))
    with h5py.File(path, "r") as f:
        for spec in TRAJECTORY_DATASETS:
            dset = f[spec.name]
            assert dset.shape == spec.concrete_shape(T, L)
            assert dset.dtype == np.dtype(spec.dtype)
            assert dset.attrs["units"].decode() == spec.units  # fixed-length UTF-8 bytes
            assert dset.attrs["description"].decode() == spec.description
            assert dset.fletcher32  # every dataset carries HDF5's checksum
        for key, (required, _) in TRAJECTORY_ATTRIBUTES.items():
            if required:
                assert key in f.attrs, key
        assert json.loads(f.attrs["config"]) == {"L": L}


def test_writing_is_atomic_an_interrupted_write_leaves_the_old_file(tmp_path, rng, monkeypatch):
    path = tmp_path / "t.h5"
    old = make_trajectory(rng)
    write_trajectory(path, old)
    new = make_trajectory(rng)

    import torquenet.data.storage as storage

    def crash(*_args, **_kwargs):
        raise KeyboardInterrupt  # e.g. Ctrl-C while the datasets are written

    monkeypatch.setattr(storage, "_write_frames", crash)
    with pytest.raises(KeyboardInterrupt):
        write_trajectory(path, new)
    assert np.array_equal(read_trajectory(path).spins, old.spins)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.h5"]  # no temporary left


def test_checkpoint_round_trip_restores_the_generator_exactly(tmp_path, rng):
    noise = np.random.default_rng(123)
    noise.standard_normal(7)
    checkpoint = Checkpoint(
        step=20,
        previous_step=10,
        spins=random_spins(L, rng),
        rng_state=noise.bit_generator.state,
        config='{"a": 1}',
        frames=make_trajectory(rng, num_frames=1),
    )
    back = read_checkpoint(write_checkpoint(tmp_path / "c.h5", checkpoint))
    assert (back.step, back.previous_step, back.config) == (20, 10, '{"a": 1}')
    assert np.array_equal(back.spins, checkpoint.spins)
    assert np.array_equal(back.frames.spins, checkpoint.frames.spins)
    restored = np.random.default_rng()
    restored.bit_generator.state = back.rng_state
    assert np.array_equal(restored.standard_normal(50), noise.standard_normal(50))


def test_checkpoint_may_hold_no_frames(tmp_path, rng):
    empty = make_trajectory(rng, num_frames=0)
    checkpoint = Checkpoint(0, -1, random_spins(L, rng), {"x": 1}, "{}", empty)
    back = read_checkpoint(write_checkpoint(tmp_path / "c.h5", checkpoint))
    assert back.frames.num_frames == 0 and back.frames.fields.shape == (0, L, L, 3)


# ---------------------------------------------------------------- errors


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="trajectory file .*nope.h5.* does not exist"):
        read_trajectory(tmp_path / "nope.h5")


def test_garbage_file_is_a_clear_error(tmp_path):
    path = tmp_path / "bad.h5"
    path.write_bytes(b"this is not HDF5" * 10)
    with pytest.raises(ValueError, match="not a readable HDF5 file"):
        read_trajectory(path)


def test_truncated_file_is_a_clear_error(tmp_path, rng):
    path = write_trajectory(tmp_path / "t.h5", make_trajectory(rng))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="not a readable HDF5 file|unreadable|lacks"):
        read_trajectory(path)


def test_hdf5_that_is_not_a_trajectory_is_rejected(tmp_path):
    path = tmp_path / "other.h5"
    with h5py.File(path, "w") as f:
        f["spins"] = np.zeros((1, 2, 2, 3))
    with pytest.raises(ValueError, match="not a torquenet trajectory file.*schema_version"):
        read_trajectory(path)


def test_other_schema_version_is_rejected(tmp_path, rng):
    path = write_trajectory(tmp_path / "t.h5", make_trajectory(rng))
    with h5py.File(path, "a") as f:
        f.attrs["schema_version"] = SCHEMA_VERSION + 1
    with pytest.raises(ValueError, match=f"schema version {SCHEMA_VERSION + 1}.*reads"):
        read_trajectory(path)


@pytest.mark.parametrize("missing", ["spins", "times", "magnetization"])
def test_missing_required_dataset_is_named(tmp_path, rng, missing):
    path = write_trajectory(tmp_path / "t.h5", make_trajectory(rng))
    with h5py.File(path, "a") as f:
        del f[missing]
    with pytest.raises(ValueError, match=f"lacks the required dataset /{missing}"):
        read_trajectory(path)


def test_inconsistent_shapes_are_named(tmp_path, rng):
    path = write_trajectory(tmp_path / "t.h5", make_trajectory(rng))
    with h5py.File(path, "a") as f:
        del f["times"]
        f["times"] = np.zeros(T + 1)
    with pytest.raises(ValueError, match="times must have shape"):
        read_trajectory(path)


def test_missing_root_attribute_is_named(tmp_path, rng):
    path = write_trajectory(tmp_path / "t.h5", make_trajectory(rng))
    with h5py.File(path, "a") as f:
        del f.attrs["config"]
    with pytest.raises(ValueError, match=r"lacks root attribute\(s\) \['config'\]"):
        read_trajectory(path)


def test_files_of_the_earlier_layout_still_read(tmp_path, rng):
    """Before the integrity checks, datasets were unchunked and string attributes
    variable-length; such files read to the same Trajectory."""
    trajectory = make_trajectory(rng)
    path = tmp_path / "old.h5"
    with h5py.File(path, "w") as handle:
        for name, value in trajectory.arrays().items():
            handle.create_dataset(name, data=value)
        for key, value in {"schema_version": 1, "package_version": "0.1.0"}.items():
            handle.attrs[key] = value
        for key, value in trajectory.attributes.items():
            handle.attrs[key] = value  # str -> variable-length string
    back = read_trajectory(path)
    for name, value in trajectory.arrays().items():
        assert np.array_equal(getattr(back, name), value)
    assert back.attributes["config"] == trajectory.attributes["config"]
