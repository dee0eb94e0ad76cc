"""Eq. (11) loss, error metrics, and the dataset contract."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.testing import assert_close

from torquenet.ml import (
    AugmentedDataset,
    TensorPairDataset,
    evaluate_torques,
    relative_l1_loss,
    relative_l1_per_site,
    relative_magnitude_errors,
    summarize_dataset,
    torque_angles_degrees,
)

#: float64 arithmetic on a handful of numbers.
ATOL_EXACT = 1e-12


def test_loss_matches_eq11_by_hand():
    target = torch.zeros(1, 3, 1, 2, dtype=torch.float64)
    target[0, :, 0, 0] = torch.tensor([3.0, 4.0, 0.0])  # |T| = 5
    target[0, :, 0, 1] = torch.tensor([0.0, 0.0, 2.0])  # |T| = 2
    predicted = target.clone()
    predicted[0, :, 0, 0] += torch.tensor([1.0, -1.0, 0.5])  # L1 = 2.5 -> 0.5
    predicted[0, :, 0, 1] += torch.tensor([0.0, 1.0, 0.0])  # L1 = 1 -> 0.5
    assert_close(relative_l1_loss(predicted, target), torch.tensor(0.5, dtype=torch.float64))


def test_loss_is_scale_invariant_and_zero_at_the_truth():
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(2, 3, 4, 4, generator=g), torch.randn(2, 3, 4, 4, generator=g)
    assert_close(relative_l1_loss(7 * a, 7 * b), relative_l1_loss(a, b), rtol=1e-6, atol=0)
    assert relative_l1_loss(b, b) == 0


def test_loss_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="batch, 3, L1, L2"):
        relative_l1_loss(torch.zeros(1, 3, 2, 2), torch.zeros(1, 3, 2, 3))
    with pytest.raises(ValueError, match="3 components on dim -1"):
        relative_l1_per_site(torch.zeros(2, 2, 4), torch.zeros(2, 2, 4), dim=-1)


def test_one_loss_for_networks_and_channels_last_arrays():
    """The numpy Eq. (11) of the analysis reports is the same function as the training loss."""
    from torquenet.analysis import relative_l1_loss as channels_last_loss

    g = torch.Generator().manual_seed(1)
    a, b = (torch.randn(2, 3, 4, 5, generator=g, dtype=torch.float64) for _ in range(2))
    per_site = relative_l1_per_site(a, b)
    last = relative_l1_per_site(a.movedim(1, -1), b.movedim(1, -1), dim=-1)
    assert torch.equal(per_site, last)
    value = channels_last_loss(a.movedim(1, -1).numpy(), b.movedim(1, -1).numpy())
    assert value == pytest.approx(float(relative_l1_loss(a, b)), rel=1e-15)


def test_angle_and_magnitude_errors():
    target = torch.zeros(1, 3, 1, 2, dtype=torch.float64)
    target[0, 0] = 1.0
    predicted = target.clone()
    predicted[0, :, 0, 1] = torch.tensor([2.0, 2.0, 0.0])  # 45 degrees, |T| = 2 sqrt 2
    angles = torque_angles_degrees(predicted, target)
    assert_close(
        angles[0, 0], torch.tensor([0.0, 45.0], dtype=torch.float64), atol=ATOL_EXACT, rtol=0
    )
    mags = relative_magnitude_errors(predicted, target)
    assert_close(mags[0, 0, 1], torch.tensor(2 * np.sqrt(2) - 1, dtype=torch.float64))


def test_tensor_pair_dataset_layout(ed_pairs):
    spins, torques, starts = ed_pairs
    ds = TensorPairDataset.from_site_arrays(spins, torques, starts)
    item = ds[3]
    assert item["spins"].shape == (3, 6, 6) and item["spins"].dtype == torch.float32
    # spins[i, j, :] -> x[:, i, j]
    np.testing.assert_allclose(item["spins"][:, 2, 5].numpy(), spins[3, 2, 5], rtol=0, atol=1e-7)
    assert item["start_type"] == int(starts[3])


def test_summary_mean_magnitude_and_checksum(ed_pairs):
    spins, torques, starts = ed_pairs
    ds = TensorPairDataset.from_site_arrays(spins, torques, starts)
    summary = summarize_dataset(ds)
    expected = np.linalg.norm(torques.astype(np.float32), axis=-1).mean()
    assert abs(summary.mean_torque_magnitude - expected) < 1e-6 * expected
    assert summary.lattice_size == 6 and summary.start_types == (0, 1)
    changed = torques.copy()
    changed[0, 0, 0, 0] += 1e-3
    other = TensorPairDataset.from_site_arrays(spins, changed, starts)
    assert summarize_dataset(other).checksum != summary.checksum
    assert summarize_dataset(ds).checksum == summary.checksum


def test_summary_rejects_bad_samples():
    class Broken(torch.utils.data.Dataset):
        def __len__(self):
            return 1

        def __getitem__(self, index):
            return {"spins": torch.zeros(3, 4, 4), "torques": torch.zeros(3, 4, 5), "start_type": 0}

    with pytest.raises(ValueError, match=r"train\[0\]\['torques'\] must have shape"):
        summarize_dataset(Broken(), "train")
    with pytest.raises(ValueError, match="start_types must lie in"):
        TensorPairDataset(torch.zeros(1, 3, 2, 2), torch.zeros(1, 3, 2, 2), [99])


def test_augmented_dataset_depends_only_on_seed_epoch_and_index(ed_pairs):
    spins, torques, starts = ed_pairs
    base = TensorPairDataset.from_site_arrays(spins, torques, starts)
    a, b = AugmentedDataset(base, seed=1), AugmentedDataset(base, seed=1)
    b[5], b[0]  # visiting order must not matter
    assert torch.equal(a[3]["spins"], b[3]["spins"])
    a.set_epoch(1)
    assert not torch.equal(a[3]["spins"], b[3]["spins"])
    assert not torch.equal(AugmentedDataset(base, seed=2)[3]["spins"], b[3]["spins"])


def test_evaluate_torques_reports_per_start_type():
    """An 'oracle' that is off by a 30 degree in-plane rotation for start type 1 only."""
    g = torch.Generator().manual_seed(0)
    spins = torch.randn(4, 3, 5, 5, generator=g)
    spins[:, 2] = 0
    spins = torch.nn.functional.normalize(spins, dim=1)
    c, s = np.cos(np.pi / 6), np.sin(np.pi / 6)
    rotate = torch.tensor([[c, -s, 0], [s, c, 0], [0, 0, 1]], dtype=torch.float32)
    torques = spins.clone()
    torques[2:] = torch.einsum("ij,bjxy->bixy", rotate, spins[2:])
    data = TensorPairDataset(spins, torques, [0, 0, 1, 1])
    summary = evaluate_torques(torch.nn.Identity(), data, batch_size=3)
    assert sorted(summary) == [0, 1]
    assert summary[0].num_sites == 50 and summary[0].p99_angle_degrees < 1e-3
    assert abs(summary[1].median_angle_degrees - 30.0) < 1e-3
    assert summary[1].median_relative_magnitude_error < 1e-6
