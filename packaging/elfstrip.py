"""Strip debug symbols from the Linux bundle's binaries, safely.

PyInstaller's own ``strip=True`` runs ``strip`` on every binary, and that breaks
libraries that auditwheel rewrote with patchelf (numpy's OpenBLAS fails to load:
"ELF load command address/offset not page-aligned"; pyinstaller/pyinstaller#9463,
numpy/numpy#20101), with no way to leave some out. This strips copies instead,
and keeps a copy only if each PT_LOAD segment still has the offset/address
congruence the dynamic loader checks; otherwise the original goes in unstripped.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

MIN_SIZE = 64 * 1024  # smaller files are not worth a strip run each


def tools_missing() -> list[str]:
    return [tool for tool in ("strip", "readelf") if shutil.which(tool) is None]


def has_symtab(binary: Path) -> bool:
    """True if the file still carries a full symbol table (.symtab)."""
    sections = subprocess.run(["readelf", "-SW", str(binary)], capture_output=True, text=True)
    return sections.returncode == 0 and re.search(r"\]\s+\.symtab\s", sections.stdout) is not None


def loadable(binary: Path) -> bool:
    """True if every PT_LOAD segment has offset = address modulo its alignment."""
    headers = subprocess.run(["readelf", "-lW", str(binary)], capture_output=True, text=True)
    if headers.returncode != 0:
        return False
    loads = [line.split() for line in headers.stdout.splitlines() if line.split()[:1] == ["LOAD"]]
    if not loads:
        return False
    for fields in loads:  # LOAD offset vaddr paddr filesz memsz flags... align
        offset, vaddr, align = int(fields[1], 16), int(fields[2], 16), int(fields[-1], 16)
        if align > 1 and offset % align != vaddr % align:
            return False
    return True


def strip_copies(binaries: list[tuple[str, str, str]], out_dir: Path,
                 log: Callable[[str], None] = print) -> list[tuple[str, str, str]]:
    """The binaries TOC with stripped copies (under ``out_dir``) where that is safe."""
    missing = tools_missing()
    if missing:
        log(f"strip: skipped, {', '.join(missing)} not found")
        return binaries
    result, saved, refused = [], 0, []
    for dest, source, kind in binaries:
        src = Path(source)
        if kind not in ("BINARY", "EXTENSION") or src.stat().st_size < MIN_SIZE \
                or not has_symtab(src):
            result.append((dest, source, kind))
            continue
        copy = out_dir / dest
        if not copy.exists() or copy.stat().st_mtime < src.stat().st_mtime:
            copy.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run(["strip", "--strip-all", "-o", str(copy), str(src)], check=True)
        if loadable(copy):
            saved += src.stat().st_size - copy.stat().st_size
            result.append((dest, str(copy), kind))
        else:
            refused.append(src.name)
            result.append((dest, source, kind))
    log(f"strip: {saved / 1e6:.1f} MB of symbols removed"
        + (f"; kept unstripped (stripping breaks their layout): {', '.join(refused)}"
           if refused else ""))
    return result
