import json

from torquenet.cli import main


def test_generate_and_data_info_cli(tmp_path, capsys):
    cfg = tmp_path / "data.yaml"
    cfg.write_text(
        "L: 12\nnum_random: 1\nnum_skyrmion: 1\nnum_steps: 10\nsave_every: 5\n"
        "validation_fraction: 0.0\n"
    )
    assert main(["generate", "--config", str(cfg), "--out", str(tmp_path / "d")]) == 0
    capsys.readouterr()
    assert main(["data", "info", str(tmp_path / "d"), "--verify"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["complete"] and info["verified_frames"] == 6
    assert (tmp_path / "d" / "generate_config.yaml").is_file()


def test_generate_cli_errors(tmp_path, capsys):
    assert main(["generate", "--config", "nonexistent", "--out", str(tmp_path)]) == 2
    assert "shipped data configs" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    bad.write_text("L: 12\nnum_trajectories: 3\n")
    assert main(["generate", "--config", str(bad), "--out", str(tmp_path / "x")]) == 2
    assert "unknown key(s) ['num_trajectories']" in capsys.readouterr().err
    assert main(["data", "info", str(tmp_path / "nothing")]) == 2
    assert "is not a torquenet dataset directory" in capsys.readouterr().err
