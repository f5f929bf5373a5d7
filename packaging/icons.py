"""Render the app icon (resources/icons/parley.svg) into what each platform wants.

    python packaging/icons.py OUT_DIR

writes OUT_DIR/parley.png (256 px, the Linux desktop entry's raster icon),
parley.ico (Windows: 16-256 px) and parley.icns (macOS: 16-1024 px). The SVG
stays the one source: the raster files are build products, never committed.
ICO and ICNS both hold PNG images, so no image library beyond Qt is needed.
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# ICNS element types that hold PNG data, and the pixel size of each.
ICNS_TYPES = ((b"icp4", 16), (b"icp5", 32), (b"ic11", 32), (b"icp6", 64), (b"ic12", 64),
              (b"ic07", 128), (b"ic08", 256), (b"ic13", 256), (b"ic09", 512),
              (b"ic14", 512), (b"ic10", 1024))


def render_png(svg: Path, side: int) -> bytes:
    """The SVG drawn on a transparent ``side`` x ``side`` square, as PNG bytes."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication([])
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise ValueError(f"{svg} is not a valid SVG")
    image = QImage(side, side, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")  # type: ignore[call-overload]  # stubs say bytes; str works
    return bytes(data.data())


def ico(images: dict[int, bytes]) -> bytes:
    """A Windows .ico holding one PNG per size (a width byte of 0 means 256)."""
    header = struct.pack("<HHH", 0, 1, len(images))
    offset = len(header) + 16 * len(images)
    entries, blobs = b"", b""
    for side, png in sorted(images.items()):
        entries += struct.pack("<BBBBHHII", side % 256, side % 256, 0, 0, 1, 32, len(png),
                               offset + len(blobs))
        blobs += png
    return header + entries + blobs


def icns(images: dict[bytes, bytes]) -> bytes:
    """A macOS .icns: big-endian (type, length) elements, each holding a PNG."""
    body = b"".join(kind + struct.pack(">I", 8 + len(png)) + png for kind, png in images.items())
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def write_icons(svg: Path, out: Path) -> list[Path]:
    """Write parley.png, parley.ico and parley.icns into ``out``; return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    sides = sorted(set(ICO_SIZES) | {side for _, side in ICNS_TYPES})
    pngs = {side: render_png(svg, side) for side in sides}
    files = {
        "parley.png": pngs[256],
        "parley.ico": ico({side: pngs[side] for side in ICO_SIZES}),
        "parley.icns": icns({kind: pngs[side] for kind, side in ICNS_TYPES}),
    }
    for name, data in files.items():
        (out / name).write_bytes(data)
    return [out / name for name in files]


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    svg = Path(__file__).resolve().parent.parent / "resources" / "icons" / "parley.svg"
    for path in write_icons(svg, Path(argv[0])):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
