"""Build Parley's bundle and pack it for the platform this runs on.

    python packaging/build.py bundle      # dist/Parley/ (PyInstaller, skipped if up to date)
    python packaging/build.py installer   # the bundle, then the platform's installer in dist/

Linux: dist/Parley-<version>-linux-<arch>.tar.gz (the bundle, a desktop entry, the icon
and install.sh). macOS: dist/Parley.app (from the spec), packed as a .dmg with hdiutil.
Windows: dist/Parley-<version>-windows-setup.exe from packaging/windows/parley.iss with
Inno Setup's ISCC. Work files go to build/pyinstaller/. See docs/packaging.md.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import libraries  # packaging/libraries.py

ROOT = Path(__file__).resolve().parent.parent
PACKAGING = ROOT / "packaging"
SPEC = PACKAGING / "parley.spec"
DIST = ROOT / "dist"
WORK = ROOT / "build" / "pyinstaller"
APP_NAME = "Parley"
# What the bundle is made of: a change to any of these files means a rebuild.
INPUTS = ("packaging", "app/parley", "resources", "pyproject.toml")
# ... except the library manifest: the bundle is checked against it, not made of it.
NOT_INPUTS = (libraries.MANIFEST,)


def version() -> str:
    sys.path.insert(0, str(ROOT / "app"))
    from parley import __version__

    return __version__


def fingerprint() -> str:
    """A hash of the bundle's inputs: the sources and every installed distribution."""
    digest = hashlib.sha256()
    for top in INPUTS:
        path = ROOT / top
        files = sorted(path.rglob("*")) if path.is_dir() else [path]
        for file in files:
            if file.is_file() and "__pycache__" not in file.parts and file not in NOT_INPUTS:
                digest.update(str(file.relative_to(ROOT)).encode())
                digest.update(file.read_bytes())
    for dist in sorted(f"{d.metadata['Name']}=={d.version}"
                       for d in importlib.metadata.distributions()):
        digest.update(dist.encode())
    digest.update(sys.version.encode())
    return digest.hexdigest()


def build_bundle(dist: Path = DIST, work: Path = WORK, *, force: bool = False) -> Path:
    """Run PyInstaller on packaging/parley.spec unless the bundle is up to date.

    Returns:
        The bundle folder, ``dist/Parley``.
    """
    bundle, stamp = dist / APP_NAME, work / "inputs.sha256"
    current = fingerprint()
    if not force and (bundle / executable_name()).is_file() and stamp.is_file() \
            and stamp.read_text().strip() == current:
        print(f"build.py: {bundle} is up to date")
        report_libraries(bundle)
        return bundle
    work.mkdir(parents=True, exist_ok=True)
    stamp.unlink(missing_ok=True)
    log = work / "pyinstaller.log"
    started = time.monotonic()
    with log.open("w") as out:
        result = subprocess.run(
            [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
             "--distpath", str(dist), "--workpath", str(work), str(SPEC)],
            stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
    lines = log.read_text().splitlines()
    for line in lines:
        if line.startswith("parley.spec:"):
            print(line)
    if result.returncode != 0:
        print("\n".join(lines[-40:]), file=sys.stderr)
        raise SystemExit(f"build.py: PyInstaller failed (full log: {log})")
    stamp.write_text(current + "\n")
    size = sum(f.stat().st_size for f in bundle.rglob("*") if f.is_file() and not f.is_symlink())
    print(f"build.py: built {bundle} in {time.monotonic() - started:.0f} s, "
          f"{size / 1e6:.1f} MB unpacked")
    report_libraries(bundle)
    return bundle


def report_libraries(bundle: Path) -> None:
    """Say where the Linux bundle's shared libraries differ from the manifest (the test
    of tests/packaging fails on that; the build goes on, so the bundle can be tried)."""
    if not sys.platform.startswith("linux"):
        return
    new, gone = libraries.differences(bundle)
    for library in new:
        print(f"build.py: warning: {library.path} ({library.size / 1e6:.1f} MB) is not in "
              f"{libraries.MANIFEST.relative_to(ROOT)}")
    for name in sorted(gone):
        print(f"build.py: warning: {name} is in {libraries.MANIFEST.relative_to(ROOT)} "
              "but not in the bundle")


def executable_name() -> str:
    return f"{APP_NAME}.exe" if sys.platform == "win32" else APP_NAME


def _arch() -> str:
    return {"amd64": "x86_64", "arm64": "aarch64"}.get(platform.machine().lower(),
                                                       platform.machine().lower())


def pack_linux(bundle: Path, out_dir: Path, *, compresslevel: int = 9) -> Path:
    """A .tar.gz: Parley-<v>-linux-<arch>/{Parley/, parley.desktop, icons, install.sh}."""
    top = f"{APP_NAME}-{version()}-linux-{_arch()}"
    archive = out_dir / f"{top}.tar.gz"
    linux = PACKAGING / "linux"
    icons = WORK / "icons"
    if not (icons / "parley.png").is_file():  # normally left there by the spec
        subprocess.run([sys.executable, str(PACKAGING / "icons.py"), str(icons)], check=True,
                       stdout=subprocess.DEVNULL)
    extras = {
        "parley.desktop": linux / "parley.desktop",
        "parley-url-handler.desktop": linux / "parley-url-handler.desktop",
        "install.sh": linux / "install.sh",
        "README.txt": linux / "README.txt",
        "icons/parley.svg": ROOT / "resources" / "icons" / "parley.svg",
        "icons/parley.png": icons / "parley.png",
    }
    partial = archive.with_suffix(".partial")
    with tarfile.open(partial, "w:gz", compresslevel=compresslevel) as tar:
        tar.add(bundle, arcname=f"{top}/{APP_NAME}")
        for name, source in extras.items():
            info = tar.gettarinfo(str(source), arcname=f"{top}/{name}")
            info.mode = 0o755 if name.endswith(".sh") else 0o644
            with source.open("rb") as data:
                tar.addfile(info, data)
    partial.replace(archive)
    return archive


def pack_macos(out_dir: Path) -> Path:
    """A .dmg holding Parley.app (built by the spec's BUNDLE step)."""
    app = out_dir / f"{APP_NAME}.app"
    dmg = out_dir / f"{APP_NAME}-{version()}-macos-{_arch()}.dmg"
    dmg.unlink(missing_ok=True)
    subprocess.run(["hdiutil", "create", "-volname", APP_NAME, "-srcfolder", str(app),
                    "-ov", "-format", "UDZO", str(dmg)], check=True)
    return dmg


def pack_windows(bundle: Path, out_dir: Path) -> Path:
    """An installer .exe from packaging/windows/parley.iss (needs Inno Setup's ISCC)."""
    iscc = shutil.which("ISCC") or shutil.which("iscc") or os.path.expandvars(
        r"%ProgramFiles(x86)%\Inno Setup 6\ISCC.exe")
    if not Path(iscc).is_file():
        raise SystemExit("build.py: Inno Setup 6 (ISCC.exe) is needed for the Windows installer")
    subprocess.run([iscc, f"/DAppVersion={version()}", f"/DBundleDir={bundle}",
                    f"/DIconFile={WORK / 'icons' / 'parley.ico'}", f"/O{out_dir}",
                    str(PACKAGING / "windows" / "parley.iss")], check=True)
    return out_dir / f"{APP_NAME}-{version()}-windows-setup.exe"


def build_installer(*, force: bool = False) -> Path:
    bundle = build_bundle(force=force)
    started = time.monotonic()
    if sys.platform.startswith("linux"):
        result = pack_linux(bundle, DIST)
    elif sys.platform == "darwin":
        result = pack_macos(DIST)
    elif sys.platform == "win32":
        result = pack_windows(bundle, DIST)
    else:
        raise SystemExit(f"build.py: no installer format for {sys.platform}")
    print(f"build.py: packed {result} ({result.stat().st_size / 1e6:.1f} MB) "
          f"in {time.monotonic() - started:.0f} s")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("bundle", "installer"))
    parser.add_argument("--force", action="store_true", help="rebuild even if up to date")
    args = parser.parse_args(argv)
    if args.what == "bundle":
        build_bundle(force=args.force)
    else:
        build_installer(force=args.force)
    return 0


if __name__ == "__main__":
    sys.exit(main())
