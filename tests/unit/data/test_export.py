"""OVF 2.0 and VTK export: exact round trips, the OVF header, malformed files, the CLI."""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from torquenet.cli import main
from torquenet.data import (
    export_ovf,
    export_trajectory,
    export_vtk,
    read_ovf,
    read_trajectory,
)
from torquenet.lattice import TriangularLattice

CHECK_VALUE_8 = struct.pack("<d", 123456789012345.0)


def random_spins(L: int, rng: np.random.Generator) -> np.ndarray:
    spins = rng.normal(size=(L, L, 3))
    return spins / np.linalg.norm(spins, axis=-1, keepdims=True)


def header_lines(path: Path) -> list[str]:
    data = path.read_bytes()
    head = data[: data.index(b"# Begin: Data")]
    return head.decode("ascii").splitlines()


def header_records(path: Path) -> dict[str, list[str]]:
    records: dict[str, list[str]] = {}
    for line in header_lines(path)[1:]:
        body = line[1:]
        if ":" in body:
            label, value = body.split(":", 1)
            records.setdefault("".join(label.split()).lower(), []).append(value.strip())
    return records


# ------------------------------------------------------------------ OVF round trips and header
@pytest.mark.parametrize("text", [False, True], ids=["binary8", "text"])
def test_ovf_round_trip_is_exact(tmp_path, rng, text):
    spins = random_spins(5, rng)
    path = export_ovf(spins, tmp_path / "m.ovf", text=text, time=0.1 + 0.2, step=7)
    back = read_ovf(path)
    assert back.spins.shape == (5, 5, 3)
    assert np.array_equal(back.spins, spins)
    assert back.time == 0.1 + 0.2 and back.step == 7
    assert back.representation == ("text" if text else "binary 8")
    assert back.header["xnodes"] == "5" and back.header["meshtype"] == "rectangular"


@pytest.mark.parametrize("text", [False, True], ids=["binary8", "text"])
def test_ovf_header_has_the_required_records(tmp_path, rng, text):
    L = 4
    path = export_ovf(random_spins(L, rng), tmp_path / "m.ovf", text=text, time=1.5, step=15)
    lines = header_lines(path)
    assert lines[0] == "# OOMMF OVF 2.0"
    records = header_records(path)
    assert records["segmentcount"] == ["1"]
    assert records["begin"] == ["Segment", "Header"]
    assert records["end"] == ["Header"]
    for key in ("title", "meshunit", "xbase", "ybase", "zbase", "xmin", "ymin", "zmin"):
        assert len(records[key]) == 1, key
    for key in ("xmax", "ymax", "zmax", "xstepsize", "ystepsize", "zstepsize", "valuelabels"):
        assert len(records[key]) == 1, key
    assert records["meshtype"] == ["rectangular"]
    assert records["valuedim"] == ["3"]
    assert records["valueunits"] == ["1 1 1"]
    assert records["xnodes"] == [str(L)] and records["ynodes"] == [str(L)]
    assert records["znodes"] == ["1"]
    assert float(records["ystepsize"][0]) == np.sqrt(3) / 2
    assert "valueunit" not in records  # OVF 1.0 only
    desc = " | ".join(records["desc"])
    for needle in ("torquenet 0.", "a1: 1.0 0.0 0.0", "a2: 0.5 0.8660254037844386 0.0"):
        assert needle in desc
    assert "time: 1.5" in desc and "step: 15" in desc and "site (i, j)" in desc
    data = path.read_bytes()
    representation = "Text" if text else "Binary 8"
    assert f"# Begin: Data {representation}\n".encode() in data
    assert data.endswith(f"\n# End: Data {representation}\n# End: Segment\n".encode())


def test_ovf_binary_block_little_endian_check_value_and_x_fastest(tmp_path, rng):
    L = 3
    spins = random_spins(L, rng)
    data = export_ovf(spins, tmp_path / "m.ovf").read_bytes()
    start = data.index(b"# Begin: Data Binary 8\n") + len(b"# Begin: Data Binary 8\n")
    assert data[start : start + 8] == CHECK_VALUE_8
    values = np.frombuffer(data[start + 8 : start + 8 + 8 * 3 * L * L], dtype="<f8")
    nodes = values.reshape(-1, 3)
    # OVF order: x index (i) fastest, then y index (j)
    assert np.array_equal(nodes[0], spins[0, 0])
    assert np.array_equal(nodes[1], spins[1, 0])
    assert np.array_equal(nodes[L], spins[0, 1])


def test_ovf_text_values_are_repr_precision(tmp_path, rng):
    spins = random_spins(2, rng)
    data = export_ovf(spins, tmp_path / "m.ovf", text=True).read_text()
    block = data.split("# Begin: Data Text\n")[1].split("# End: Data Text")[0]
    rows = [line.split() for line in block.strip().splitlines()]
    assert len(rows) == 4 and all(len(r) == 3 for r in rows)
    assert rows[1] == [repr(float(v)) for v in spins[1, 0]]


def test_ovf_is_read_by_spirits_ovf_library(tmp_path, rng):
    ovf = pytest.importorskip("ovf.ovf", reason="the optional Spirit OVF library is absent")
    L = 4
    spins = random_spins(L, rng)
    for text in (False, True):
        path = export_ovf(spins, tmp_path / f"m{int(text)}.ovf", text=text)
        with ovf.ovf_file(str(path)) as handle:
            assert handle.found and handle.is_ovf and handle.n_segments == 1
            segment = ovf.ovf_segment()
            assert handle.read_segment_header(0, segment) == ovf.OK
            assert list(segment.n_cells) == [L, L, 1] and segment.valuedim == 3
            data = np.zeros((L * L, 3))
            assert handle.read_segment_data(0, segment, data) == ovf.OK
        assert np.array_equal(data.reshape(L, L, 3).transpose(1, 0, 2), spins)


def test_export_ovf_refuses_an_existing_file_and_bad_spins(tmp_path, rng):
    path = export_ovf(random_spins(2, rng), tmp_path / "m.ovf")
    with pytest.raises(FileExistsError, match="--overwrite"):
        export_ovf(random_spins(2, rng), path)
    export_ovf(random_spins(2, rng), path, overwrite=True)
    with pytest.raises(ValueError, match="unit vectors"):
        export_ovf(np.ones((2, 2, 3)), tmp_path / "n.ovf")


# ------------------------------------------------------------------ malformed OVF files
def _replace(data: bytes, old: bytes, new: bytes) -> bytes:
    assert old in data
    return data.replace(old, new, 1)


MALFORMED = {
    "truncated binary": (False, lambda d: d[: len(d) // 2 + 300], "truncated"),
    "truncated text": (True, lambda d: d[: len(d) - 200], "truncated"),
    "wrong check value": (
        False,
        lambda d: _replace(d, CHECK_VALUE_8, struct.pack("<d", 1.0)),
        "check value",
    ),
    "big-endian check value": (
        False,
        lambda d: _replace(d, CHECK_VALUE_8, struct.pack(">d", 123456789012345.0)),
        "big-endian",
    ),
    "valuedim 1": (True, lambda d: _replace(d, b"valuedim: 3", b"valuedim: 1"), "valuedim"),
    "irregular mesh": (
        True,
        lambda d: _replace(d, b"meshtype: rectangular", b"meshtype: irregular"),
        "meshtype",
    ),
    "missing xnodes": (True, lambda d: _replace(d, b"# xnodes: 3\n", b""), "xnodes"),
    "two layers": (True, lambda d: _replace(d, b"znodes: 1", b"znodes: 2"), "znodes"),
    "not a number": (True, lambda d: _replace(d, b"Text\n", b"Text\nabc"), "non-number"),
    "extra values": (True, lambda d: _replace(d, b"# End: D", b"1 2 3\n# End: D"), "30 values"),
    "not OVF": (True, lambda d: b"x y z\n1 2 3\n", "not an OVF 2.0 file"),
    "OVF 1.0": (True, lambda d: _replace(d, b"OVF 2.0", b"OVF 1.0"), "not an OVF 2.0 file"),
    "empty": (True, lambda d: b"", "not an OVF 2.0 file"),
    "binary garbage": (True, lambda d: b"\x93NUMPY\x01\x00\xff\xfe", "not an OVF 2.0 file"),
    "no end segment": (True, lambda d: d.replace(b"# End: Segment\n", b""), "truncated"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_ovf_is_a_value_error_naming_the_file(tmp_path, rng, case):
    text, damage, message = MALFORMED[case]
    good = export_ovf(random_spins(3, rng), tmp_path / "good.ovf", text=text)
    bad = tmp_path / "bad file.ovf"
    bad.write_bytes(damage(good.read_bytes()))
    with pytest.raises(ValueError, match=message) as info:
        read_ovf(bad)
    assert str(bad) in str(info.value)


def test_read_ovf_missing_file_and_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.ovf"):
        read_ovf(tmp_path / "nope.ovf")
    with pytest.raises(ValueError, match="directory"):
        read_ovf(tmp_path)


# ------------------------------------------------------------------ VTK
def read_vtu(path: Path) -> tuple[dict[str, np.ndarray], ET.Element]:
    """Tiny independent .vtu reader: every DataArray by Name (ASCII or raw appended, UInt64)."""
    data = path.read_bytes()
    cut = data.find(b"<AppendedData")
    if cut < 0:
        root = ET.fromstring(data)
        raw = b""
    else:
        root = ET.fromstring(data[:cut] + b"</VTKFile>")
        raw = data[data.index(b"_", cut) + 1 :]
        assert root.get("header_type") == "UInt64" and root.get("byte_order") == "LittleEndian"
    types = {"Float64": "<f8", "Int64": "<i8", "UInt8": "u1"}
    arrays = {}
    for element in root.iter("DataArray"):
        dtype = types[element.get("type")]
        if element.get("format") == "appended":
            offset = int(element.get("offset"))
            nbytes = int(np.frombuffer(raw[offset : offset + 8], "<u8")[0])
            values = np.frombuffer(raw[offset + 8 : offset + 8 + nbytes], dtype)
        else:
            assert element.get("format") == "ascii"
            values = np.array(element.text.split(), dtype=dtype)
        components = int(element.get("NumberOfComponents", "1"))
        arrays[element.get("Name")] = values.reshape(-1, components).squeeze()
    return arrays, root


@pytest.mark.parametrize("binary", [True, False], ids=["binary", "ascii"])
def test_vtu_holds_the_points_spins_and_triangles(tmp_path, rng, binary):
    L = 5
    spins = random_spins(L, rng)
    path = export_vtk(spins, tmp_path / "m.vtu", binary=binary, time=2.5, step=25)
    arrays, root = read_vtu(path)
    piece = root.find("UnstructuredGrid/Piece")
    assert piece.get("NumberOfPoints") == str(L * L)
    assert root.find("UnstructuredGrid/Piece/PointData").get("Vectors") == "spin"
    points = arrays["Points"]
    lattice = TriangularLattice(L)
    assert np.array_equal(points[:, :2], lattice.positions.reshape(-1, 2))
    assert np.all(points[:, 2] == 0)
    assert np.array_equal(arrays["spin"], spins.reshape(-1, 3))
    assert np.array_equal(arrays["S_z"], spins[..., 2].reshape(-1))
    assert np.array_equal(arrays["i"] * L + arrays["j"], np.arange(L * L))
    # the elementary triangles that do not wrap around the torus, every edge of length 1
    num_cells = int(piece.get("NumberOfCells"))
    assert num_cells == 2 * (L - 1) ** 2
    assert np.all(arrays["types"] == 5)
    assert np.array_equal(arrays["offsets"], 3 * np.arange(1, num_cells + 1))
    corners = points[arrays["connectivity"].reshape(-1, 3)]
    edges = np.linalg.norm(corners - np.roll(corners, 1, axis=1), axis=-1)
    assert np.allclose(edges, 1.0)
    assert arrays["TimeValue"] == 2.5 and arrays["step"] == 25


def test_vtu_vertices_and_meshio_cross_check(tmp_path, rng):
    spins = random_spins(4, rng)
    path = export_vtk(spins, tmp_path / "v.vtu", cells="vertices")
    arrays, _ = read_vtu(path)
    assert np.array_equal(arrays["types"], np.ones(16)) and len(arrays["connectivity"]) == 16
    meshio = pytest.importorskip("meshio", reason="the optional meshio reader is absent")
    for name, binary in (("b.vtu", True), ("a.vtu", False)):
        mesh = meshio.read(export_vtk(spins, tmp_path / name, binary=binary))
        assert mesh.points.shape == (16, 3)
        assert np.array_equal(mesh.point_data["spin"], spins.reshape(-1, 3))
        assert mesh.cells[0].type == "triangle" and len(mesh.cells[0].data) == 18


# ------------------------------------------------------------------ trajectories and the CLI
@pytest.fixture(scope="module")
def run_file(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("run") / "run.h5"
    args = ["simulate", "--L", "6", "--steps", "2", "--save-every", "1", "--out", str(out)]
    assert main([*args, "--twists", "1", "--seed", "3"]) == 0
    return out


def test_cli_ovf_frames_named_by_step_and_overwrite_policy(run_file, tmp_path, capsys):
    run = read_trajectory(run_file)
    assert run.num_frames == 3
    out = tmp_path / "ovf"
    argv = ["export", str(run_file), "--format", "ovf", "--out", str(out), "--frames", "0", "-1"]
    assert main(argv) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == ["step_00000000.ovf", "step_00000002.ovf"]
    printed = capsys.readouterr().out
    assert all(str(out / name) in printed for name in names)
    last = read_ovf(out / "step_00000002.ovf")
    assert np.array_equal(last.spins, run.spins[-1])
    assert last.step == 2 and last.time == run.times[-1]
    # refused without --overwrite, nothing changed; allowed with it
    before = (out / names[0]).stat().st_mtime_ns
    assert main(argv) == 2
    assert "already exist" in capsys.readouterr().err
    assert (out / names[0]).stat().st_mtime_ns == before
    assert main([*argv, "--overwrite"]) == 0


def test_cli_out_of_range_frame_is_exit_2(run_file, tmp_path, capsys):
    out = tmp_path / "o"
    argv = ["export", str(run_file), "--format", "ovf-text", "--out", str(out), "--frames", "3"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "torquenet export: error:" in err and "out of range" in err and "3 frame" in err
    assert not out.exists()
    assert main([*argv[:-1], "-4"]) == 2


def test_cli_vtk_trajectory_with_pvd(run_file, tmp_path):
    run = read_trajectory(run_file)
    out = tmp_path / "vtk"
    assert main(["export", str(run_file), "--format", "vtk", "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "step_00000000.vtu",
        "step_00000001.vtu",
        "step_00000002.vtu",
        "trajectory.pvd",
    ]
    collection = ET.parse(out / "trajectory.pvd").getroot()
    assert collection.get("type") == "Collection"
    datasets = collection.findall("Collection/DataSet")
    assert [float(d.get("timestep")) for d in datasets] == run.times.tolist()
    for k, dataset in enumerate(datasets):
        arrays, _ = read_vtu(out / dataset.get("file"))
        assert np.array_equal(arrays["spin"], run.spins[k].reshape(-1, 3))


def test_cli_single_texture_is_one_file(tmp_path, rng, capsys):
    spins_file = tmp_path / "spins.npy"
    np.save(spins_file, random_spins(6, rng))
    out = tmp_path / "texture.ovf"
    assert main(["export", str(spins_file), "--format", "ovf-text", "--out", str(out)]) == 0
    assert np.array_equal(read_ovf(out).spins, np.load(spins_file))
    assert main(["export", str(spins_file), "--format", "ovf-text", "--out", str(out)]) == 2
    argv = ["export", str(spins_file), "--format", "vtk", "--out", str(tmp_path / "t.ovf")]
    assert main(argv) == 2
    assert "must end in .vtu" in capsys.readouterr().err
    argv = ["export", str(spins_file), "--format", "ovf", "--out", str(out), "--frames", "0"]
    assert main([*argv, "--overwrite"]) == 2
    assert "single texture" in capsys.readouterr().err


def test_export_trajectory_api_on_a_batch(tmp_path, rng):
    batch = np.stack([random_spins(3, rng) for _ in range(3)])
    written = export_trajectory(batch, tmp_path / "b", "vtk-ascii", frames=[-1, 0, 0])
    assert [p.name for p in written] == ["step_00000002.vtu", "step_00000000.vtu", "trajectory.pvd"]
    with pytest.raises(ValueError, match="format must be one of"):
        export_trajectory(batch, tmp_path / "c", "xyz")
    with pytest.raises(ValueError, match="must be a trajectory"):
        export_trajectory(tmp_path / "x.txt", tmp_path / "c")
