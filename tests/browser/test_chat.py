"""The browser guest's chat against a desktop (SDK) participant: both ways, with names,
times and safe links (markup is shown as text, never run), the unread badge, the
server's rate limit in words, the call's earlier chat for a late joiner, and what was
said while the guest's link was cut, once."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from parley.sdk.chat import ChatListener
from parley.sdk.participants import Participant
from parley.server import CallServer
from tests.browser.conftest import page_url
from tests.browser.support import Desktop, Guest, Proxy, until

pytestmark = pytest.mark.slow

# Each message the panel shows, as the reader sees it (and what it is made of).
_SHOWN = """() => [...document.querySelectorAll("#chat-messages li")].map(li => ({
    who: li.querySelector(".who").textContent,
    when: li.querySelector(".when").textContent,
    text: li.querySelector(".text").textContent,
    links: [...li.querySelectorAll(".text a")].map(a => ({
        href: a.getAttribute("href"), text: a.textContent, rel: a.rel, target: a.target})),
    elements: [...li.querySelector(".text").querySelectorAll("*")].map(e => e.localName),
    local: li.classList.contains("local"), seq: Number(li.dataset.seq)}))"""
_UNREAD = """() => { const badge = document.getElementById("chat-unread");
                    return badge.hidden ? 0 : Number(badge.textContent); }"""
HOSTILE = ('<img src=x onerror="window.pwned=1"> <b>bold</b>\n'
           "see https://example.org/a?b=1&c=2. or javascript:window.pwned=1")


class Said:
    """What a desktop's ChatListener was told."""

    def __init__(self, desktop: Desktop) -> None:
        self.messages: list[tuple[str, str, str]] = []
        desktop.session.add_chat_listener(ChatListener(on_message=self._on_message))

    def _on_message(self, participant: Participant, text: str) -> None:
        self.messages.append((participant.id, participant.name, text))


async def shown(guest: Guest) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = await guest.page.evaluate(_SHOWN)
    return messages


async def count(guest: Guest, expected: int) -> bool:
    """Whether the panel shows ``expected`` messages now."""
    return int(await guest.page.locator("#chat-messages li").count()) == expected


async def unread(guest: Guest) -> int:
    return int(await guest.page.evaluate(_UNREAD))


async def test_a_guest_and_a_desktop_chat_both_ways(
        server: CallServer, guest: Guest, desktops: Callable[[str], Desktop]) -> None:
    desktop = desktops("Ada")
    said = Said(desktop)
    did = await desktop.join(server.url, "r")
    assert desktop.session.send_chat("hi, before you came")
    await until(lambda: len(said.messages) == 1, what="Ada's first message relayed")
    await guest.open(page_url(server, "r"))
    gid = await guest.join("Gus", camera="none", microphone="none")

    # the call's earlier chat, with who and when; the panel is closed: a badge counts it
    await until(lambda: count(guest, 1), what="history")
    (first,) = await shown(guest)
    entry = desktop.session.chat_messages[0]
    assert first["who"] == "Ada" and first["text"] == "hi, before you came"
    assert first["when"] == time.strftime("%H:%M", time.localtime(entry.sent_at))
    assert not first["local"] and first["seq"] == entry.seq == 1
    assert await guest.hidden("#chat") and await unread(guest) == 1

    # markup is shown as the characters it is; only the web link is an anchor
    assert desktop.session.send_chat(HOSTILE)
    await until(lambda: count(guest, 2), what="2nd")
    second = (await shown(guest))[1]
    assert second["text"] == HOSTILE
    assert second["links"] == [{"href": "https://example.org/a?b=1&c=2",
                                "text": "https://example.org/a?b=1&c=2",
                                "rel": "noopener noreferrer", "target": "_blank"}]
    assert second["elements"] == ["a"]
    assert await guest.page.evaluate("window.pwned") is None
    assert await unread(guest) == 2

    # opening the panel reads them; the guest writes two lines (Shift+Enter) and sends
    await guest.page.click("#chat-toggle")
    assert await guest.visible("#chat") and await unread(guest) == 0
    assert await guest.page.get_attribute("#chat-toggle", "aria-label") == "Hide chat"
    await guest.page.type("#chat-input", "hello Ada")
    await guest.page.keyboard.press("Shift+Enter")
    await guest.page.keyboard.type("a second line")
    await guest.page.keyboard.press("Enter")
    await until(lambda: len(said.messages) == 3, what="the guest's message at the desktop")
    assert said.messages == [(did, "Ada", "hi, before you came"), (did, "Ada", HOSTILE),
                             (gid, "Gus", "hello Ada\na second line")]
    assert desktop.session.chat_messages[-1].participant.name == "Gus"
    await until(lambda: count(guest, 3), what="echo")
    own = (await shown(guest))[2]
    assert own["who"] == "Gus (you)" and own["local"]
    assert own["text"] == "hello Ada\na second line"
    assert await guest.page.input_value("#chat-input") == ""

    # with the panel open nothing counts as unread; closed again, Ada's next one does
    assert desktop.session.send_chat("seen at once")
    await until(lambda: count(guest, 4), what="4th")
    assert await unread(guest) == 0
    await guest.page.click("#chat-toggle")
    assert desktop.session.send_chat("seen later")
    await until(lambda: unread(guest), what="the badge")
    assert await unread(guest) == 1
    assert await guest.page.get_attribute("#chat-toggle", "aria-label") == (
        "Show chat (1 unread)")  # the desktop's accessible name
    assert guest.errors == []


async def test_a_refused_chat_message_is_said_in_the_panel(
        server: CallServer, guest: Guest, desktops: Callable[[str], Desktop]) -> None:
    desktop = desktops("Ada")
    said = Said(desktop)
    await desktop.join(server.url, "r")
    await guest.open(page_url(server, "r"))
    await guest.join("Gus", camera="none", microphone="none")
    await guest.page.click("#chat-toggle")
    # six at once: the server takes a burst of five and refuses the sixth
    await guest.page.evaluate("""() => {
        const input = document.getElementById("chat-input");
        for (let i = 1; i <= 6; i++) {
          input.value = `message ${i}`;
          document.getElementById("chat-form").requestSubmit();
        }
    }""")
    await until(lambda: guest.visible("#chat-error"), what="the refusal shown")
    assert await guest.page.inner_text("#chat-error") == (
        "Too many chat messages at once: that one was not sent. Wait a moment.")
    await until(lambda: len(said.messages) == 5, what="five relayed")
    assert [text for _, _, text in said.messages] == [f"message {i}" for i in range(1, 6)]
    assert await guest.page.locator("#problems .problem").count() == 0
    await until(lambda: count(guest, 5), what="the guest's five, relayed back")
    # blank text is not sent at all: it stays in the box (a sent one is cleared)
    await guest.page.fill("#chat-input", "   \n ")
    await guest.page.press("#chat-input", "Enter")
    assert await guest.page.input_value("#chat-input") == "   \n "


async def test_what_was_said_while_the_guest_was_cut_off_arrives_once(
        server: CallServer, guest: Guest, desktops: Callable[[str], Desktop]) -> None:
    proxy = Proxy(server.port)
    await proxy.start()
    try:
        desktop = desktops("Ada")
        await desktop.join(server.url, "r")
        await guest.open(page_url(server, "r", port=proxy.port))
        await guest.join("Gus", camera="none", microphone="none")
        assert desktop.session.send_chat("one")
        await until(lambda: count(guest, 1), what="1")
        proxy.cut()
        await until(lambda: guest.visible("#overlay"), what="the guest's link lost")
        assert await guest.page.is_disabled("#chat-input")
        assert desktop.session.send_chat("two, while you were away")
        proxy.restore()
        await until(lambda: guest.hidden("#overlay"), what="resumed")
        await until(lambda: count(guest, 2), what="2")
        assert [(m["seq"], m["text"]) for m in await shown(guest)] == [
            (1, "one"), (2, "two, while you were away")]
        assert await guest.page.is_enabled("#chat-input")
    finally:
        await proxy.stop()


async def test_the_chat_rules_in_the_page(server: CallServer, guest: Guest) -> None:
    """The page's own copy of the chat-text and link rules (chat.js), as the desktop's."""
    await guest.open(page_url(server, "r"))
    found = await guest.page.evaluate("""async () => {
        const { chatParts, chatTextProblem } = await import("../web/chat.js");
        const links = (text) => chatParts(text).filter(p => p.link).map(p => p.link);
        return {
          trailing: links("(see https://a.example/b_(c)), then mailto:x@y.example."),
          schemes: links("javascript:alert(1) data:text/html,x ftp://f.example/ http://"),
          quoted: links('"https://q.example/x"<b>'),
          whole: chatParts("a https://w.example/ b").map(p => p.text ?? p.link).join(""),
          problems: [" \\n\\t", "a\\u0007", "x".repeat(2001), "a\\tb\\nc", "é".repeat(2000)]
            .map(chatTextProblem),
        };
    }""")
    assert found["trailing"] == ["https://a.example/b_(c", "mailto:x@y.example"]
    assert found["schemes"] == []
    assert found["quoted"] == ["https://q.example/x"]
    assert found["whole"] == "a https://w.example/ b"
    assert [p is None for p in found["problems"]] == [False, False, False, True, True]
