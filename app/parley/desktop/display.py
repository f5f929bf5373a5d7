"""Noticing that the display went away under the app (the X server or the Wayland
compositor died), from Qt's own words.

Qt reports a broken display connection as a warning ("The X11 connection broke ...")
and quits its event loop; on Wayland it may exit the process right after. The
message handler installed here forwards every other Qt message to stderr as Qt's
default handler does, and on that one calls ``on_lost(message)`` once, so the app can
leave the call and exit with one clear line instead of a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from PySide6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler

GONE = ("X11 connection broke", "Wayland connection broke",
        "Wayland compositor die", "could not connect to display")


def is_display_gone(message: str) -> bool:
    return any(words.lower() in message.lower() for words in GONE)


class DisplayWatch:
    """Installs Qt's message handler; ``lost`` is Qt's message once the display died."""

    def __init__(self, on_lost: Callable[[str], None]) -> None:
        self._on_lost = on_lost
        self.lost: str | None = None

    def install(self) -> None:
        qInstallMessageHandler(self._handle)

    def uninstall(self) -> None:
        qInstallMessageHandler(None)

    def _handle(self, mode: QtMsgType, context: QMessageLogContext, message: str) -> None:
        if is_display_gone(message):
            if self.lost is None:
                self.lost = message
                self._on_lost(message)
            return
        sys.stderr.write(message + "\n")
