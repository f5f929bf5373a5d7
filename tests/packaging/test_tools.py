"""The packaging helpers, without building a bundle: safe stripping, the library
manifest, icons."""

from __future__ import annotations

import ctypes
import shutil
import struct
import subprocess
import sys
from pathlib import Path

# packaging/ is not a package: conftest.py puts it on sys.path before this is imported.
import av
import elfstrip
import icons
import libraries
import pytest

from tests.packaging.conftest import PACKAGING, ROOT

# Where the wheels that the bundle is made of are installed (av.libs, PySide6, numpy.libs).
SITE = Path(av.__file__).resolve().parent.parent

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="stripping and the manifest are for the Linux bundle")


def _one(pattern: str) -> Path:
    found = sorted(SITE.glob(pattern))
    assert found, f"nothing matches {pattern} in {SITE}"
    return found[0]


@linux_only
def test_stripping_keeps_a_library_only_if_it_still_loads(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(elfstrip, "MIN_SIZE", 0)
    # google-crc32c's library (aiortc's SCTP checksums) still has its symbol table.
    crc32c = _one("google_crc32c.libs/libcrc32c-*")
    # numpy's OpenBLAS was rewritten by patchelf: strip breaks its layout (numpy#20101).
    openblas = _one("numpy.libs/libscipy_openblas*")
    toc = [(crc32c.name, str(crc32c), "BINARY"), (openblas.name, str(openblas), "BINARY")]
    lines: list[str] = []
    (crc32c_entry, blas_entry) = elfstrip.strip_copies(toc, tmp_path / "out", lines.append)
    assert elfstrip.has_symtab(crc32c)
    assert crc32c_entry[1] == str(tmp_path / "out" / crc32c.name)
    assert not elfstrip.has_symtab(Path(crc32c_entry[1]))
    crc32c_value = ctypes.CDLL(crc32c_entry[1]).crc32c_value
    crc32c_value.restype = ctypes.c_uint32
    assert crc32c_value(b"123456789", ctypes.c_size_t(9)) == 0xE3069283  # the check value
    assert blas_entry[1] == str(openblas), "a stripped OpenBLAS does not load"
    assert not elfstrip.loadable(tmp_path / "out" / openblas.name)
    assert openblas.name in lines[0]


@pytest.mark.parametrize(("relative", "name"), [
    ("av.libs/libavcodec-5e6b81c2.so.62.28.102", "libavcodec"),
    ("numpy.libs/libgfortran-040039e1-0352e75f.so.5.0.0", "libgfortran"),
    ("numpy.libs/libscipy_openblas64_-32a4b2a6.so", "libscipy_openblas64_"),
    ("PySide6/Qt/lib/libQt6Core.so.6", "libQt6Core"),
    ("PySide6/Qt/plugins/platforms/libqxcb.so", "libqxcb"),
    ("PySide6/libpyside6.abi3.so.6.11", "libpyside6"),
    ("libglib-2.0.so.0", "libglib"),
    ("libdb-5.3.so", "libdb"),
    ("libx264-d6533a8d.so.165", "libx264"),
    ("libpython3.11.so.1.0", "libpython3.11"),
    ("av/codec/codec.abi3.so", "av.codec.codec"),
    ("numpy/_core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so",
     "numpy._core._multiarray_umath"),
    ("python3.11/lib-dynload/_ssl.cpython-311-x86_64-linux-gnu.so", "_ssl"),
    ("Parley", None),
])
def test_a_library_goes_by_its_base_name_in_the_manifest(relative: str, name: str | None) -> None:
    assert libraries.manifest_name(Path(relative)) == name


@linux_only
def test_the_manifest_check_names_a_new_library_and_says_how_to_accept_it(
        tmp_path: Path) -> None:
    bundle = tmp_path / "Parley"
    (bundle / "_internal" / "grown.libs").mkdir(parents=True)
    crc32c = _one("google_crc32c.libs/libcrc32c-*")
    shutil.copy(crc32c, bundle / "_internal" / crc32c.name)
    shutil.copy(crc32c, bundle / "_internal" / "grown.libs" / "libgrown-0123abcd.so.2.1")
    manifest = tmp_path / "libraries.txt"
    manifest.write_text("# what may ship\nlibcrc32c  # aiortc's checksums\nlibgone\n")
    new, gone = libraries.differences(bundle, manifest)
    assert [(s.name, str(s.path)) for s in new] == [("libgrown",
                                                     "grown.libs/libgrown-0123abcd.so.2.1")]
    assert gone == {"libgone"}
    message = libraries.explain(bundle, new, gone, manifest)
    assert "new: libgrown (grown.libs/libgrown-0123abcd.so.2.1" in message
    assert "listed but no longer shipped: libgone" in message
    assert f"add its name on a line of its own to {manifest}" in message


def test_the_docs_list_every_library_of_the_manifest() -> None:
    docs = (ROOT / "docs" / "packaging.md").read_text()
    assert not [name for name in sorted(libraries.read_manifest()) if f"`{name}`" not in docs]


def test_the_icons_are_valid_ico_and_icns(tmp_path: Path) -> None:
    png, ico, icns = icons.write_icons(ROOT / "resources" / "icons" / "parley.svg", tmp_path)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack_from(">II", png.read_bytes(), 16) == (256, 256)
    data = ico.read_bytes()
    reserved, kind, count = struct.unpack_from("<HHH", data)
    assert (reserved, kind, count) == (0, 1, len(icons.ICO_SIZES))
    for index, side in enumerate(icons.ICO_SIZES):
        width, _, _, _, _, _, length, offset = struct.unpack_from("<BBBBHHII", data,
                                                                  6 + 16 * index)
        assert width == side % 256
        assert data[offset:offset + 8] == b"\x89PNG\r\n\x1a\n"
        assert struct.unpack_from(">I", data, offset + 16) == (side,)
        assert offset + length <= len(data)
    data = icns.read_bytes()
    assert data[:4] == b"icns" and struct.unpack_from(">I", data, 4) == (len(data),)
    kinds, position = [], 8
    while position < len(data):
        kind_bytes, length = data[position:position + 4], struct.unpack_from(">I", data,
                                                                             position + 4)[0]
        assert data[position + 8:position + 16] == b"\x89PNG\r\n\x1a\n"
        kinds.append(kind_bytes)
        position += length
    assert position == len(data)
    assert kinds == [kind for kind, _ in icons.ICNS_TYPES]


def test_the_packaging_code_is_lint_clean() -> None:
    # `make lint` covers app/ and tests/; packaging/ is checked here.
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent))
    assert ruff, "ruff is not installed"
    files = [*PACKAGING.rglob("*.py"), PACKAGING / "parley.spec"]
    result = subprocess.run([ruff, "check", *map(str, files)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
