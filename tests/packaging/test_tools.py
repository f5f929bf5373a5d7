"""The packaging helpers, without building a bundle: stubs, safe stripping, icons."""

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
import pytest
import stubs

from tests.packaging.conftest import PACKAGING, ROOT

# Where the wheels that the bundle is made of are installed (av.libs, PySide6, numpy.libs).
SITE = Path(av.__file__).resolve().parent.parent

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="the stubs and stripping are for the Linux bundle")


def _one(pattern: str) -> Path:
    found = sorted(SITE.glob(pattern))
    assert found, f"nothing matches {pattern} in {SITE}"
    return found[0]


@linux_only
@pytest.mark.parametrize(("prefix", "real", "importers"), [
    ("libx265", "av.libs/libx265-*", ["av.libs/libavcodec-*"]),
    ("libSvtAv1Enc", "av.libs/libSvtAv1Enc-*", ["av.libs/libavcodec-*"]),
    ("libdav1d", "av.libs/libdav1d-*", ["av.libs/libavcodec-*"]),
    ("libgnutls", "av.libs/libgnutls-*", ["av.libs/libavformat-*"]),
    ("libicudata", "PySide6/Qt/lib/libicudata.so.*",
     ["PySide6/Qt/lib/libicuuc.so.*", "PySide6/Qt/lib/libicui18n.so.*"]),
])
def test_each_stub_covers_what_the_wheels_import(prefix: str, real: str, importers: list[str],
                                                 tmp_path: Path) -> None:
    stub = next(s for s in stubs.STUBS if s.prefix == prefix)
    real_lib = _one(real)
    assert stub.matches(real_lib.name)
    built = stubs.build(stub, real_lib, [_one(p) for p in importers], tmp_path)
    assert stubs.soname(built) == stubs.soname(real_lib)
    assert built.stat().st_size < 100_000


@linux_only
def test_a_stub_that_lacks_a_symbol_is_refused(tmp_path: Path) -> None:
    # libavformat takes gnutls_* from GnuTLS, not from x265: the x265 stub cannot stand in.
    impostor = stubs.Stub("libgnutls", "x265.c", "test", {"X265_API_GET": r"gnutls_init"})
    with pytest.raises(ValueError, match="lacks"):
        stubs.build(impostor, _one("av.libs/libgnutls-*"), [_one("av.libs/libavformat-*")],
                    tmp_path)


@linux_only
def test_the_x265_stub_says_no_encoder(tmp_path: Path) -> None:
    real = _one("av.libs/libx265-*")
    built = stubs.build(stubs.STUBS[0], real, [_one("av.libs/libavcodec-*")], tmp_path)
    (name,) = [n for n, _ in stubs.dynamic_symbols(built, defined=True)
               if n.startswith("x265_api_get")]
    api_get = getattr(ctypes.CDLL(str(built)), name)
    api_get.restype = ctypes.c_void_p
    assert api_get(8) is None


@linux_only
def test_the_icu_stub_is_a_valid_empty_common_data_header(tmp_path: Path) -> None:
    real = _one("PySide6/Qt/lib/libicudata.so.*")
    built = stubs.build(next(s for s in stubs.STUBS if s.prefix == "libicudata"), real,
                        [_one("PySide6/Qt/lib/libicuuc.so.*")], tmp_path)
    (name,) = [n for n, _ in stubs.dynamic_symbols(built, defined=True) if n.startswith("icudt")]
    header = (ctypes.c_char * 40).in_dll(ctypes.CDLL(str(built)), name).raw
    size, magic1, magic2 = struct.unpack_from("<HBB", header)
    assert (size, magic1, magic2) == (32, 0xDA, 0x27)
    assert header[12:16] == b"CmnD"
    assert struct.unpack_from("<I", header, 32) == (0,)  # no items


@linux_only
def test_stripping_keeps_a_library_only_if_it_still_loads(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(elfstrip, "MIN_SIZE", 0)
    source = tmp_path / "lib.c"
    source.write_text("int answer(void) { return 42; }\n")
    plain = tmp_path / "libplain.so"
    subprocess.run(["cc", "-shared", "-fPIC", "-g", "-o", str(plain), str(source)], check=True)
    # numpy's OpenBLAS was rewritten by patchelf: strip breaks its layout (numpy#20101).
    openblas = _one("numpy.libs/libscipy_openblas*")
    toc = [("libplain.so", str(plain), "BINARY"), (openblas.name, str(openblas), "BINARY")]
    lines: list[str] = []
    (plain_entry, blas_entry) = elfstrip.strip_copies(toc, tmp_path / "out", lines.append)
    assert plain_entry[1] == str(tmp_path / "out" / "libplain.so")
    assert not elfstrip.has_symtab(Path(plain_entry[1]))
    assert ctypes.CDLL(plain_entry[1]).answer() == 42
    assert blas_entry[1] == str(openblas), "a stripped OpenBLAS does not load"
    assert not elfstrip.loadable(tmp_path / "out" / openblas.name)
    assert openblas.name in lines[0]


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
