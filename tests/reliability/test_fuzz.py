"""Property-based fuzzing of every command's arguments and of the YAML configs (Hypothesis).

Property: whatever the arguments, a command ends in exit 0 (or compare's verdict 1) or in exit 2
with one named error line (argparse usage errors included); never a traceback.  Config property:
any mapping read into a config dataclass is accepted or refused with ValueError/TypeError (which
the CLI turns into that error line), never another exception.

Values are drawn from a pool of hostile and harmless ones (empty, negative, zero, huge, NaN,
inf, words, unicode, paths to missing, empty, text, directory and valid files) with small sizes,
so that arguments which happen to be valid finish in a fraction of a second.
"""

from __future__ import annotations

import argparse

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.reliability.faults import run_cli
from torquenet.cli import build_parser
from torquenet.config import from_mapping
from torquenet.ml import TrainConfig
from torquenet.runs import DemoConfig, FieldsConfig, GenerateConfig, SimulationConfig
from torquenet.textures import random_spins

pytestmark = pytest.mark.usefixtures("single_thread")

WORDS = ["", "-1", "0", "1", "2", "3", "6", "12", "1e300", "-1e-300", "nan", "inf", "-inf"]
WORDS += ["abc", "0.5", "ed", "kpm", "cnn", "auto", "cuda", "random", "skl", "\u2603", "--"]


@pytest.fixture(scope="module")
def pool(tmp_path_factory) -> list[str]:
    """Argument values: the words above and paths of every kind."""
    root = tmp_path_factory.mktemp("pool")
    (root / "empty.npy").write_bytes(b"")
    (root / "text.npy").write_text("0 0 1\n")
    np.save(root / "spins.npy", random_spins(6, np.random.default_rng(0)))
    np.save(root / "big.npy", 2 * random_spins(6, np.random.default_rng(1)))
    (root / "bad.yaml").write_text("kind: [unclosed\n")
    (root / "list.yaml").write_text("- 1\n- 2\n")
    (root / "unknown.yaml").write_text("nonsense_key: 1\n")
    (root / "dir").mkdir()
    (root / "run.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 64)
    paths = ["empty.npy", "text.npy", "spins.npy", "big.npy", "bad.yaml", "list.yaml"]
    paths += ["unknown.yaml", "dir", "run.h5", "missing.npy", "missing_dir/out.npy"]
    return WORDS + [str(root / p) for p in paths]


def _options(command: str) -> list[argparse.Action]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return [a for a in sub.choices[command]._actions if a.option_strings and a.dest != "help"]


#: Outcome kinds seen per command (read by the campaign report).
OUTCOMES: dict[str, list[str]] = {}

#: Upper bounds on integer options, so that lines which happen to be valid stay cheap.
CAPS = {"--L": 12, "--steps": 3, "--stability-steps": 3, "--epochs": 1, "--twists": 2}
CAPS.update({"--num-moments": 60, "--workers": 1, "--rotations": 2, "--max-frames": 8})
#: Options left out: a Dask scheduler address would make the command wait for a connection.
SKIPPED = {"--scheduler"}


def _bounded(line: list[str]) -> list[str]:
    out = list(line)
    for k, word in enumerate(out[:-1]):
        cap = CAPS.get(word)
        value = out[k + 1]
        if cap is not None and value.lstrip("-").isdigit() and int(value) > cap:
            out[k + 1] = str(cap)
    if "kpm" in out and out[0] in ("fields", "simulate") and "--no-compile" not in out:
        out.append("--no-compile")  # compiling the KPM kernels takes seconds
    return out


COMMANDS = {
    # command: (arguments always present, with cheap sizes; output; examples)
    "fields": (["--spins", "SPINS"], "f.npy", 40),
    "simulate": (["--L", "6", "--steps", "2"], "r.h5", 40),
    "generate": (["--config", "SMALL"], "data", 12),
    "train": (["--data", "MISSING"], "run", 20),
    "evaluate": (["--model", "MODEL", "--data", "MISSING"], "eval", 20),
    "erf": (["--model", "MODEL", "--L", "6"], "erf", 12),
    "analyze": (["RUN"], "analysis", 25),
    "compare": (["--exact", "RUN", "--model", "RUN"], "cmp", 25),
    "demo": (["--L", "12", "--steps", "1", "--stability-steps", "0"], "demo", 6),
    "export": (["RUN", "--format", "ovf"], "exported", 25),
}


@pytest.fixture(scope="module")
def fixed(pool, tmp_path_factory):
    from torquenet.pretrained import default_model_path

    root = tmp_path_factory.mktemp("fixed")
    (root / "small.yaml").write_text(
        "L: 6\nnum_random: 1\nnum_skyrmion: 0\nnum_steps: 2\nsave_every: 1\n"
        "validation_fraction: 0.0\nsolver: {kind: ed, ed: {num_twists: 1}}\n"
    )
    return {
        "SPINS": next(p for p in pool if p.endswith("spins.npy")),
        "SMALL": str(root / "small.yaml"),
        "MISSING": str(root / "missing"),
        "MODEL": str(default_model_path()),
        "RUN": next(p for p in pool if p.endswith("run.h5")),
    }


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_no_command_line_gives_a_traceback(command, pool, fixed, tmp_path_factory):
    base, out_name, examples = COMMANDS[command]
    options = [
        a for a in _options(command) if a.dest != "out" and a.option_strings[-1] not in SKIPPED
    ]

    @settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        derandomize=True,
    )
    @given(data=st.data())
    def check(data):
        tmp = tmp_path_factory.mktemp(command)
        chosen = data.draw(
            st.lists(st.sampled_from(options), max_size=5, unique_by=lambda a: a.dest)
        )
        drawn = []
        for action in chosen:
            drawn.append(action.option_strings[-1])
            if action.nargs != 0:
                count = data.draw(st.integers(1, 3)) if action.nargs == "+" else 1
                count = action.nargs if isinstance(action.nargs, int) else count
                drawn += [data.draw(st.sampled_from(pool)) for _ in range(count)]
        # the drawn options come after the fixed ones and so override them
        line = [command, *[fixed.get(a, a) for a in base], *drawn, "--out", str(tmp / out_name)]
        line = _bounded(line)
        outcome = run_cli(line)
        OUTCOMES.setdefault(command, []).append(outcome.kind)
        assert outcome.kind != "traceback", (line, outcome.stderr[-2000:])

    check()


def _config_values() -> st.SearchStrategy:
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(10**6), 10**6),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=5),
    )
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=3)
        ),
        max_leaves=8,
    )


def _field_names(cls) -> list[str]:
    import dataclasses

    return [f.name for f in dataclasses.fields(cls)]


CONFIGS = [GenerateConfig, SimulationConfig, TrainConfig, FieldsConfig, DemoConfig]


@pytest.mark.parametrize("cls", CONFIGS, ids=lambda c: c.__name__)
@settings(max_examples=150, deadline=None, derandomize=True)
@given(data=st.data())
def test_any_config_mapping_is_accepted_or_refused_with_a_named_error(cls, data):
    names = _field_names(cls) + ["unknown_key"]
    mapping = data.draw(
        st.dictionaries(st.sampled_from(names), _config_values(), max_size=len(names))
    )
    try:
        from_mapping(cls, mapping)
    except (ValueError, TypeError):
        pass


@settings(max_examples=40, deadline=None, derandomize=True)
@given(data=st.data())
def test_any_yaml_file_given_to_fields_is_a_result_or_a_named_error(data, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("yaml")
    keys = ["model", "solver", "kind", "ed", "kpm", "num_twists", "electron_temperature"]
    document = data.draw(
        st.one_of(
            st.dictionaries(st.sampled_from(keys), _config_values(), max_size=3),
            st.text(max_size=30),
        )
    )
    text = document if isinstance(document, str) else yaml.safe_dump(document)
    config = tmp / "c.yaml"
    config.write_text(text)
    spins = tmp / "s.npy"
    np.save(spins, random_spins(6, np.random.default_rng(0)))
    args = ["fields", "--spins", spins, "--config", config, "--out", tmp / "f.npy"]
    outcome = run_cli([*args, "--no-compile"] if "kpm" in text else args)
    assert outcome.kind != "traceback", (text, outcome.stderr[-2000:])
