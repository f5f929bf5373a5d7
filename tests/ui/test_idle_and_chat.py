"""The idle warning and the chat, driven by a real session on a real server: the server's
room (a bot joins, chats) and the session (its idle timer) change, the screen follows."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QUrl
from pytestqt.qtbot import QtBot

from parley.sdk import SessionState
from parley.sdk.chat import ChatListener
from parley.ui.banners import IDLE_TEXT
from tests.qt.support import App, Bots, Servers, run


def test_alone_the_idle_warning_asks_and_stay_keeps_the_call(
        qtbot: QtBot, servers: Servers, make_app: Callable[..., App]) -> None:
    app = make_app(servers.start().url, idle_timeout_period=4.0)  # < 60 s: it warns at once
    app.join_by_typing()
    bar = app.window.call_view.idle_bar
    qtbot.waitUntil(bar.isVisible, timeout=3000)
    assert bar.label.text() == IDLE_TEXT and bar.accessibleName() == IDLE_TEXT
    qtbot.waitUntil(lambda: bar.detail.text() == "The call ends in 3 s.", timeout=3000)
    qtbot.keyClick(bar.stay_button, Qt.Key.Key_Space)  # it has the focus: Space is "Stay"
    assert not bar.isVisible()
    qtbot.waitUntil(bar.isVisible, timeout=3000)  # a new idle period, a new warning
    assert app.controller.state is SessionState.JOINED  # well past the first 4 s
    with qtbot.waitSignal(app.controller.sessionLeft, timeout=5000):
        qtbot.mouseClick(bar.leave_button, Qt.MouseButton.LeftButton)
    assert not bar.isVisible() and not app.window.showing_call()


def test_someone_joining_takes_the_warning_away(
        qtbot: QtBot, servers: Servers, make_app: Callable[..., App], bots: Bots) -> None:
    server = servers.start()
    app = make_app(server.url, idle_timeout_period=30.0)
    app.join_by_typing()
    bar = app.window.call_view.idle_bar
    qtbot.waitUntil(bar.isVisible, timeout=3000)
    bots.join(server.url)
    qtbot.waitUntil(lambda: not bar.isVisible(), timeout=5000)


def test_chat_both_ways_with_the_unread_badge_and_safe_links(
        qtbot: QtBot, servers: Servers, make_app: Callable[..., App], bots: Bots) -> None:
    server = servers.start()
    app = make_app(server.url)
    app.join_by_typing()
    call = app.window.call_view
    bot = bots.join(server.url)
    heard: list[str] = []
    bot.add_chat_listener(ChatListener(on_message=lambda _p, text: heard.append(text)))
    bot.send_chat("<b>not bold</b> see https://example.org/a?b=1&c=2. or javascript:alert(1)")
    badge, chat_button = call.controls.badge, call.controls.button("chat")
    qtbot.waitUntil(lambda: call.controls.unread() == 1, timeout=5000)
    assert badge.isVisible() and badge.text() == "1"
    assert chat_button.accessibleName() == "Show chat (1 unread)"

    qtbot.mouseClick(chat_button, Qt.MouseButton.LeftButton)
    assert call.chat.isVisible() and call.controls.unread() == 0 and not badge.isVisible()
    assert call.chat.messages() == [("Grace Hopper", bot.chat_messages[0].text)]
    shown = call.chat.shown_text()
    assert "<b>not bold</b> see https://example.org/a?b=1&c=2." in shown  # as typed, no markup
    assert call.chat.shown_links() == ["https://example.org/a?b=1&c=2"]
    opened: list[QUrl] = []
    call.open_url = opened.append
    call.chat.view.anchorClicked.emit(QUrl("https://example.org/a?b=1&c=2"))
    call.chat.view.anchorClicked.emit(QUrl("javascript:alert(1)"))
    call.chat.view.anchorClicked.emit(QUrl("file:///etc/passwd"))
    assert [u.toString() for u in opened] == ["https://example.org/a?b=1&c=2"]

    assert call.chat.input.hasFocus()  # opening the chat puts you in its box
    qtbot.keyClicks(call.chat.input, "hello Grace")
    qtbot.keyClick(call.chat.input, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: heard[-1:] == ["hello Grace"], timeout=5000)
    qtbot.waitUntil(lambda: call.chat.messages()[-1] == ("Ada Lovelace", "hello Grace"),
                    timeout=5000)
    assert "Ada Lovelace (you)" in call.chat.shown_text()
    assert call.controls.unread() == 0  # your own and the read ones are not unread


def test_a_late_joiner_sees_the_chat_so_far(
        qtbot: QtBot, servers: Servers, make_app: Callable[..., App], bots: Bots) -> None:
    server = servers.start()
    bot = bots.join(server.url)
    bot.send_chat("before you came")
    qtbot.waitUntil(lambda: len(bot.chat_messages) == 1, timeout=5000)
    app = make_app(server.url)
    app.join_by_typing()
    call = app.window.call_view
    qtbot.waitUntil(lambda: call.chat.messages() == [("Grace Hopper", "before you came")],
                    timeout=5000)
    assert call.controls.unread() == 1
    with qtbot.waitSignal(app.controller.sessionLeft, timeout=5000):
        app.controller.leave()
    assert call.chat.messages() == [] and call.controls.unread() == 0


def test_notices_for_arrivals_hands_and_departures_but_not_for_who_was_there(
        qtbot: QtBot, servers: Servers, make_app: Callable[..., App], bots: Bots) -> None:
    server = servers.start()
    bots.join(server.url, name="Alan Turing")  # there before us: no notice for him
    app = make_app(server.url)
    app.join_by_typing()
    toasts = app.window.call_view.toasts
    assert app.window.call_view.play_sound is None  # sounds are off by default
    bot = bots.join(server.url)
    qtbot.waitUntil(lambda: toasts.texts() == ["Grace Hopper joined"], timeout=5000)
    bot.raise_hand()
    qtbot.waitUntil(lambda: toasts.texts()[-1:] == ["Grace Hopper raised their hand"],
                    timeout=5000)
    run(qtbot, bot.leave_session())
    qtbot.waitUntil(lambda: toasts.texts()[-1:] == ["Grace Hopper left"], timeout=5000)
    assert "Alan Turing joined" not in toasts.texts()
