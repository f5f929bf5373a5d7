"""The desktop app's own chat panel (the real MainWindow on a real session) and a
browser guest in one call: each writes, each sees the other's message with the right
name, and links and markup are treated alike on both sides."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from tests.browser.support import Guest, chromium, until
from tests.browser.test_chat import count, shown, unread
from tests.qt.support import App, Servers, run

pytestmark = pytest.mark.slow

GUEST_SAYS = "hello from the browser, <i>not italic</i>: https://example.org/g?x=1."


@pytest.fixture
def qt_guest(qtbot: QtBot, qloop: Any, tmp_path: Path) -> Iterator[Guest]:
    """A guest page in Chromium, on the test's qasync loop."""
    stack = contextlib.AsyncExitStack()
    context = run(qtbot, stack.enter_async_context(chromium(tmp_path / "chromium")),
                  timeout=30)
    page = run(qtbot, context.new_page())
    try:
        yield Guest(page)
    finally:
        run(qtbot, stack.aclose(), timeout=30)


def test_the_desktop_app_and_a_browser_guest_chat_both_ways(
        qtbot: QtBot, servers: Servers, make_app: Callable[..., App], qt_guest: Guest) -> None:
    guest = qt_guest
    server = servers.start()
    app = make_app(server.url)
    app.join_by_typing("Ada Lovelace", "standup")
    call = app.window.call_view
    run(qtbot, guest.open(f"http://127.0.0.1:{server.port}/join/standup"))
    gid = run(qtbot, guest.join("Gus", camera="none", microphone="none"))
    qtbot.waitUntil(lambda: any(p.id == gid for p in app.session.participants), timeout=5000)

    # the guest writes; the app's closed chat counts it and shows it as the guest's
    run(qtbot, guest.page.click("#chat-toggle"))
    run(qtbot, guest.page.fill("#chat-input", GUEST_SAYS))
    run(qtbot, guest.page.press("#chat-input", "Enter"))
    qtbot.waitUntil(lambda: call.controls.unread() == 1, timeout=5000)
    assert call.controls.badge.text() == "1"
    assert call.chat.messages() == [("Gus", GUEST_SAYS)]
    assert call.chat.shown_links() == ["https://example.org/g?x=1"]
    assert "<i>not italic</i>" in call.chat.shown_text()  # as text, not markup

    # the app answers from its panel; the guest sees it under the app's name
    qtbot.mouseClick(call.controls.button("chat"), Qt.MouseButton.LeftButton)
    assert call.controls.unread() == 0
    qtbot.keyClicks(call.chat.input, "hi Gus, see https://example.org/a")
    qtbot.keyClick(call.chat.input, Qt.Key.Key_Return)
    run(qtbot, until(lambda: count(guest, 2), what="the app's message in the page"))
    mine, theirs = run(qtbot, shown(guest))
    assert (mine["who"], mine["text"], mine["local"]) == ("Gus (you)", GUEST_SAYS, True)
    assert [link["href"] for link in mine["links"]] == ["https://example.org/g?x=1"]
    assert (theirs["who"], theirs["text"]) == ("Ada Lovelace", "hi Gus, see https://example.org/a")
    assert [link["href"] for link in theirs["links"]] == ["https://example.org/a"]
    assert run(qtbot, unread(guest)) == 0  # its panel is open
    qtbot.waitUntil(lambda: call.chat.messages()[-1] == ("Ada Lovelace",
                                                         "hi Gus, see https://example.org/a"),
                    timeout=5000)
    assert "Ada Lovelace (you)" in call.chat.shown_text()
    assert guest.errors == []
