"""``Parley --bundle-check``: what the frozen bundle must carry besides the code.

``Parley --self-test`` proves a whole call works (server, SDK, aiortc, codecs);
this proves the rest of what PyInstaller had to collect: the resources where
``parley.resources`` looks for them, the Qt plugins that draw SVG icons and
style-sheet images, every codec aiortc negotiates, PortAudio loaded from
the bundle rather than from the system, and libwebrtc's audio processing
(livekit's native library) loaded from the bundle and run on a frame. Prints
one line and exits 0, or says what is missing and exits 1. Needs no display (Qt
runs offscreen here).
"""

from __future__ import annotations

import functools
import os
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any

# Encoders and decoders aiortc creates through PyAV (aiortc/codecs/*.py).
CODECS = (("libvpx", "w"), ("libvpx", "r"), ("libx264", "w"), ("h264", "r"),
          ("libopus", "w"), ("libopus", "r"), ("pcm_mulaw", "w"), ("pcm_alaw", "w"))
RESOURCES = ("icons/parley.svg", "icons/mic.svg", "themes/light.qss", "themes/dark.qss")
# German order puts "Ä" with "A"; code-point order (what Qt falls back to without ICU's
# locale data) puts it after "Z".
COLLATED = ["apfel", "Äpfel", "Bär", "Zebra"]


class CheckFailed(Exception):
    """One check did not pass; the message says which."""


def bundle_root() -> Path | None:
    """The bundle's ``_internal`` folder (``sys._MEIPASS``), or None when not frozen."""
    root = getattr(sys, "_MEIPASS", None)
    return Path(root).resolve() if root else None


def _inside_bundle(path: Path | str) -> bool:
    root = bundle_root()
    return root is not None and Path(path).resolve().is_relative_to(root)


def check_resources() -> str:
    from parley.resources import resources_dir

    where = resources_dir()
    if getattr(sys, "frozen", False) and not _inside_bundle(where):
        raise CheckFailed(f"resources came from {where}, outside the bundle")
    missing = [name for name in RESOURCES if not (where / name).is_file()]
    if missing:
        raise CheckFailed(f"resources missing from {where}: {', '.join(missing)}")
    root = bundle_root()
    shown = where.relative_to(root) if root and _inside_bundle(where) else where
    return f"resources in {shown}"


def check_qt() -> str:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6 import __version__ as pyside_version
    from PySide6.QtCore import QCollator, QLocale, QSize
    from PySide6.QtGui import QGuiApplication, QImage

    from parley.qt.resources import Theme, app_icon, icon, stylesheet
    from parley.resources import resource_path

    app = QGuiApplication.instance() or QGuiApplication([])
    # A QIcon made from an .svg file needs the svg icon-engine plugin ...
    if app_icon().pixmap(QSize(64, 64)).isNull():
        raise CheckFailed("the app icon did not render (no svg icon engine plugin)")
    # ... and url(icons:...) images in the style sheets need the svg image-format plugin.
    if QImage(str(resource_path("icons/check-white.svg"))).isNull():
        raise CheckFailed("an SVG image did not load (no svg image-format plugin)")
    if icon("mic", "#000000").pixmap(QSize(48, 48)).isNull():
        raise CheckFailed("an SVG icon did not render (QtSvg)")
    for theme in Theme:
        if "{" not in stylesheet(theme):
            raise CheckFailed(f"the {theme.value} style sheet is empty")
    # Case mapping is compiled into ICU's code; collation needs its locale data too.
    upper = QLocale(QLocale.Language.Turkish).toUpper("istanbul straße")
    if upper != "\u0130STANBUL STRASSE":
        raise CheckFailed(f"Qt's case mapping is broken: {upper!r}")
    collator = QCollator(QLocale(QLocale.Language.German, QLocale.Country.Germany))
    collated = sorted(reversed(COLLATED), key=functools.cmp_to_key(collator.compare))
    if collated != COLLATED:
        raise CheckFailed(f"Qt's collation is broken (no ICU data?): {collated}")
    del app
    return f"Qt {pyside_version} svg icons and images, case mapping, collation"


def _codec_context(name: str, mode: str) -> Any:
    import av

    return av.CodecContext.create(name, mode)  # type: ignore[call-overload]


def check_codecs() -> str:
    import av

    for name, mode in CODECS:
        try:
            _codec_context(name, mode)
        except Exception as exc:  # any failure means the codec is missing
            raise CheckFailed(f"PyAV cannot open {name} ({mode}): {exc}") from exc
    # One real encode: libvpx and libx264 link against their own libraries in av.libs.
    for name in ("libvpx", "libx264"):
        encoder = _codec_context(name, "w")
        encoder.width, encoder.height, encoder.pix_fmt = 64, 48, "yuv420p"
        encoder.time_base = Fraction(1, 30)
        frame = av.VideoFrame(64, 48, "yuv420p")
        packets = [*encoder.encode(frame), *encoder.encode(None)]
        if not packets:
            raise CheckFailed(f"{name} encoded nothing")
    return f"PyAV {av.__version__} " + "/".join(sorted({n for n, _ in CODECS}))


def check_portaudio() -> str:
    try:
        import sounddevice
    except OSError as exc:
        raise CheckFailed(f"PortAudio did not load: {exc}") from exc
    library = getattr(sounddevice, "_libname", "")
    if getattr(sys, "frozen", False) and sys.platform.startswith("linux") \
            and not _inside_bundle(library):
        raise CheckFailed(f"PortAudio came from {library}, not from the bundle")
    version = sounddevice.get_portaudio_version()[1]
    return f"{version.split(',')[0]} from {Path(library).name}"


def check_audio_processing() -> str:
    from parley.media.processing import apm_self_test

    try:
        line = apm_self_test()
    except Exception as exc:  # ImportError, the native library failing, a bad frame
        raise CheckFailed(f"libwebrtc's audio processing did not run: {exc}") from exc
    from livekit.rtc import _ffi_client

    library = getattr(_ffi_client.FfiClient.instance, "_ffi_lib", None)
    path = getattr(library, "_name", "")
    if getattr(sys, "frozen", False) and not _inside_bundle(path):
        raise CheckFailed(f"livekit's native library came from {path}, not from the bundle")
    return f"{line} from {Path(path).name}"


def main() -> int:
    parts: list[str] = []
    try:
        for check in (check_resources, check_qt, check_codecs, check_portaudio,
                      check_audio_processing):
            parts.append(check())
    except CheckFailed as exc:
        print(f"parley bundle-check: FAILED - {exc}", flush=True)
        return 1
    print("parley bundle-check: OK - " + "; ".join(parts), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
