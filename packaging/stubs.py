"""Small stand-ins for big shared libraries the Linux bundle must carry but never uses.

PyAV's FFmpeg links the HEVC and AV1 encoders, and Qt links ICU's 31 MB data
library; the dynamic loader needs a file by each name, but Parley never calls
into them (see the C sources in packaging/stubs/ for why each is unused and how
its stand-in fails cleanly). ``replace`` swaps each for a stub compiled here,
with the real library's soname, but only when the stub defines every symbol
that the bundle's other binaries import from the real one; otherwise, or with
no C compiler or binutils, the real library stays. Linux (ELF) only.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

SOURCES = Path(__file__).resolve().parent / "stubs"


@dataclass(frozen=True)
class Stub:
    """One library that a stub may stand in for."""

    prefix: str
    """The file name up to its hash or version: ``libx265`` matches ``libx265-ab12.so.216``."""
    source: str
    """The C file in packaging/stubs/."""
    why: str
    """Why the bundle can do without the real library (printed and documented)."""
    macros: dict[str, str] = field(default_factory=dict)
    """Macro -> regular expression: ``-DMACRO=<the real library's symbol that matches>``."""
    version_script: str | None = None
    """A linker version script in packaging/stubs/, for libraries with versioned symbols."""

    def matches(self, file_name: str) -> bool:
        return re.fullmatch(re.escape(self.prefix) + r"([-.].*)?\.so(\..*)?", file_name) is not None


STUBS = (
    Stub("libx265", "x265.c", "HEVC encoder; aiortc encodes VP8 and H.264 only",
         {"X265_API_GET": r"x265_api_get_\d+"}),
    Stub("libSvtAv1Enc", "svtav1.c", "AV1 encoder; aiortc encodes VP8 and H.264 only"),
    Stub("libdav1d", "dav1d.c", "AV1 decoder; aiortc decodes VP8 and H.264 only"),
    Stub("libgnutls", "gnutls.c", "TLS for PyAV's network URLs; Parley opens none",
         version_script="gnutls.map"),
    Stub("libicudata", "icudata.c",
         "ICU locale data; Qt reads it only for collation, legacy codecs and time-zone names",
         {"ICUDATA_ENTRY": r"icudt\d+_dat"}),
)


def tools_missing() -> list[str]:
    """The build tools this needs and does not find (cc, nm, readelf)."""
    return [tool for tool in ("cc", "nm", "readelf") if shutil.which(tool) is None]


def _run(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def soname(library: Path) -> str:
    """The library's DT_SONAME (its file name if it has none)."""
    dynamic = _run("readelf", "-d", str(library))
    found = re.search(r"\(SONAME\)\s+Library soname: \[(.+?)\]", dynamic)
    return found.group(1) if found else library.name


def needed(binary: Path) -> set[str]:
    """The DT_NEEDED entries: the libraries this binary links to directly (ldd, which
    PyInstaller's get_imports uses on Linux, lists the whole tree)."""
    return set(re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]",
                          _run("readelf", "-d", str(binary))))


def dynamic_symbols(binary: Path, *, defined: bool) -> set[tuple[str, str]]:
    """(name, version) in the dynamic symbol table: those it defines, or those it imports.

    The version is "" for an unversioned symbol.
    """
    flag = "--defined-only" if defined else "--undefined-only"
    result = set()
    for line in _run("nm", "-D", flag, "-P", str(binary)).splitlines():
        name, _, version = line.split()[0].replace("@@", "@").partition("@")
        result.add((name, version))
    return result


def unresolved(needed: set[tuple[str, str]], defined: set[tuple[str, str]]) -> set[str]:
    """The needed symbols that ``defined`` lacks (a versioned need wants that version)."""
    versions: dict[str, set[str]] = {}
    for name, version in defined:
        versions.setdefault(name, set()).add(version)
    return {f"{name}@{version}" if version else name for name, version in needed
            if name not in versions or (version and version not in versions[name])}


def build(stub: Stub, real: Path, importers: Iterable[Path], out_dir: Path) -> Path:
    """Compile ``stub`` as a stand-in for ``real``; return its path.

    Raises:
        ValueError: The stub would not define every symbol the importers take from ``real``.
        subprocess.CalledProcessError: The compiler failed.
    """
    exported = dynamic_symbols(real, defined=True)
    exported_names = {name for name, _ in exported}
    needed = {symbol for b in importers for symbol in dynamic_symbols(b, defined=False)
              if symbol[0] in exported_names}
    defines = []
    for macro, pattern in stub.macros.items():
        names = sorted(n for n in exported_names if re.fullmatch(pattern, n))
        if len(names) != 1:
            raise ValueError(f"{real.name}: expected one symbol like {pattern}, found {names}")
        defines.append(f"-D{macro}={names[0]}")
    name = soname(real)
    out_dir.mkdir(parents=True, exist_ok=True)
    output = out_dir / name
    if stub.version_script:
        defines.append(f"-Wl,--version-script={SOURCES / stub.version_script}")
    _run("cc", "-shared", "-fPIC", "-O2", "-s", *defines, f"-Wl,-soname,{name}",
         "-o", str(output), str(SOURCES / stub.source))
    missing = unresolved(needed, dynamic_symbols(output, defined=True))
    if missing:
        raise ValueError(f"the stub for {real.name} lacks {', '.join(sorted(missing))}")
    return output


Toc = list[tuple[str, str, str]]


def replace(binaries: Toc, out_dir: Path, imports_of: Callable[[str], set[str]],
            log: Callable[[str], None] = print) -> tuple[Toc, Toc]:
    """PyInstaller's binaries TOC with stubs in place of the libraries in STUBS.

    Returns:
        The new TOC, and the entries of the real libraries that were replaced (what
        only they link to can go too).

    Args:
        binaries: (destination, source, typecode) entries.
        out_dir: Where the stubs are compiled.
        imports_of: The base names of the libraries a binary (by source path) links to.
        log: Says what was replaced, or why not.
    """
    missing_tools = tools_missing()
    if missing_tools:
        log(f"stubs: none built, {', '.join(missing_tools)} not found")
        return binaries, []
    result, replaced = list(binaries), []
    for index, (dest, source, kind) in enumerate(binaries):
        stub = next((s for s in STUBS if s.matches(Path(dest).name)), None)
        if stub is None or kind != "BINARY":
            continue
        real = Path(source)
        importers = [Path(s) for _, s, k in binaries
                     if k in ("BINARY", "EXTENSION") and soname(real) in imports_of(s)]
        try:
            built = build(stub, real, importers, out_dir)
        except (ValueError, subprocess.CalledProcessError) as exc:
            log(f"stubs: kept {real.name}: {exc}")
            continue
        result[index] = (dest, str(built), kind)
        replaced.append((dest, source, kind))
        log(f"stubs: {real.name} ({real.stat().st_size / 1e6:.1f} MB) -> "
            f"{built.stat().st_size / 1e3:.0f} kB stub: {stub.why}")
    return result, replaced
