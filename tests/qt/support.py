"""Fixtures and helpers shared by the Qt-side tests (tests/qt, tests/ui, tests/desktop).

``qloop`` makes a qasync loop the running asyncio loop while pytest-qt spins Qt:
qtbot.waitSignal / waitUntil process Qt events, and with them the loop's
callbacks, sockets and timers. Its unhandled exceptions fail the test, like the
strict loop of tests/conftest.py.

There is one qasync loop per test session, created "already running" (pytest-qt's
waits are what run it). It is never stopped between tests: ``QEventLoop.stop()``
calls ``QCoreApplication.exit()``, after which every later ``QEventLoop.exec()``
(all of pytest-qt's waits) would return at once. Each test makes it the running
loop and, at its end, cancels what it left and un-sets it, so the asyncio tests
that follow in the same process get a clean slate.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import qasync
import shiboken6
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from parley.qt.settings import AppSettings
from tests.conftest import _record

T = TypeVar("T")


@pytest.fixture(scope="session")
def session_qloop(qapp: QApplication) -> Iterator[asyncio.AbstractEventLoop]:
    loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio._set_running_loop(None)  # each test sets it (``qloop``)
    yield loop
    loop.stop()  # the session is over: no Qt wait follows any more
    loop.close()


@pytest.fixture
def qloop(session_qloop: asyncio.AbstractEventLoop,
          qtbot: QtBot) -> Iterator[asyncio.AbstractEventLoop]:
    loop = session_qloop
    loop.set_exception_handler(_record)
    asyncio.set_event_loop(loop)
    asyncio._set_running_loop(loop)  # the loop-implementer's hook qasync itself uses
    try:
        yield loop
    finally:
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in pending:
            task.cancel()
        if pending:
            qtbot.waitUntil(lambda: all(t.done() for t in pending), timeout=5000)
        loop.set_exception_handler(None)
        asyncio._set_running_loop(None)
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



class Servers:
    """Real call servers on loopback, on the test's qasync loop; all stopped at its end."""

    def __init__(self, qtbot: QtBot, state_dir: Path) -> None:
        self.qtbot = qtbot
        self.state_dir = state_dir
        self.started: list[Any] = []

    def start(self, port: int = 0, **config: Any) -> Any:
        """A started CallServer (the same port and state again: its replacement)."""
        from parley.server import CallServer, ServerConfig

        config.setdefault("departure_timeout", 10.0)
        server = CallServer(ServerConfig(port=port, state_dir=self.state_dir, **config))
        run(self.qtbot, server.start())
        self.started.append(server)
        return server

    def stop_all(self) -> None:
        for server in self.started:
            run(self.qtbot, server.stop())


@pytest.fixture
def servers(qtbot: QtBot, qloop: asyncio.AbstractEventLoop,
            tmp_path: Path) -> Iterator[Servers]:
    group = Servers(qtbot, tmp_path / "state")
    yield group
    group.stop_all()


class Bots:
    """Other participants: real CallSessions (no media) that leave at the test's end."""

    def __init__(self, qtbot: QtBot) -> None:
        self.qtbot = qtbot
        self.sessions: list[Any] = []

    def join(self, url: str, name: str = "Grace Hopper", session_id: str = "standup",
             **settings: Any) -> Any:
        from parley.sdk import CallSession, SessionSettings

        bot = CallSession()
        self.sessions.append(bot)
        settings.setdefault("media", False)
        run(self.qtbot, bot.join_session(session_id, SessionSettings(display_name=name,
                                                                     **settings), server=url))
        return bot

    def leave_all(self) -> None:
        for bot in self.sessions:
            run(self.qtbot, bot.leave_session(), timeout=30)


@pytest.fixture
def bots(qtbot: QtBot, qloop: asyncio.AbstractEventLoop) -> Iterator[Bots]:
    group = Bots(qtbot)
    yield group
    group.leave_all()


class App:
    """The main window and its controller on a real session, torn down like the app does."""

    def __init__(self, qtbot: QtBot, settings: AppSettings, server_url: str,
                 preview: Any = None, **overrides: Any) -> None:
        from parley.qt.controller import SessionController
        from parley.sdk import CallSession
        from parley.ui.window import MainWindow

        self.qtbot = qtbot
        self.controller = SessionController(
            CallSession(), default_server=server_url,
            settings_overrides={"media": False, **overrides})
        self.window = MainWindow(self.controller, settings, preview=preview)
        qtbot.addWidget(self.window)
        self.window.show()

    @property
    def session(self) -> Any:
        return self.controller.session

    def join_by_typing(self, name: str = "Ada Lovelace", session: str = "standup") -> None:
        """Type a name and a session, click Join, and wait until your own tile shows."""
        form = self.window.join_view
        form.name_edit.clear()
        form.session_edit.clear()
        self.qtbot.keyClicks(form.name_edit, name)
        self.qtbot.keyClicks(form.session_edit, session)
        with self.qtbot.waitSignal(self.controller.sessionJoined, timeout=10000):
            self.qtbot.mouseClick(form.join_button, Qt.MouseButton.LeftButton)
        assert self.window.showing_call()
        self.qtbot.waitUntil(lambda: self.own_tile() is not None, timeout=5000)

    def own_tile(self) -> Any:
        """Your own tile in the grid (None before it shows)."""
        mine = [t for t in self.window.call_view.grid.tiles() if t.participant.is_local]
        assert len(mine) <= 1
        return mine[0] if mine else None

    def close(self) -> None:
        if shiboken6.isValid(self.window):  # pytest-qt may have closed it already
            self.window.close()
        run(self.qtbot, self.window.wait_closed())


@pytest.fixture
def make_app(qtbot: QtBot, app_settings: AppSettings,
             qloop: asyncio.AbstractEventLoop) -> Iterator[Callable[..., App]]:
    """``make_app(server_url, preview=None, **settings_overrides)``; closed at the end."""
    apps: list[App] = []

    def make(server_url: str, preview: Any = None, **overrides: Any) -> App:
        app = App(qtbot, app_settings, server_url, preview, **overrides)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.close()
