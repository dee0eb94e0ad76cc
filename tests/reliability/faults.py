"""Machinery of the fault campaign: run a command in-process and classify what the user gets,
corrupt files in the ways disks, transfers and people do, and fixtures of every file type.

Outcomes of one command (``Outcome.kind``):

* ``ok``: exit 0 (or compare's 1, a measured verdict);
* ``named-error``: exit 2 with one ``torquenet <cmd>: error: ...`` line, or an argparse usage
  error (exit 2), and no traceback;
* ``traceback``: anything else escaped (target: never).

A corrupted input must give a ``named-error`` (naming the file where one is involved) or an
``ok`` whose result equals the clean run's (damage in bytes nobody reads); an ``ok`` with another
result is a *silent* result (target: never).
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import traceback
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np
import torch

from torquenet.cli import main


@dataclass(frozen=True)
class Outcome:
    kind: str
    code: int | None
    stdout: str
    stderr: str


def run_cli(args: list[str]) -> Outcome:
    """``torquenet ARGS`` in this process, its exit code, output and error stream."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:  # argparse: usage errors exit 2, --help exits 0
            code = exc.code if isinstance(exc.code, int) else 2
            if code not in (0, 2):
                return Outcome("traceback", code, out.getvalue(), err.getvalue())
        except BaseException:  # noqa: BLE001 - exactly what the campaign is looking for
            return Outcome("traceback", None, out.getvalue(), traceback.format_exc())
    text = err.getvalue()
    if "Traceback (most recent call last)" in text:
        return Outcome("traceback", code, out.getvalue(), text)
    if code in (0, 1):
        return Outcome("ok", code, out.getvalue(), text)
    if code == 2 and ("error:" in text):
        return Outcome("named-error", code, out.getvalue(), text)
    return Outcome("traceback", code, out.getvalue(), text)


# ----------------------------------------------------------------------------- corruptions
def flip_byte(path: Path, position: int, bit: int = 0) -> None:
    data = bytearray(path.read_bytes())
    data[position % len(data)] ^= 1 << bit
    path.write_bytes(bytes(data))


def truncate(path: Path, fraction: float) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * fraction)])


def wrong_version(path: Path, kind: str) -> None:
    """The file as a newer torquenet (or a foreign writer) would leave it: version 99."""
    if kind in ("trajectory", "unit", "checkpoint"):
        with h5py.File(path, "r+") as handle:
            handle.attrs["schema_version"] = 99
    elif kind == "manifest":
        payload = json.loads(path.read_text())
        payload["manifest_version"] = 99
        path.write_text(json.dumps(payload))
    elif kind == "model":
        payload = torch.load(path, weights_only=True)
        payload["format_version"] = 99
        torch.save(payload, path)
    elif kind == "spins":
        data = bytearray(path.read_bytes())
        data[6] = 9  # .npy format major version
        path.write_bytes(bytes(data))
    else:
        raise ValueError(f"unknown file kind {kind!r}")


def corruptions(num_flips: int, size: int, seed: int = 0) -> list[tuple[str, object]]:
    """(name, how) pairs: ``num_flips`` single-bit flips spread over the file, truncations to
    half and to zero, deletion, and a wrong format version."""
    rng = np.random.default_rng(seed)
    positions = np.linspace(0, size - 1, num_flips).astype(int)
    jitter = rng.integers(0, max(1, size // max(num_flips, 1)), num_flips)
    cases: list[tuple[str, object]] = [
        (f"flip byte {int(p)}", ("flip", int(min(p + j, size - 1)), int(rng.integers(8))))
        for p, j in zip(positions, jitter)
    ]
    cases += [("truncate to half", ("truncate", 0.5)), ("truncate to 0 bytes", ("truncate", 0.0))]
    cases += [("delete", ("delete",)), ("wrong version", ("version",))]
    return cases


def apply(path: Path, how: tuple, kind: str) -> None:
    if how[0] == "flip":
        flip_byte(path, how[1], how[2])
    elif how[0] == "truncate":
        truncate(path, how[1])
    elif how[0] == "delete":
        path.unlink()
    elif how[0] == "version":
        wrong_version(path, kind)
    else:
        raise ValueError(how)


def copy(source: Path, target: Path) -> Path:
    if source.is_dir():
        shutil.copytree(source, target)
    else:
        shutil.copy2(source, target)
    return target


def interrupted_simulate(args: list, out: Path, stop_after: int) -> None:
    """``torquenet simulate ARGS --out OUT`` stopped by Ctrl-C once step ``stop_after`` is
    reached, leaving the checkpoints of an unfinished run in ``OUT.partial/``."""
    import torquenet.runs._simulate as simulate_module

    real = simulate_module.run_llg

    def interrupted(*a, observer=None, **k):
        def observe(step, spins, result):
            observer(step, spins, result)
            if step >= stop_after:
                raise KeyboardInterrupt

        return real(*a, observer=observe, **k)

    simulate_module.run_llg = interrupted
    try:
        outcome = run_cli([*args, "--out", out])
    finally:
        simulate_module.run_llg = real
    assert outcome.code == 130, outcome.stderr
