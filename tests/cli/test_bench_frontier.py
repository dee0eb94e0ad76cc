"""The frontier benchmark end to end on a tiny ensemble: runs (one held by another process is
skipped, a rerun finishes it), the analysis table with costs, paired S(+-Q) differences and
the fresh-probe T_noise, and the archive of run summaries: the analysis comes out the same from
the archive alone, and a summary made under another config is refused."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from torquenet.data import exclusive_run

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "benchmarks" / "bench_frontier.py"
TINY = """\
L: 12
num_random: 2
num_skyrmion: 0
num_steps: 4
save_every: 2
checkpoint_every: 2
seed: 3
divergence_until: 0.2
energy_every: 1
tolerance: 0.5
cost_sizes: [12, 24]
reference: ed_T0
network: network
llg: {time_step: 0.1, damping: 0.05}
contenders:
  - {name: ed_T0, solver: {kind: ed, ed: {num_twists: 1}}}
  - {name: network, solver: {kind: cnn}}
  - name: kpm_fresh_d2
    supercell: 2
    solver:
      kind: kpm
      kpm: {num_moments: 40, probing_distance: 2, compile: false, fresh_probes: true}
  - name: kpm_fresh_d2_not_run
    supercell: 2
    solver:
      kind: kpm
      kpm: {num_moments: 40, probing_distance: 2, compile: false, fresh_probes: true}
"""
RUN = ("--only", "ed_T0", "network", "kpm_fresh_d2")


def bench(*args: str, fails: bool = False) -> str:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    outcome = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_frontier.py"), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=600,
    )
    if fails:
        assert outcome.returncode != 0, outcome.stdout[-2000:]
        return outcome.stderr
    assert outcome.returncode == 0, outcome.stderr[-2000:]
    return outcome.stdout


@pytest.mark.slow
def test_frontier_runs_and_analyses_a_tiny_ensemble(tmp_path):
    config = tmp_path / "tiny.yaml"
    config.write_text(TINY)
    out, archive = tmp_path / "out", tmp_path / "archive"
    where = ("--config", str(config), "--out", str(out), "--archive", str(archive))
    held = out / "runs" / "network" / "random_001.h5"
    with exclusive_run(held):  # another process is on this run: it is left to that one
        first = bench(*where, *RUN)
    assert first.count("skipped (another process is running it)") == 1
    assert not held.exists() and (out / "runs" / "network" / "random_000.h5").is_file()
    again = bench(*where, *RUN)  # finishes it, the rest no-ops
    assert again.count("done") == 6 and "skipped" not in again and held.is_file()
    table = bench(*where, "--analyze")
    assert len(list(archive.glob("*/random_*.npz"))) == 6
    numbers = json.loads((out / "frontier.json").read_text())["contenders"]
    assert set(numbers) == {"ed_T0", "network", "kpm_fresh_d2"}
    assert numbers["network"]["cost_vs_network"] == 1.0
    reference = numbers["ed_T0"]["peak_random"]
    assert reference["max_abs_relative_difference"] == 0.0  # the reference against itself
    assert numbers["ed_T0"]["angle_divergence_deg"]["mean"] == 0.0
    assert numbers["network"]["angle_divergence_deg"]["mean"] > 0.0
    assert "probe_noise_temperature" not in numbers["network"]
    assert numbers["kpm_fresh_d2"]["probe_noise_temperature"]["mean"] > 0
    assert "Cheapest contender within 50%" in table
    # T_noise of a fresh setting without runs: measured on the starts as simulate does, so the
    # same as the record of the identical contender's runs
    noise = json.loads((out / "frontier.json").read_text())["probe_noise_temperature"]
    assert set(noise) == {"kpm_fresh_d2", "kpm_fresh_d2_not_run"}
    assert noise["kpm_fresh_d2_not_run"]["source"].startswith("measured on the starts")
    for key in ("mean", "min", "max"):
        assert noise["kpm_fresh_d2_not_run"][key] == noise["kpm_fresh_d2"][key]
    assert "kpm_fresh_d2_not_run: 2 of 2 runs not finished" in table
    # a contender without runs still gets its cost (same solver as kpm_fresh_d2: same order)
    not_run = json.loads((out / "frontier.json").read_text())["not_run"]
    assert set(not_run) == {"kpm_fresh_d2_not_run"}
    ratio = not_run["kpm_fresh_d2_not_run"]["cost_vs_network"]
    assert 0.2 < ratio / numbers["kpm_fresh_d2"]["cost_vs_network"] < 5
    assert "Without finished runs (cost only" in table and "kpm_fresh_d2_not_run" in table
    assert (
        "kpm_fresh_d2_not_run" in json.loads((out / "frontier.json").read_text())["cost_per_site"]
    )
    assert (out / "frontier.png").stat().st_size > 0 and (out / "frontier.md").is_file()

    # the trajectories gone (a later session), the archive alone gives the same fidelities
    # (the first analysis already worked from the summaries: so exactly the same)
    shutil.rmtree(out / "runs")
    rerun = bench(*where, *RUN)  # archived runs are finished work: nothing is redone
    assert "6 run(s) already archived" in rerun and "done" not in rerun
    bench(*where, "--analyze")
    again = json.loads((out / "frontier.json").read_text())["contenders"]
    for name, row in numbers.items():
        for key in ("peak_random", "angle_divergence_deg", "omega_difference_per_site"):
            assert again[name][key] == row[key], (name, key)
    assert (
        again["kpm_fresh_d2"]["probe_noise_temperature"]
        == numbers["kpm_fresh_d2"]["probe_noise_temperature"]
    )
    per_site = json.loads((out / "frontier.json").read_text())["cost_per_site"]
    assert per_site["network"]["24"]["how"] == "measured"
    assert per_site["ed_T0"]["24"]["how"] == "fitted N^3"  # per site ~ N^2: 16 x that of 12 x 12
    assert per_site["ed_T0"]["24"]["us_per_site_step"] == pytest.approx(
        16 * per_site["ed_T0"]["12"]["us_per_site_step"]
    )
    # what only the analysis reads may change; a summary archived under another config (here:
    # another seed) is not mixed in
    config.write_text(TINY.replace("tolerance: 0.5", "tolerance: 0.1"))
    retold = bench(*where, "--analyze")
    assert "Cheapest contender within 10%" in retold and "us / site / step, L = 24" in retold
    config.write_text(TINY.replace("seed: 3", "seed: 4"))
    refused = bench(*where, "--analyze", fails=True)
    assert "archived under another frontier config" in refused and "ed_T0" in refused


def test_write_docs_replaces_only_the_marked_table(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("bench_frontier", BENCH)
    bench_frontier = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "bench_frontier", bench_frontier)  # for its dataclasses
    spec.loader.exec_module(bench_frontier)
    begin, end = bench_frontier.DOC_MARKERS
    for name in bench_frontier.DOCS:
        (tmp_path / name).write_text(f"before\n{begin}\nold table\n{end}\nafter\n")
    bench_frontier.write_docs("header\n\n| new |\n\nverdict\n\n| noise |", tmp_path)
    full = (tmp_path / "BENCHMARKS.md").read_text()
    assert full == f"before\n{begin}\nheader\n\n| new |\n\nverdict\n\n| noise |\n{end}\nafter\n"
    short = (tmp_path / "REPRODUCTION.md").read_text()
    assert "verdict" in short and "noise" not in short and "old table" not in short
    (tmp_path / "REPRODUCTION.md").write_text("no markers\n")
    with pytest.raises(SystemExit, match="needs exactly one"):
        bench_frontier.write_docs("x", tmp_path)
