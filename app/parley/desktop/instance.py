"""One Parley per user: a second start hands its invite link to the running one.

The first start listens on a QLocalServer named per user; a later start connects, sends
one line of JSON (``{"session": link, "server": ..., "token": ..., "name": ...}``, or
``{}`` just to bring the window up), waits for ``ok`` and exits. A socket left behind by
a crashed instance is removed when nobody answers on it.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

log = logging.getLogger(__name__)

CONNECT_MSEC = 500
REPLY_MSEC = 3000


def instance_name() -> str:
    """The local-socket name of this user's Parley (in the temp dir, or a named pipe):
    one per user and settings directory, so a Parley run with another
    ``XDG_CONFIG_HOME`` (a test, a second profile) is an instance of its own."""
    try:
        user = getpass.getuser()
    except Exception:  # no user name in this environment
        user = "user"
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    profile = hashlib.sha256(config.encode("utf-8")).hexdigest()[:10]
    return f"parley-{user}-{profile}"


def hand_over(request: dict[str, Any], name: str | None = None) -> bool:
    """Give ``request`` to the running Parley; False when none answers (start one here)."""
    socket = QLocalSocket()
    socket.connectToServer(name or instance_name())
    if not socket.waitForConnected(CONNECT_MSEC):
        return False
    socket.write((json.dumps(request) + "\n").encode("utf-8"))
    if not socket.flush():  # (flush writes at once; nothing is left to wait for)
        socket.waitForBytesWritten(REPLY_MSEC)
    ok = socket.waitForReadyRead(REPLY_MSEC)
    answer = bytes(socket.readAll().data()).strip() if ok else b""
    socket.disconnectFromServer()
    return answer == b"ok"


class SingleInstance(QObject):
    """The running Parley's end: ``requested(dict)`` for every hand-over."""

    requested = Signal(dict)

    def __init__(self, name: str | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name or instance_name()
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._accept)

    def listen(self) -> bool:
        """Start answering; a stale socket of a crashed instance is taken over."""
        if self._server.listen(self.name):
            return True
        QLocalServer.removeServer(self.name)
        listening = self._server.listen(self.name)
        if not listening:
            log.warning("single instance: cannot listen on %s: %s", self.name,
                        self._server.errorString())
        return listening

    def close(self) -> None:
        self._server.close()

    def _accept(self) -> None:
        while (socket := self._server.nextPendingConnection()) is not None:
            socket.readyRead.connect(self._reader(socket))
            socket.disconnected.connect(socket.deleteLater)

    def _reader(self, socket: QLocalSocket) -> Callable[[], None]:
        buffer = bytearray()

        def read() -> None:
            buffer.extend(bytes(socket.readAll().data()))
            if b"\n" not in buffer or len(buffer) > 65536:
                return
            line = bytes(buffer).split(b"\n", 1)[0]
            try:
                request = json.loads(line.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                request = None
            if not isinstance(request, dict):
                socket.write(b"bad\n")
                socket.disconnectFromServer()
                return
            socket.write(b"ok\n")
            socket.flush()
            self.requested.emit({k: str(v) for k, v in request.items() if v})

        return read
