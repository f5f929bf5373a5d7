"""The desktop app's call window in its own process, for fault tests that assert what a
tile shows on a real (shaped) link.

    python -m tests.faults.tile_probe --server ws://10.77.1.1:8787 --session s --name Ada

It joins through the real controller and window (synthetic media), and prints one JSON
object per line, as tests/faults/agent.py does (``ev``, ``t`` = time.monotonic()):

- ``joined_as`` (pid) once the window shows the call;
- ``tile`` (pid, name, notice, badges, avatar) for every remote tile whenever what it
  shows changes (the window is read ten times a second: there is no "painted a
  notice" signal to wait on, and the reader is the test's observer, not the product).

Commands, one per line on stdin: ``shot PATH`` (save the window; answers ``shot``),
``exit`` (leave, answers ``left``, exit 0). End of stdin is ``exit``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any


def emit(ev: str, **fields: Any) -> None:
    print(json.dumps({"ev": ev, "t": time.monotonic(), **fields}), flush=True)


async def probe(args: argparse.Namespace, scratch: Path) -> None:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from parley.qt.controller import SessionController
    from parley.qt.options import JoinOptions
    from parley.qt.resources import Theme, stylesheet
    from parley.qt.settings import AppSettings
    from parley.sdk import CallSession
    from parley.ui.window import MainWindow

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    app.setStyleSheet(stylesheet(Theme.DARK))
    store = QSettings(str(scratch / "parley.ini"), QSettings.Format.IniFormat)
    controller = SessionController(CallSession(), default_server=args.server,
                                   settings_overrides={"fake_media": True})
    window = MainWindow(controller, AppSettings(store), Theme.DARK)
    window.resize(960, 600)
    window.show()
    commands: asyncio.Queue[str] = asyncio.Queue()
    loop = asyncio.get_running_loop()

    def read_stdin() -> None:
        for line in sys.stdin:
            loop.call_soon_threadsafe(commands.put_nowait, line.strip())
        loop.call_soon_threadsafe(commands.put_nowait, "exit")

    threading.Thread(target=read_stdin, name="probe-stdin", daemon=True).start()
    await controller.join(args.session, JoinOptions(args.name), args.server, "")
    local = controller.session.local_participant
    emit("joined_as", pid=local.id if local else None)
    shown: dict[str, dict[str, Any]] = {}
    while True:
        for tile in window.call_view.grid.tiles():
            if tile.participant.is_local:
                continue
            now = {"name": tile.participant.name, "notice": tile.notice(),
                   "badges": tile.badges(), "avatar": tile.shows_avatar()}
            if shown.get(tile.participant_id) != now:
                shown[tile.participant_id] = now
                emit("tile", pid=tile.participant_id, **now)
        try:
            command = await asyncio.wait_for(commands.get(), 0.1)
        except TimeoutError:
            continue
        if command.startswith("shot "):
            window.grab().save(command.split(" ", 1)[1])
            emit("shot")
        elif command == "exit":
            await controller.session.leave_session()
            window.close()
            await window.wait_closed()
            emit("left")
            return


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", required=True)
    parser.add_argument("--session", required=True)
    parser.add_argument("--name", default="Ada Lovelace")
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication
    from qasync import QEventLoop

    from parley.qt.settings import configure_application

    app = QApplication([])
    app.setQuitOnLastWindowClosed(False)
    configure_application()
    loop = QEventLoop(app)
    asyncio.set_event_loop(loop)
    with tempfile.TemporaryDirectory(prefix="parley-tile-") as scratch, loop:
        loop.run_until_complete(probe(args, Path(scratch)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
