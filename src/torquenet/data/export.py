"""Spin textures and trajectories in the formats other spin codes read: OVF 2.0 and VTK.

**OVF 2.0** (OOMMF vector field; read by OOMMF, Spirit, MuMax3's tools, ubermag).  OVF meshes
are rectangular (or irregular point clouds, which Spirit and MuMax3 do not read), so the
triangular lattice is written as a *rectangular mesh of L x L x 1 nodes in lattice coordinates*:
node (x index, y index) = (i, j) holds the spin of site (i, j) at r = i a1 + j a2, with the x
index running fastest (OVF's node order, which is also Spirit's site order for its hexagonal
lattice with a1 = (1, 0, 0), a2 = (1/2, sqrt(3)/2, 0), so Spirit reads the file onto the right
sites).  The mesh steps are x = 1 (|a1|) and y = sqrt(3)/2 (the row spacing), so y positions and
the area per site are exact; a program that takes the mesh as rectangular draws the texture
sheared by 30 degrees (true x = mesh x + mesh y / sqrt(3)).  The header's ``Desc`` lines state
this mapping, the lattice vectors, the time, the step and the torquenet version.  The mesh unit
is the lattice constant (``meshunit: a``), the values are the dimensionless unit spins.  Both
data representations are written: ``Data Binary 8`` (little-endian float64 after the check value
123456789012345.0, as OVF 2.0 prescribes) and ``Data Text`` (shortest round-trip decimal, so
both are exact).

**VTK** (ParaView, VisIt): XML unstructured grids (``.vtu``) of the lattice points at their true
positions (z = 0), point data ``spin`` (vectors), ``S_z`` (scalars) and the lattice indices
``i``, ``j``; as cells the elementary triangles of :attr:`TriangularLattice.triangles` that do not
cross the periodic boundary (a coloured surface), or one vertex per site.  A trajectory becomes
one ``.vtu`` per frame and a ``.pvd`` collection with the times, which ParaView plays as an
animation.  Binary files carry raw little-endian appended data (UInt64 block headers).

Every file is written to ``<name>.tmp`` and moved into place atomically.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from xml.sax.saxutils import quoteattr

import numpy as np
from numpy.typing import NDArray

from torquenet._validation import check_spins
from torquenet._version import __version__
from torquenet.data.storage import Trajectory, read_spins, read_trajectory
from torquenet.lattice import TriangularLattice

__all__ = [
    "EXPORT_FORMATS",
    "OVFData",
    "export_ovf",
    "export_trajectory",
    "export_vtk",
    "frame_file_name",
    "read_ovf",
]

#: Formats of :func:`export_trajectory` and ``torquenet export --format``.
EXPORT_FORMATS = ("ovf", "ovf-text", "vtk", "vtk-ascii")
#: File suffix written for each format.
FORMAT_SUFFIX = {"ovf": ".ovf", "ovf-text": ".ovf", "vtk": ".vtu", "vtk-ascii": ".vtu"}

_SQRT3_2 = float(np.sqrt(3.0) / 2.0)
_CHECK_VALUES = {4: 1234567.0, 8: 123456789012345.0}
_REQUIRED_HEADER = (
    "title",
    "meshunit",
    "meshtype",
    "valuedim",
    "valuelabels",
    "valueunits",
    "xmin",
    "ymin",
    "zmin",
    "xmax",
    "ymax",
    "zmax",
)
_RECTANGULAR_HEADER = (
    "xbase",
    "ybase",
    "zbase",
    "xstepsize",
    "ystepsize",
    "zstepsize",
    "xnodes",
    "ynodes",
    "znodes",
)


# --------------------------------------------------------------------------- helpers
def _atomic_write(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``<path>.tmp``, fsync, and move it onto ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def _refuse_existing(path: Path, overwrite: bool) -> None:
    if path.is_dir():
        raise ValueError(f"{str(path)!r} is a directory; name a file")
    if path.exists() and not overwrite:
        raise FileExistsError(f"{str(path)!r} already exists; pass --overwrite to replace it")


def _texture(spins: Any) -> NDArray[np.float64]:
    arr = check_spins(spins)
    if arr.ndim != 3:
        raise ValueError(f"expected one texture of shape (L, L, 3), got {arr.shape}")
    return arr


def _clean(text: str) -> str:
    """A header value on one line without OVF's comment marker ``##``."""
    return " ".join(str(text).replace("##", "#").split())


def _repr_floats(values: NDArray[np.float64]) -> str:
    """Rows of shortest round-trip decimals (``repr``), one row per line."""
    return "\n".join(" ".join(map(repr, row)) for row in np.asarray(values, float).tolist())


# --------------------------------------------------------------------------- OVF 2.0
@dataclass(frozen=True)
class OVFData:
    """One segment of an OVF 2.0 file, as read by :func:`read_ovf`.

    Attributes
    ----------
    spins : ndarray, shape (xnodes, ynodes, 3)
        The vectors, indexed ``[x index, y index]`` (for torquenet files: ``spins[i, j]``).
        Not normalised or otherwise changed.
    title : str
    descriptions : tuple of str
        The ``Desc`` lines in order.
    time, step : float or int, or None
        From the ``Desc`` lines ``time: T`` and ``step: N`` (torquenet files), else None.
    representation : str
        ``"text"``, ``"binary 4"`` or ``"binary 8"``.
    header : dict
        Every header record (lower-case keys without blanks, as OVF prescribes) except desc.
    """

    spins: NDArray[np.float64]
    title: str
    descriptions: tuple[str, ...] = ()
    time: float | None = None
    step: int | None = None
    representation: str = "binary 8"
    header: dict[str, str] = field(default_factory=dict)


def _ovf_bytes(
    spins: NDArray[np.float64],
    *,
    text: bool,
    time: float | None,
    step: int | None,
    title: str | None,
    description: Iterable[str],
) -> bytes:
    L = spins.shape[0]
    a1, a2 = TriangularLattice.primitive_vectors.tolist()
    desc = [
        f"torquenet {__version__}: unit spins S_i of the triangular-lattice s-d model",
        f"lattice: triangular, {L} x {L} sites, periodic along a1 and a2, lattice constant a = 1",
        f"a1: {a1[0]!r} {a1[1]!r} 0.0",
        f"a2: {a2[0]!r} {a2[1]!r} 0.0",
        "mesh: node (x index, y index) = site (i, j) at r = i a1 + j a2, x index fastest; mesh x "
        "= i, mesh y = j sqrt(3)/2: the lattice sheared to a rectangle, true x = mesh x + mesh y "
        "/ sqrt(3)",
    ]
    if time is not None:
        desc.append(f"time: {float(time)!r}")
        desc.append("time unit: t0 = 1/(gamma J S)")
    if step is not None:
        desc.append(f"step: {int(step)}")
    desc.extend(description)
    title = title if title is not None else "torquenet spin texture"
    representation = "Text" if text else "Binary 8"
    lines = [
        "# OOMMF OVF 2.0",
        "#",
        "# Segment count: 1",
        "#",
        "# Begin: Segment",
        "# Begin: Header",
        "#",
        f"# Title: {_clean(title)}",
        *(f"# Desc: {_clean(d)}" for d in desc),
        "#",
        "# meshunit: a",
        "# meshtype: rectangular",
        "# xbase: 0.0",
        "# ybase: 0.0",
        "# zbase: 0.0",
        "# xstepsize: 1.0",
        f"# ystepsize: {_SQRT3_2!r}",
        "# zstepsize: 1.0",
        f"# xnodes: {L}",
        f"# ynodes: {L}",
        "# znodes: 1",
        "# xmin: -0.5",
        f"# ymin: {-_SQRT3_2 / 2!r}",
        "# zmin: -0.5",
        f"# xmax: {L - 0.5!r}",
        f"# ymax: {(L - 0.5) * _SQRT3_2!r}",
        "# zmax: 0.5",
        "#",
        "# valuedim: 3",
        "# valuelabels: S_x S_y S_z",
        "# valueunits: 1 1 1",
        "#",
        "# End: Header",
        "#",
        f"# Begin: Data {representation}",
    ]
    # OVF node order: x index (i) fastest, then y index (j)
    values = np.ascontiguousarray(spins.transpose(1, 0, 2).reshape(-1, 3))
    head = ("\n".join(lines) + "\n").encode("ascii")
    if text:
        body = (_repr_floats(values) + "\n").encode("ascii")
    else:
        check = np.array([_CHECK_VALUES[8]], dtype="<f8")
        body = check.tobytes() + values.astype("<f8").tobytes() + b"\n"
    tail = f"# End: Data {representation}\n# End: Segment\n".encode("ascii")
    return head + body + tail


def export_ovf(
    spins: Any,
    path: str | Path,
    *,
    text: bool = False,
    time: float | None = None,
    step: int | None = None,
    title: str | None = None,
    description: Iterable[str] = (),
    overwrite: bool = False,
) -> Path:
    """Write one texture as an OVF 2.0 file (rectangular mesh of L x L x 1 nodes).

    Parameters
    ----------
    spins : array_like, shape (L, L, 3)
        Unit spins ``spins[i, j]`` of site r = i a1 + j a2.
    path : str or Path
        The file, written under exactly this name (conventionally ``.ovf``).
    text : bool
        ``Data Text`` (shortest exact decimals) instead of ``Data Binary 8``.
    time, step : float, int, optional
        Recorded in the header's ``Desc`` lines (``time: T``, ``step: N``).
    title : str, optional
        The ``Title`` record (default ``torquenet spin texture``).
    description : iterable of str
        Extra ``Desc`` lines.
    overwrite : bool
        Replace an existing file (else FileExistsError).

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> import tempfile
    >>> spins = np.zeros((4, 4, 3)); spins[..., 2] = 1.0
    >>> with tempfile.TemporaryDirectory() as d:
    ...     back = read_ovf(export_ovf(spins, Path(d) / "m.ovf", time=0.5, step=5))
    >>> bool(np.array_equal(back.spins, spins)), back.time, back.step
    (True, 0.5, 5)
    """
    path = Path(path)
    _refuse_existing(path, overwrite)
    arr = _texture(spins)
    data = _ovf_bytes(
        arr, text=text, time=time, step=step, title=title, description=list(description)
    )
    return _atomic_write(path, data)


class _OVFParser:
    """Line-by-line parser of OVF 2.0 bytes; every error names the file."""

    def __init__(self, path: Path, data: bytes) -> None:
        self.path = path
        self.data = data
        self.pos = 0
        self.line_number = 0

    def error(self, problem: str) -> ValueError:
        return ValueError(f"OVF file {str(self.path)!r}: {problem}")

    def readline(self) -> str | None:
        if self.pos >= len(self.data):
            return None
        end = self.data.find(b"\n", self.pos)
        end = len(self.data) if end < 0 else end
        raw = self.data[self.pos : end]
        self.pos = end + 1
        self.line_number += 1
        try:
            return raw.decode("ascii").rstrip("\r")
        except UnicodeDecodeError:
            raise self.error(
                f"line {self.line_number} is not ASCII text (binary data outside a data block, "
                f"or not an OVF file)"
            ) from None

    def record(self, line: str) -> tuple[str, str] | None:
        """(label, value) of a header line, None for a blank or comment line."""
        if not line.startswith("#"):
            raise self.error(
                f"line {self.line_number} ({line[:60]!r}) does not start with '#' outside a data "
                f"block"
            )
        body = line[1:].split("##", 1)[0]
        if not body.strip():
            return None
        if ":" not in body:
            raise self.error(f"line {self.line_number} ({line[:60]!r}) is not 'label: value'")
        label, value = body.split(":", 1)
        return "".join(label.split()).lower(), value.strip()

    def parse(self) -> list[OVFData]:
        raw_first = self.data.split(b"\n", 1)[0].rstrip(b"\r")
        first = self.readline() if raw_first.isascii() else raw_first.decode("latin-1")
        if first is None or " ".join(first.split()).lower() != "# oommf ovf 2.0":
            shown = "an empty file" if first is None else repr(first[:60])
            raise self.error(
                f"not an OVF 2.0 file: the first line must be '# OOMMF OVF 2.0', found {shown}"
            )
        segments: list[OVFData] = []
        declared: int | None = None
        while True:
            line = self.readline()
            if line is None:
                break
            rec = self.record(line)
            if rec is None:
                continue
            label, value = rec
            if label == "segmentcount":
                declared = self.integer(label, value, minimum=1)
            elif label == "begin" and value.lower() == "segment":
                segments.append(self.segment())
            else:
                raise self.error(f"line {self.line_number}: unexpected {line.strip()[:60]!r}")
        if declared is None:
            raise self.error("no '# Segment count:' line")
        if not segments:
            raise self.error("holds no segment (no '# Begin: Segment')")
        if len(segments) != declared:
            raise self.error(
                f"declares {declared} segment(s) but holds {len(segments)} (truncated?)"
            )
        return segments

    def integer(self, label: str, value: str, minimum: int) -> int:
        try:
            number = int(value)
        except ValueError:
            raise self.error(f"{label} must be an integer, got {value!r}") from None
        if number < minimum:
            raise self.error(f"{label} must be >= {minimum}, got {number}")
        return number

    def segment(self) -> OVFData:
        header: dict[str, str] = {}
        descriptions: list[str] = []
        in_header = False
        result: OVFData | None = None
        while True:
            line = self.readline()
            if line is None:
                raise self.error("ends inside a segment (truncated: no '# End: Segment')")
            rec = self.record(line)
            if rec is None:
                continue
            label, value = rec
            keyword = " ".join(value.lower().split())
            if label == "begin" and keyword == "header":
                in_header = True
            elif label == "end" and keyword == "header":
                in_header = False
            elif label == "begin" and keyword.startswith("data"):
                if in_header:
                    raise self.error("data block starts inside the header (no '# End: Header')")
                result = self.data_block(keyword[4:].strip(), header, descriptions)
            elif label == "end" and keyword == "segment":
                if result is None:
                    raise self.error("segment without a data block")
                return result
            elif in_header:
                if label == "desc":
                    descriptions.append(value)
                else:
                    header[label] = value
            else:
                raise self.error(f"line {self.line_number}: unexpected {line.strip()[:60]!r}")

    def mesh(self, header: dict[str, str]) -> tuple[int, int, int]:
        missing = [key for key in _REQUIRED_HEADER if key not in header]
        if missing:
            raise self.error(f"header lacks the required OVF 2.0 record(s) {missing}")
        if "valueunit" in header:
            raise self.error("has an OVF 1.0 'valueunit' record, not allowed in OVF 2.0")
        meshtype = header["meshtype"].lower()
        if meshtype != "rectangular":
            raise self.error(
                f"meshtype {header['meshtype']!r} is not supported (only rectangular meshes map "
                f"onto a lattice)"
            )
        valuedim = self.integer("valuedim", header["valuedim"], minimum=1)
        if valuedim != 3:
            raise self.error(f"valuedim is {valuedim}; spins need valuedim 3")
        missing = [key for key in _RECTANGULAR_HEADER if key not in header]
        if missing:
            raise self.error(f"rectangular mesh header lacks the record(s) {missing}")
        nodes = tuple(self.integer(f"{a}nodes", header[f"{a}nodes"], minimum=1) for a in "xyz")
        if nodes[2] != 1:
            raise self.error(f"znodes is {nodes[2]}; a lattice texture has one layer (znodes 1)")
        return nodes  # type: ignore[return-value]

    def data_block(
        self, representation: str, header: dict[str, str], descriptions: list[str]
    ) -> OVFData:
        nx, ny, nz = self.mesh(header)
        count = nx * ny * nz * 3
        if representation == "text":
            values = self.text_values(count)
        elif representation in ("binary 4", "binary 8"):
            values = self.binary_values(int(representation[-1]), count)
        else:
            raise self.error(
                f"unknown data representation {representation!r} (text, binary 4 or binary 8)"
            )
        if not np.all(np.isfinite(values)):
            first = int(np.argwhere(~np.isfinite(values))[0][0]) // 3
            raise self.error(f"data hold NaN or inf (first at node {first})")
        spins = values.reshape(ny, nx, 3).transpose(1, 0, 2).copy()
        time, step = None, None
        for text in descriptions:
            key, _, rest = text.partition(":")
            try:
                if key.strip().lower() == "time":
                    time = float(rest)
                elif key.strip().lower() == "step":
                    step = int(rest)
            except ValueError:
                raise self.error(f"Desc line {text!r} is not a number") from None
        return OVFData(
            spins=spins,
            title=header["title"],
            descriptions=tuple(descriptions),
            time=time,
            step=step,
            representation=representation,
            header=dict(header),
        )

    def end_of_data(self, representation: str) -> None:
        line = self.readline()
        rec = self.record(line) if line is not None and line.startswith("#") else None
        ended = rec is not None and rec[0] == "end"
        if not ended or " ".join(rec[1].lower().split()) != f"data {representation}":
            shown = "the end of the file" if line is None else repr(line[:60])
            raise self.error(
                f"expected '# End: Data {representation.title()}' after the data, found {shown} "
                f"(truncated, or more data than the mesh holds?)"
            )

    def text_values(self, count: int) -> NDArray[np.float64]:
        tokens: list[str] = []
        while True:
            line = self.readline()
            if line is None:
                raise self.error(
                    f"truncated: the text data block ends after {len(tokens)} of {count} values "
                    f"(no '# End: Data Text')"
                )
            if line.lstrip().startswith("#"):
                rec = self.record(line.lstrip())
                if rec is not None and rec[0] == "end":
                    if " ".join(rec[1].lower().split()) != "data text":
                        raise self.error(f"line {self.line_number}: {line!r} inside text data")
                    break
                continue
            tokens.extend(line.split("##", 1)[0].split())
        if len(tokens) != count:
            raise self.error(
                f"text data block holds {len(tokens)} values, the mesh needs {count} "
                f"(xnodes * ynodes * znodes * valuedim; truncated?)"
            )
        try:
            return np.array(tokens, dtype=np.float64)
        except ValueError as exc:
            raise self.error(f"text data block holds a non-number: {exc}") from None

    def binary_values(self, width: int, count: int) -> NDArray[np.float64]:
        need = width * (count + 1)
        available = len(self.data) - self.pos
        if available < need:
            raise self.error(
                f"truncated: the Binary {width} data block needs {need} bytes (check value + "
                f"{count} values), the file holds {max(available, 0)} after its header"
            )
        block = self.data[self.pos : self.pos + need]
        self.pos += need
        check = np.frombuffer(block[:width], dtype=f"<f{width}")[0]
        if check != _CHECK_VALUES[width]:
            big = np.frombuffer(block[:width], dtype=f">f{width}")[0]
            hint = (
                " (it is big-endian, as in OVF 1.0; OVF 2.0 binary data are little-endian)"
                if big == _CHECK_VALUES[width]
                else ""
            )
            raise self.error(
                f"wrong Binary {width} check value {float(check)!r}, expected "
                f"{_CHECK_VALUES[width]!r}{hint}"
            )
        values = np.frombuffer(block[width:], dtype=f"<f{width}").astype(np.float64)
        # the last datum is followed by a newline, then the end line
        if self.data[self.pos : self.pos + 1] == b"\n":
            self.pos += 1
        self.end_of_data(f"binary {width}")
        return values


def read_ovf(path: str | Path, segment: int = 0) -> OVFData:
    """Read one segment of an OVF 2.0 file with a rectangular mesh of one layer.

    Reads every data representation (text, binary 4, binary 8); the values are returned as
    stored (binary 8 and torquenet's text files give back the written spins exactly).

    Parameters
    ----------
    path : str or Path
    segment : int
        Which segment (files from Spirit may hold several; torquenet writes one).

    Raises
    ------
    FileNotFoundError
        No such file.
    ValueError
        Naming the file and the problem: not OVF 2.0, a missing header record, a mesh that is
        not rectangular with znodes 1, valuedim other than 3, truncated data, a wrong binary
        check value, non-numbers, NaN/inf, or no such segment.
    """
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"OVF file {str(path)!r} is a directory")
    if not path.is_file():
        raise FileNotFoundError(f"OVF file {str(path)!r} does not exist")
    segments = _OVFParser(path, path.read_bytes()).parse()
    if not -len(segments) <= segment < len(segments):
        raise ValueError(
            f"OVF file {str(path)!r} holds {len(segments)} segment(s); segment {segment} "
            f"does not exist"
        )
    return segments[segment]


# --------------------------------------------------------------------------- VTK
_VTK_VERTEX, _VTK_TRIANGLE = 1, 5


def _open_triangles(lattice: TriangularLattice) -> NDArray[np.int64]:
    """Elementary triangles that do not cross the periodic boundary.

    :attr:`TriangularLattice.triangles` lists the up triangles of sites 0..N-1, then the down
    triangles; those of site (i, j) stay inside the sheet when i, j < L - 1.
    """
    L = lattice.L
    i, j = np.meshgrid(np.arange(L), np.arange(L), indexing="ij")
    inside = ((i < L - 1) & (j < L - 1)).reshape(-1)
    return lattice.triangles[np.concatenate([inside, inside])]


class _VTUArrays:
    """DataArray elements of one .vtu file, inline ASCII or raw appended binary."""

    def __init__(self, binary: bool) -> None:
        self.binary = binary
        self.appended: list[bytes] = []
        self.offset = 0

    def element(self, name: str | None, values: NDArray, components: int = 1) -> str:
        values = np.asarray(values)
        vtk_type = {"f": "Float64", "i": "Int64", "u": "UInt8"}[values.dtype.kind]
        dtype = {"Float64": "<f8", "Int64": "<i8", "UInt8": "u1"}[vtk_type]
        attrs = f'type="{vtk_type}"'
        if name is not None:
            attrs += f" Name={quoteattr(name)}"
        if components > 1:
            attrs += f' NumberOfComponents="{components}"'
        flat = np.ascontiguousarray(values, dtype=dtype).reshape(-1, components)
        if self.binary:
            raw = flat.tobytes()
            block = np.array([len(raw)], dtype="<u8").tobytes() + raw
            element = f'<DataArray {attrs} format="appended" offset="{self.offset}"/>'
            self.appended.append(block)
            self.offset += len(block)
            return element
        if vtk_type == "Float64":
            text = _repr_floats(flat)
        else:
            text = "\n".join(" ".join(map(str, row)) for row in flat.tolist())
        return f'<DataArray {attrs} format="ascii">\n{text}\n</DataArray>'


def _vtu_bytes(
    spins: NDArray[np.float64],
    *,
    binary: bool,
    time: float | None,
    step: int | None,
    cells: str,
) -> bytes:
    L = spins.shape[0]
    lattice = TriangularLattice(L)
    points = np.zeros((L * L, 3))
    points[:, :2] = lattice.positions.reshape(-1, 2)
    flat_spins = spins.reshape(-1, 3)
    i, j = np.meshgrid(np.arange(L), np.arange(L), indexing="ij")
    triangles = _open_triangles(lattice) if cells == "triangles" else np.empty((0, 3), np.int64)
    if len(triangles):
        connectivity = triangles.reshape(-1)
        offsets = 3 * np.arange(1, len(triangles) + 1)
        types = np.full(len(triangles), _VTK_TRIANGLE, dtype=np.uint8)
    else:  # one vertex per site (also for L < 2, where no triangle fits)
        connectivity = np.arange(L * L)
        offsets = np.arange(1, L * L + 1)
        types = np.full(L * L, _VTK_VERTEX, dtype=np.uint8)
    arrays = _VTUArrays(binary)
    field_data = []
    if time is not None:
        field_data.append(
            f'<DataArray type="Float64" Name="TimeValue" NumberOfTuples="1" format="ascii">'
            f"{float(time)!r}</DataArray>"
        )
    if step is not None:
        field_data.append(
            f'<DataArray type="Int64" Name="step" NumberOfTuples="1" format="ascii">'
            f"{int(step)}</DataArray>"
        )
    parts = [
        '<?xml version="1.0"?>',
        f"<!-- torquenet {__version__}: unit spins of the {L} x {L} periodic triangular "
        f"lattice, site (i, j) at r = i a1 + j a2, a1 = (1, 0), a2 = (1/2, sqrt(3)/2); point "
        f"k = i L + j -->",
        '<VTKFile type="UnstructuredGrid" version="1.0" byte_order="LittleEndian" '
        'header_type="UInt64">',
        "<UnstructuredGrid>",
    ]
    if field_data:
        parts += ["<FieldData>", *field_data, "</FieldData>"]
    parts += [
        f'<Piece NumberOfPoints="{L * L}" NumberOfCells="{len(types)}">',
        '<PointData Vectors="spin" Scalars="S_z">',
        arrays.element("spin", flat_spins, 3),
        arrays.element("S_z", flat_spins[:, 2]),
        arrays.element("i", i.reshape(-1)),
        arrays.element("j", j.reshape(-1)),
        "</PointData>",
        "<Points>",
        arrays.element("Points", points, 3),
        "</Points>",
        "<Cells>",
        arrays.element("connectivity", connectivity.astype(np.int64)),
        arrays.element("offsets", offsets.astype(np.int64)),
        arrays.element("types", types),
        "</Cells>",
        "</Piece>",
        "</UnstructuredGrid>",
    ]
    head = "\n".join(parts) + "\n"
    if not binary:
        return (head + "</VTKFile>\n").encode("ascii")
    return (
        (head + '<AppendedData encoding="raw">\n_').encode("ascii")
        + b"".join(arrays.appended)
        + b"\n</AppendedData>\n</VTKFile>\n"
    )


def export_vtk(
    spins: Any,
    path: str | Path,
    *,
    binary: bool = True,
    time: float | None = None,
    step: int | None = None,
    cells: Literal["triangles", "vertices"] = "triangles",
    overwrite: bool = False,
) -> Path:
    """Write one texture as a VTK XML unstructured grid (``.vtu``) for ParaView.

    Points are the sites at r = i a1 + j a2 (z = 0), point k = i L + j; point data ``spin``
    (vectors), ``S_z`` (scalars), ``i`` and ``j``; field data ``TimeValue`` and ``step`` when
    given.

    Parameters
    ----------
    spins : array_like, shape (L, L, 3)
    path : str or Path
        The file, written under exactly this name (conventionally ``.vtu``).
    binary : bool
        Raw little-endian appended data (compact) instead of inline ASCII.
    time, step : float, int, optional
    cells : {"triangles", "vertices"}
        The elementary triangles not crossing the periodic boundary (a surface ParaView can
        colour), or one vertex cell per site.
    overwrite : bool
        Replace an existing file (else FileExistsError).

    Returns
    -------
    Path
        ``path``.
    """
    if cells not in ("triangles", "vertices"):
        raise ValueError(f"cells must be 'triangles' or 'vertices', got {cells!r}")
    path = Path(path)
    _refuse_existing(path, overwrite)
    arr = _texture(spins)
    return _atomic_write(path, _vtu_bytes(arr, binary=binary, time=time, step=step, cells=cells))


def _pvd_bytes(entries: Sequence[tuple[float, str]]) -> bytes:
    lines = [
        '<?xml version="1.0"?>',
        '<VTKFile type="Collection" version="0.1" byte_order="LittleEndian">',
        "<Collection>",
        *(
            f'<DataSet timestep="{float(t)!r}" group="" part="0" file={quoteattr(name)}/>'
            for t, name in entries
        ),
        "</Collection>",
        "</VTKFile>",
    ]
    return ("\n".join(lines) + "\n").encode("ascii")


# --------------------------------------------------------------------------- trajectories
def frame_file_name(step: int, suffix: str, width: int = 8) -> str:
    """``step_00000010.ovf``: frame files named by their step, zero-padded so they sort."""
    return f"step_{int(step):0{width}d}{suffix}"


def _select_frames(frames: Sequence[int] | None, num_frames: int) -> list[int]:
    if frames is None:
        return list(range(num_frames))
    selected: list[int] = []
    for index in frames:
        index = int(index)
        if not -num_frames <= index < num_frames:
            raise ValueError(
                f"--frames index {index} is out of range for {num_frames} frame(s) (valid: "
                f"{-num_frames}..{num_frames - 1}, negative counting from the end)"
            )
        index %= num_frames
        if index not in selected:
            selected.append(index)
    if not selected:
        raise ValueError("--frames selects no frame")
    return selected


def _load(source: Any) -> tuple[NDArray[np.float64], NDArray | None, NDArray | None, str]:
    """(spins (L, L, 3) or (T, L, L, 3), times or None, steps or None, description)."""
    if isinstance(source, Trajectory):
        return source.spins, source.times, source.steps, "trajectory"
    if isinstance(source, (str, Path)):
        path = Path(source)
        if path.suffix in (".h5", ".hdf5"):
            run = read_trajectory(path)
            return run.spins, run.times, run.steps, f"trajectory {path.name}"
        if path.suffix == ".npy":
            return read_spins(path), None, None, f"spin file {path.name}"
        raise ValueError(
            f"input {str(path)!r} must be a trajectory (.h5, from torquenet simulate) or a spin "
            f"texture (.npy, shape (L, L, 3) or a batch (B, L, L, 3))"
        )
    return check_spins(source), None, None, "array"


def export_trajectory(
    source: str | Path | Trajectory | Any,
    out: str | Path,
    format: str = "ovf",
    frames: Sequence[int] | None = None,
    *,
    overwrite: bool = False,
) -> list[Path]:
    """Export a trajectory (or texture) to OVF 2.0 or VTK; the API of ``torquenet export``.

    A single texture (a ``.npy`` or array of shape (L, L, 3)) becomes the one file ``out``,
    which must end in ``.ovf`` (``ovf``, ``ovf-text``) or ``.vtu`` (``vtk``, ``vtk-ascii``).
    A trajectory (``.h5``, :class:`Trajectory`) or a batch (B, L, L, 3) becomes the directory
    ``out`` with one file per selected frame, named by its step (:func:`frame_file_name`; batch
    element b counts as step b), and for VTK a ``trajectory.pvd`` collection with the times.

    Parameters
    ----------
    source : str, Path, Trajectory or array_like
    out : str or Path
    format : {"ovf", "ovf-text", "vtk", "vtk-ascii"}
        OVF 2.0 binary 8 / text, or VTK ``.vtu`` binary / ASCII.
    frames : sequence of int, optional
        Frame indices, negative from the end (default all); for trajectories and batches only.
    overwrite : bool
        Replace existing outputs; otherwise nothing is written when any of them exists.

    Returns
    -------
    list of Path
        The files written, frames first (then the ``.pvd``).

    Raises
    ------
    ValueError
        An unknown format, an out-of-range frame index, ``frames`` for a single texture, an
        ``out`` of the wrong kind or suffix, or an unreadable input.
    FileExistsError
        An output exists and ``overwrite`` is false.
    """
    if format not in EXPORT_FORMATS:
        raise ValueError(f"format must be one of {', '.join(EXPORT_FORMATS)}, got {format!r}")
    suffix = FORMAT_SUFFIX[format]
    out = Path(out)
    spins, times, steps, what = _load(source)

    def write(texture: NDArray, path: Path, time: float | None, step: int | None) -> Path:
        if format.startswith("ovf"):
            return export_ovf(
                texture,
                path,
                text=format == "ovf-text",
                time=time,
                step=step,
                description=[f"source: {what}"],
                overwrite=True,
            )
        return export_vtk(
            texture, path, binary=format == "vtk", time=time, step=step, overwrite=True
        )

    if spins.ndim == 3:
        if frames is not None:
            raise ValueError(f"--frames applies to trajectories; the {what} is a single texture")
        if out.suffix != suffix:
            raise ValueError(
                f"--out {str(out)!r} must end in {suffix} for --format {format} (one texture, "
                f"one file)"
            )
        _refuse_existing(out, overwrite)
        return [write(spins, out, None, None)]

    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {str(out)!r} is a file; name a directory for the frames")
    num_frames = spins.shape[0]
    if num_frames == 0:
        raise ValueError(f"the {what} holds no frames")
    selected = _select_frames(frames, num_frames)
    if steps is None:
        steps = np.arange(num_frames)
    width = max(8, len(str(int(np.max(steps)))))
    names = [frame_file_name(int(steps[k]), suffix, width) for k in selected]
    if len(set(names)) != len(names):
        raise ValueError(f"the {what} holds several frames of the same step")
    targets = [out / name for name in names]
    if format.startswith("vtk"):
        targets.append(out / "trajectory.pvd")
    if not overwrite:
        existing = [str(p) for p in targets if p.exists()]
        if existing:
            raise FileExistsError(
                f"{len(existing)} output file(s) already exist (first {existing[0]!r}); pass "
                f"--overwrite to replace them"
            )
    written = []
    for k, target in zip(selected, targets):
        time = None if times is None else float(times[k])
        written.append(write(spins[k], target, time, int(steps[k])))
    if format.startswith("vtk"):
        entries = [
            (float(times[k]) if times is not None else float(steps[k]), name)
            for k, name in zip(selected, names)
        ]
        written.append(_atomic_write(out / "trajectory.pvd", _pvd_bytes(entries)))
    return written
