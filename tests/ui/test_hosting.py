"""Hosting in the windows, model-driven against the real server: New call shows a link, a
second window joins with it, Ask to join (Admit / Deny), and the host ending the call."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from parley.desktop.discovery import DiscoveredCall
from parley.desktop.hosting import LanHost
from parley.protocol.invites import parse_invite
from parley.qt.controller import SessionController
from parley.qt.settings import AppSettings
from parley.sdk import CallSession, EndReason
from parley.ui.hosting import END_FOR_ALL
from parley.ui.messages import HOST_ENDED_TEXT, WAITING_FOR_HOST_TEXT
from parley.ui.window import MainWindow
from tests.qt.support import run

LAN = "127.0.0.2"  # a loopback address that stands for the LAN one


class Window:
    def __init__(self, qtbot: QtBot, settings: AppSettings, default_server: str,
                 lan: LanHost | None) -> None:
        self.qtbot = qtbot
        self.controller = SessionController(
            CallSession(), default_server=default_server, settings_overrides={"media": False},
            host_starter=lan.new_call if lan is not None else None)
        self.window = MainWindow(self.controller, settings)
        self.window.show()  # closed by the fixture, after leaving (not by pytest-qt first)

    @property
    def form(self) -> Any:
        return self.window.join_view

    def new_call(self, name: str = "Ada") -> str:
        self.form.name_edit.setText(name)
        with self.qtbot.waitSignal(self.controller.hostingStarted, timeout=10000):
            self.qtbot.mouseClick(self.form.new_call_button, Qt.MouseButton.LeftButton)
        self.qtbot.waitUntil(self.window.showing_call, timeout=5000)
        return str(self.window.hosting_panel.link())

    def close(self) -> None:
        self.window.close()
        run(self.qtbot, self.window.wait_closed())
        self.window.deleteLater()


@pytest.fixture
def windows(qtbot: QtBot, app_settings: AppSettings, qloop: asyncio.AbstractEventLoop,
            tmp_path: Path) -> Iterator[Callable[..., Window]]:
    lan = LanHost(secret_dir=tmp_path / "cfg", bind=LAN, port=0, state_dir=tmp_path,
                  addresses=lambda: ["127.0.0.1", LAN])
    made: list[Window] = []

    def make(host: bool = False) -> Window:
        made.append(Window(qtbot, app_settings, "", lan if host else None))
        return made[-1]

    yield make
    for window in reversed(made):  # out of every call first: closing asks no question then
        run(qtbot, window.controller.leave())
    for window in reversed(made):
        window.close()
    run(qtbot, lan.stop())


def test_new_call_shows_a_link_and_a_second_window_joins_with_it(
        qtbot: QtBot, windows: Callable[..., Window]) -> None:
    host = windows(host=True)
    link = host.new_call("Ada")
    invite = parse_invite(link)
    assert invite.server is not None and invite.server.startswith(f"ws://{LAN}:")
    assert invite.token and host.window.hosting_panel.isVisible()
    qtbot.mouseClick(host.window.hosting_panel.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == link
    assert host.window.call_view.copy_button.isEnabled()

    guest = windows()
    guest.form.name_edit.setText("Bob")
    guest.form.session_edit.setText(link)  # pasted: unpacked into session, server, token
    with qtbot.waitSignal(guest.controller.sessionJoined, timeout=10000):
        qtbot.mouseClick(guest.form.join_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: host.window.call_view.participant_count() == 2, timeout=5000)
    assert host.window.windowTitle().startswith(f"{invite.session_id} (2 people)")


def _ask_to_join(qtbot: QtBot, guest: Window, host: Window, name: str) -> None:
    """The guest picks the host's call from "Calls on this network" (no token)."""
    assert host.controller.session.server_url is not None
    server = host.window.hosting_panel.link()
    call = DiscoveredCall(host.controller.session_id, "Ada", parse_invite(server).server or "")
    guest.form.name_edit.setText(name)
    guest.form.set_nearby_calls([call])
    assert guest.form.nearby.labels() == [f"Ada's call · {call.session_id}"]
    guest.form.nearby.choose(0)
    qtbot.waitUntil(lambda: guest.form.message_text() == WAITING_FOR_HOST_TEXT, timeout=5000)
    qtbot.waitUntil(lambda: host.window.admit_prompt.texts() == [f"{name} wants to join"],
                    timeout=5000)


def test_ask_to_join_admit_and_deny(qtbot: QtBot, windows: Callable[..., Window]) -> None:
    host = windows(host=True)
    host.new_call("Ada")
    bob = windows()
    _ask_to_join(qtbot, bob, host, "Bob")
    assert not bob.window.showing_call() and bob.form.is_busy()
    (request,) = host.controller.lobby.requests
    admit, _deny = host.window.admit_prompt.buttons(request.id)
    with qtbot.waitSignal(bob.controller.sessionJoined, timeout=10000):
        qtbot.mouseClick(admit, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not host.window.admit_prompt.isVisible(), timeout=5000)
    assert bob.window.showing_call()

    eve = windows()
    _ask_to_join(qtbot, eve, host, "Eve")
    (request,) = host.controller.lobby.requests
    _admit, deny = host.window.admit_prompt.buttons(request.id)
    with qtbot.waitSignal(eve.controller.joinFailed, timeout=10000):
        qtbot.mouseClick(deny, Qt.MouseButton.LeftButton)
    assert eve.form.message_text() == "The host didn't let you in."
    assert not eve.window.showing_call()


def test_the_host_ending_the_call_tells_the_others(qtbot: QtBot,
                                                  windows: Callable[..., Window]) -> None:
    host = windows(host=True)
    link = host.new_call("Ada")
    bob = windows()
    bob.form.name_edit.setText("Bob")
    bob.form.session_edit.setText(link)
    with qtbot.waitSignal(bob.controller.sessionJoined, timeout=10000):
        qtbot.mouseClick(bob.form.join_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: host.window.call_view.participant_count() == 2, timeout=5000)

    qtbot.mouseClick(host.window.call_view.controls.button("leave"), Qt.MouseButton.LeftButton)
    box = host.window.end_question()
    assert box is not None and box.text() == "End the call for everyone?"
    end = next(b for b in box.buttons() if b.text() == END_FOR_ALL)
    with qtbot.waitSignal(bob.controller.sessionLeft, timeout=3000):
        qtbot.mouseClick(end, Qt.MouseButton.LeftButton)
    assert bob.controller.session.end_reason is EndReason.ROOM_CLOSED
    assert bob.form.message_text() == HOST_ENDED_TEXT
    assert bob.form.message.objectName() == "noticeLabel"
    qtbot.waitUntil(lambda: not host.window.showing_call(), timeout=5000)
    assert host.form.message_text() == "" and not host.window.hosting_panel.isVisible()


def test_a_host_alone_leaves_without_a_question(qtbot: QtBot,
                                                windows: Callable[..., Window]) -> None:
    host = windows(host=True)
    host.new_call("Ada")
    with qtbot.waitSignal(host.controller.sessionLeft, timeout=5000):
        qtbot.mouseClick(host.window.call_view.controls.button("leave"),
                         Qt.MouseButton.LeftButton)
    assert host.window.end_question() is None


def test_a_new_call_handed_over_by_a_second_start_is_hosted_here_unless_in_a_call(
        qtbot: QtBot, windows: Callable[..., Window]) -> None:
    import argparse

    from parley.desktop.app import App

    host = windows(host=True)
    runner = App(argparse.Namespace(), AppSettings(), None)
    with qtbot.waitSignal(host.controller.hostingStarted, timeout=10000):
        runner.handed_over(host.window, {"new_call": "1", "name": "Ada"})
    qtbot.waitUntil(host.window.showing_call, timeout=5000)
    assert host.window.in_call and host.form.name_edit.text() == "Ada"
    link = host.window.hosting_panel.link()
    with qtbot.assertNotEmitted(host.controller.hostingStarted, wait=300):
        runner.handed_over(host.window, {"new_call": "1", "name": "Bob"})  # in a call now
    assert host.window.hosting_panel.link() == link and host.window.showing_call()
