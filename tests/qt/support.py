"""Fixtures and helpers shared by the Qt-side tests (tests/qt, tests/ui, tests/desktop).

``qloop`` makes a qasync loop the running asyncio loop while pytest-qt spins Qt:
qtbot.waitSignal / waitUntil process Qt events, and with them the loop's
callbacks, sockets and timers. Its unhandled exceptions fail the test, like the
strict loop of tests/conftest.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import qasync
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from parley.qt.settings import AppSettings
from tests.conftest import _record

T = TypeVar("T")


@pytest.fixture
def qloop(qapp: QApplication, qtbot: QtBot) -> Iterator[asyncio.AbstractEventLoop]:
    loop = qasync.QEventLoop(qapp, already_running=True)
    loop.set_exception_handler(_record)
    asyncio.set_event_loop(loop)
    try:
        yield loop
    finally:
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in pending:
            task.cancel()
        if pending:
            qtbot.waitUntil(lambda: all(t.done() for t in pending), timeout=5000)
        # Not loop.stop(): it calls QCoreApplication.exit(), which with no exec()
        # running sets Qt's quitNow flag, and every later QEventLoop.exec() (all of
        # pytest-qt's waits) would return at once. Mark the loop stopped instead.
        loop._QEventLoop__is_running = False  # type: ignore[attr-defined]
        asyncio.events._set_running_loop(None)
        loop.close()
        asyncio.set_event_loop(None)


def run(qtbot: QtBot, awaitable: Awaitable[T], timeout: float = 10.0) -> T:
    """Run ``awaitable`` on the qasync loop while Qt spins; its result (or exception)."""
    task = asyncio.ensure_future(awaitable)
    qtbot.waitUntil(task.done, timeout=int(timeout * 1000))
    return task.result()


@pytest.fixture
def app_settings(tmp_path: Path) -> AppSettings:
    """Settings in a temporary INI file, never the user's own."""
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path))
    return AppSettings(QSettings(str(tmp_path / "parley.ini"), QSettings.Format.IniFormat))


def participant(pid: str, name: str = "", **flags: Any) -> Any:
    """A real SDK Participant (the model the widgets show)."""
    from parley.sdk import Participant

    return Participant(id=pid, name=name or pid.title(), **flags)


@pytest.fixture
def call_server(qtbot: QtBot, qloop: asyncio.AbstractEventLoop,
                tmp_path: Path) -> Iterator[Any]:
    """A real call server on loopback, on the test's qasync loop."""
    from parley.server import CallServer, ServerConfig

    server = CallServer(ServerConfig(port=0, state_dir=tmp_path / "server-state"))
    run(qtbot, server.start())
    yield server
    run(qtbot, server.stop())
