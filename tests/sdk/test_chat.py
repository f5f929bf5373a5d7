"""Chat and the idle warning through CallSession against the real call server."""

from __future__ import annotations

import asyncio

import pytest

from parley.protocol.chattext import MAX_CHAT_LENGTH
from parley.protocol.messages import ChatHistory, ChatMessage, Leave
from parley.sdk import CallSession, SessionSettings, SessionState, SessionStatusListener
from parley.sdk.chat import ChatListener, ChatLog
from parley.sdk.participants import Participant, Roster
from parley.server import CallServer


class Heard:
    """What a ChatListener was told, with a way to wait for it."""

    def __init__(self, session: CallSession) -> None:
        self.messages: list[tuple[Participant, str]] = []
        self._changed = asyncio.Event()
        session.add_chat_listener(ChatListener(on_message=self._on_message))

    def _on_message(self, participant: Participant, text: str) -> None:
        self.messages.append((participant, text))
        self._changed.set()

    def texts(self) -> list[tuple[str, str]]:
        return [(p.name, text) for p, text in self.messages]

    async def until(self, count: int, timeout: float = 5.0) -> None:
        async with asyncio.timeout(timeout):
            while len(self.messages) < count:
                self._changed.clear()
                await self._changed.wait()


async def _join(server: CallServer, name: str, **kw: object) -> tuple[CallSession, Heard]:
    session = CallSession()
    heard = Heard(session)
    await session.join_session("standup", SessionSettings(display_name=name, media=False,
                                                          **kw),  # type: ignore[arg-type]
                               server=server.url)
    return session, heard


async def test_chat_reaches_everyone_once_the_sender_too_and_late_joiners_get_the_history(
        server: CallServer) -> None:
    ada, ada_heard = await _join(server, "Ada")
    bob, bob_heard = await _join(server, "Bob")
    assert ada.send_chat("hello, Bob")
    await bob_heard.until(1)  # (two senders' messages are in the order the server got them)
    assert bob.send_chat("hi Ada\nsee https://example.org")
    await ada_heard.until(2)
    await bob_heard.until(2)
    expected = [("Ada", "hello, Bob"), ("Bob", "hi Ada\nsee https://example.org")]
    assert ada_heard.texts() == bob_heard.texts() == expected
    assert [p.is_local for p, _ in ada_heard.messages] == [True, False]
    assert [e.seq for e in ada.chat_messages] == [1, 2]
    await bob.leave_session()

    carl, carl_heard = await _join(server, "Carl")
    await carl_heard.until(2)
    assert carl_heard.texts() == expected  # Bob has left; his message stays in the call
    assert [(e.participant.name, e.text) for e in carl.chat_messages] == expected
    for session in (ada, carl):
        await session.leave_session()


def test_a_resumed_history_brings_only_what_was_missed() -> None:
    roster = Roster()
    roster.local_id = "p_bob"
    emitted: list[tuple[str, str]] = []
    log = ChatLog(roster, lambda _name, who, text: emitted.append((who.name, text)),
                  send=lambda _m: True)

    def said(seq: int, text: str) -> ChatMessage:
        return ChatMessage(seq=seq, name="Ada", text=text, sent_at=1.0, sender="p_ada")

    assert log.handle(said(1, "one"))
    assert log.handle(ChatHistory((said(1, "one"), said(2, "two"))))  # after a resume
    assert emitted == [("Ada", "one"), ("Ada", "two")]
    assert log.handle(said(1, "again"))  # live, after a server restart began anew
    assert [e.seq for e in log.entries] == [1, 2, 1] and len(emitted) == 3
    assert not log.handle(Leave())


async def test_chat_text_is_checked_and_nothing_is_sent_out_of_a_call(
        server: CallServer) -> None:
    ada, heard = await _join(server, "Ada")
    for bad in ("", "   ", "x" * (MAX_CHAT_LENGTH + 1), "bell\x07"):
        with pytest.raises(ValueError, match="chat text must"):
            ada.send_chat(bad)
    assert ada.send_chat("x" * MAX_CHAT_LENGTH)
    await heard.until(1)
    await ada.leave_session()
    assert ada.state is SessionState.ENDED and not ada.send_chat("anyone?")
    assert CallSession().send_chat("never joined") is False


async def test_the_idle_warning_comes_and_stay_restarts_the_timer(server: CallServer) -> None:
    warnings: list[float] = []
    warned = asyncio.Event()
    ended = asyncio.Event()

    def on_warning(seconds_left: float) -> None:
        warnings.append(seconds_left)
        warned.set()

    ada = CallSession()
    ada.add_session_status_listener(SessionStatusListener(
        on_idle_warning=on_warning, on_session_timed_out=ended.set))
    await ada.join_session("standup", SessionSettings("Ada", media=False,
                                                      idle_timeout_period=1.5),
                           server=server.url)
    await asyncio.wait_for(warned.wait(), 2)
    assert warnings and 1.3 <= warnings[0] <= 1.5  # a short timeout warns at once
    warned.clear()
    ada.stay()
    await asyncio.wait_for(warned.wait(), 2)  # a new period, a new warning
    assert len(warnings) == 2
    await asyncio.wait_for(ended.wait(), 3)
    assert ada.state is SessionState.ENDED
