"""Model files: exact round trip, refusal of foreign physics, truncated and non-model files."""

from __future__ import annotations

import pickle

import pytest
import torch

from torquenet import SDModelParams
from torquenet.ml import (
    MODEL_FILE_FORMAT,
    ModelConfig,
    TorqueCNN,
    load_model_file,
    read_model_file,
    save_model_file,
)

CONFIG = ModelConfig(widths=(4, 8), kernel_size=3, project_perpendicular=True)


@pytest.fixture
def saved(tmp_path):
    model = TorqueCNN(CONFIG, torque_scale=0.037, generator=torch.Generator().manual_seed(0))
    path = save_model_file(
        tmp_path / "model.pt",
        model,
        params=SDModelParams(),
        dataset_checksum="abc123",
        training_metrics={"best_val_loss": 0.25, "best_epoch": 7},
        train_config={"batch_size": 8},
    )
    return model, path


def test_round_trip_is_exact(saved):
    model, path = saved
    loaded, info = load_model_file(path, params=SDModelParams())
    original = model.state_dict()
    assert set(loaded.state_dict()) == set(original)
    assert all(torch.equal(loaded.state_dict()[k], original[k]) for k in original)
    x = torch.nn.functional.normalize(torch.randn(2, 3, 7, 7), dim=1)
    with torch.no_grad():
        assert torch.equal(loaded(x), model.eval()(x))
    assert info.model_config == CONFIG
    assert info.params == SDModelParams()
    assert info.dataset_checksum == "abc123"
    assert info.training_metrics == {"best_val_loss": 0.25, "best_epoch": 7}
    assert info.train_config == {"batch_size": 8}
    assert abs(info.torque_scale - 0.037) < 1e-9


def test_file_holds_only_plain_types(saved):
    _, path = saved
    payload = torch.load(path, weights_only=True)
    assert payload["format"] == MODEL_FILE_FORMAT

    def plain(v):
        if isinstance(v, dict):
            return all(isinstance(k, str) and plain(x) for k, x in v.items())
        if isinstance(v, (list, tuple)):
            return all(plain(x) for x in v)
        return v is None or isinstance(v, (str, int, float, bool, torch.Tensor))

    assert plain(payload)


def test_refuses_different_physics(saved):
    _, path = saved
    with pytest.raises(ValueError, match=r"electron_temperature: trained 0\.05, requested 0\.01"):
        load_model_file(path, params=SDModelParams(electron_temperature=0.01))
    with pytest.raises(ValueError, match="chemical_potential"):
        load_model_file(path, params=SDModelParams(chemical_potential=-3.0))


def test_files_written_with_hext_among_the_sd_parameters_still_load(saved, tmp_path):
    """Files from before H_ext moved to the dynamics carry it in sd_model_params; it never was
    part of the electron problem (removed from the training torques), so it is ignored."""
    _, path = saved
    payload = torch.load(path, weights_only=True)
    payload["sd_model_params"]["external_field"] = [0.0, 0.0, 0.005]
    legacy = tmp_path / "legacy.pt"
    torch.save(payload, legacy)
    _, info = load_model_file(legacy, params=SDModelParams())
    assert info.params == SDModelParams()
    payload["sd_model_params"]["hund"] = 1.0  # any other unknown key is still an error
    torch.save(payload, legacy)
    with pytest.raises(ValueError, match="unknown key.*hund"):
        read_model_file(legacy)


def test_refuses_truncated_file(saved, tmp_path):
    _, path = saved
    data = path.read_bytes()
    cut = tmp_path / "cut.pt"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="not a readable torquenet model file"):
        load_model_file(cut)


def test_refuses_files_that_are_not_models(tmp_path):
    text = tmp_path / "notes.pt"
    text.write_text("hello")
    with pytest.raises(ValueError, match="not a readable"):
        read_model_file(text)
    bare = tmp_path / "state_dict.pt"
    torch.save(TorqueCNN(CONFIG).state_dict(), bare)
    with pytest.raises(ValueError, match="is not a torquenet model"):
        read_model_file(bare)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        read_model_file(tmp_path / "missing.pt")


class _Exploit:
    def __reduce__(self):
        return (open, ("/tmp/torquenet-pwned-marker", "w"))


def test_never_unpickles_arbitrary_objects(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"format": MODEL_FILE_FORMAT, "payload": _Exploit()}, path, pickle_protocol=2)
    with pytest.raises(ValueError, match="not a readable"):
        read_model_file(path)
    with pytest.raises((pickle.UnpicklingError, RuntimeError)):
        torch.load(path, weights_only=True)  # the mechanism relied on


def test_refuses_weights_that_do_not_fit(saved, tmp_path):
    _, path = saved
    payload = torch.load(path, weights_only=True)
    payload["model_config"]["widths"] = [4, 16]
    bad = tmp_path / "bad.pt"
    torch.save(payload, bad)
    with pytest.raises(ValueError, match="weights do not fit"):
        load_model_file(bad)


def test_refuses_newer_format(saved, tmp_path):
    _, path = saved
    payload = torch.load(path, weights_only=True)
    payload["format_version"] = 99
    newer = tmp_path / "newer.pt"
    torch.save(payload, newer)
    with pytest.raises(ValueError, match="format_version 99"):
        read_model_file(newer)
