"""The Linux bundle's shared libraries: what links what, and which ones may ship.

``needed`` reads a binary's DT_NEEDED entries, the libraries the dynamic loader
looks up by name when it loads it; the spec leaves out a library that nothing in
the bundle lists there (and that is not loaded by name at run time).

``MANIFEST`` (packaging/linux/libraries.txt) lists every shared library the
bundle may ship, one name a line: a library by its base name (``libavcodec`` for
``libavcodec-5e6b81c2.so.62.28.102``), a Python extension module by its module
name (``av.codec.codec``). tests/packaging fails when the bundle ships a name
the manifest lacks, or lacks one it lists, so that growth is a decision.

    python packaging/libraries.py [dist/Parley]   # what the bundle ships, as manifest lines
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "packaging" / "linux" / "libraries.txt"
# Python extension modules carry the interpreter's ABI tag before ".so".
_EXTENSION = re.compile(r"(?P<module>[^.]+)\.(cpython-[^.]+|abi3)\.so")
# What follows a library's base name: auditwheel's content hash ("-5e6b81c2"), a
# version in the name ("-5.3", "-2.0"), the ABI tag, then ".so" and its version.
_SUFFIXES = re.compile(r"((-[0-9a-f]{8})|(-\d+(\.\d+)*)|\.abi3)*\.so(\.\d+)*$")


def needed(binary: Path) -> set[str]:
    """The DT_NEEDED entries: the libraries this binary links to directly (ldd, which
    PyInstaller's get_imports uses on Linux, lists the whole tree)."""
    dynamic = subprocess.run(["readelf", "-d", str(binary)], check=True, capture_output=True,
                             text=True).stdout
    return set(re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]", dynamic))


def soname(library: Path) -> str:
    """The library's DT_SONAME (its file name if it has none)."""
    dynamic = subprocess.run(["readelf", "-d", str(library)], check=True, capture_output=True,
                             text=True).stdout
    found = re.search(r"\(SONAME\)\s+Library soname: \[(.+?)\]", dynamic)
    return found.group(1) if found else library.name


def manifest_name(relative: Path) -> str | None:
    """The name a shared library goes by in the manifest, or None if it is none.

    Args:
        relative: The file's path inside the bundle's ``_internal`` folder.
    """
    extension = _EXTENSION.fullmatch(relative.name)
    if extension:  # python3.11/lib-dynload/_ssl.cpython-311-x86_64-linux-gnu.so -> _ssl
        parts = relative.parts[2:] if relative.parts[1:2] == ("lib-dynload",) else relative.parts
        return ".".join([*parts[:-1], extension.group("module")])
    if _SUFFIXES.search(relative.name) is None:
        return None
    return _SUFFIXES.sub("", relative.name)


@dataclass(frozen=True)
class Shipped:
    """One shared library in a built bundle."""

    name: str
    """Its manifest name."""
    path: Path
    """Where it is, relative to the bundle's ``_internal`` folder."""
    file: Path
    """Where it is on disk."""
    size: int
    """Bytes."""


def shipped(bundle: Path) -> Iterator[Shipped]:
    """Every shared library (ELF file named ``*.so*``) in the bundle; symlinks are not."""
    internal = bundle / "_internal"
    for path in _elf_files(bundle):
        relative = path.relative_to(internal if path.is_relative_to(internal) else bundle)
        name = manifest_name(relative)
        if name is not None:
            yield Shipped(name, relative, path, path.stat().st_size)


def read_manifest(path: Path = MANIFEST) -> set[str]:
    """The names in the manifest (one a line; ``#`` starts a comment)."""
    lines = (line.partition("#")[0].strip() for line in path.read_text().splitlines())
    return {line for line in lines if line}


def differences(bundle: Path, manifest: Path = MANIFEST) -> tuple[list[Shipped], set[str]]:
    """What the bundle ships that the manifest lacks, and what the manifest lists that
    the bundle lacks."""
    listed = read_manifest(manifest)
    libraries = list(shipped(bundle))
    return [s for s in libraries if s.name not in listed], listed - {s.name for s in libraries}


def importers(bundle: Path, library: Shipped) -> list[str]:
    """The file names of the binaries in the bundle that link to ``library``."""
    wanted = {library.file.name, soname(library.file)}
    return sorted(path.name for path in _elf_files(bundle) if needed(path) & wanted)


def explain(bundle: Path, new: list[Shipped], gone: set[str],
            manifest: Path = MANIFEST) -> str:
    """What ``differences`` found, and how to accept it or undo it."""
    if manifest.is_relative_to(ROOT):
        manifest = manifest.relative_to(ROOT)
    lines = [f"the bundle's shared libraries differ from {manifest}:"]
    for library in new:
        users = ", ".join(importers(bundle, library)) \
            or "nothing (a plugin, an extension module, or loaded by name)"
        lines.append(f"  new: {library.name} ({library.path}, {library.size / 1e6:.2f} MB; "
                     f"linked by {users})")
    lines += [f"  listed but no longer shipped: {name}" for name in sorted(gone)]
    lines.append(f"If a new library is wanted, add its name on a line of its own to {manifest} "
                 "and to the manifest in docs/packaging.md; if not, leave it out in "
                 "packaging/parley.spec. Delete the lines of libraries no longer shipped.")
    return "\n".join(lines)


def _elf_files(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as data:
                if data.read(4) == b"\x7fELF":
                    yield path


def main(argv: list[str]) -> int:
    bundle = Path(argv[0]) if argv else ROOT / "dist" / "Parley"
    for library in shipped(bundle):
        print(f"{library.name:40s} # {library.path} ({library.size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
