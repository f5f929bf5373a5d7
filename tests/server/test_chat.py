"""Chat through the real server: relayed to the whole room, rate-limited per seat, kept for
the call and handed to late joiners, gone with the call."""

from __future__ import annotations

import json

from parley.protocol.chattext import MAX_CHAT_LENGTH
from parley.protocol.errors import ErrorCode
from parley.protocol.messages import (
    Chat,
    ChatHistory,
    ChatMessage,
    Error,
    Leave,
    ParticipantJoined,
)
from parley.server import CallServer
from parley.server.chat import ChatLimits, ChatRelay
from parley.server.rooms import Registry
from tests.server.conftest import Connect


async def test_chat_goes_to_everyone_in_the_room_and_nowhere_else(
        server: CallServer, connect: Connect) -> None:
    a, b, other = await connect(server), await connect(server), await connect(server)
    await a.join("r", "Ada")
    await b.join("r", "Bob")
    await other.join("elsewhere", "Eve")
    await a.expect(ParticipantJoined)
    await a.send(Chat("hello"))
    for client in (a, b):
        got = await client.expect(ChatMessage)
        assert (got.seq, got.name, got.text, got.sender) == (1, "Ada", "hello", a.pid)
        assert got.sent_at > 0
    await other.roundtrip()  # nothing came to the other room


async def test_a_late_joiner_gets_the_history_after_its_welcome(
        server: CallServer, connect: Connect) -> None:
    a = await connect(server)
    await a.join("r", "Ada")
    for text in ("one", "two"):
        await a.send(Chat(text))
        await a.expect(ChatMessage)
    late = await connect(server)
    await late.join("r", "Bob")
    history = await late.expect(ChatHistory)
    assert [(m.seq, m.name, m.text) for m in history.messages] == [(1, "Ada", "one"),
                                                                   (2, "Ada", "two")]


async def test_the_chat_ends_with_the_call(server: CallServer, connect: Connect) -> None:
    a = await connect(server)
    await a.join("r", "Ada")
    await a.send(Chat("from the first call"))
    await a.expect(ChatMessage)
    await a.send(Leave())
    again = await connect(server)
    await again.join("r", "Ada")  # the room was empty: a new call of the same name
    await again.roundtrip()  # no chat_history before the pong
    await again.send(Chat("fresh"))
    assert (await again.expect(ChatMessage)).seq == 1


async def test_a_seat_sending_too_fast_is_refused_and_keeps_its_connection(
        server: CallServer, connect: Connect) -> None:
    a, b = await connect(server), await connect(server)
    await a.join("r", "Ada")
    await b.join("r", "Bob")
    await a.expect(ParticipantJoined)
    burst = ChatLimits().burst
    for i in range(burst + 1):
        await a.send(Chat(f"m{i}"))
    for i in range(burst):
        assert (await a.expect(ChatMessage)).text == f"m{i}"
    refused = await a.expect(Error)
    assert (refused.code, refused.ref) == (ErrorCode.RATE_LIMITED.value, "chat")
    await a.roundtrip()  # still connected
    assert [(await b.expect(ChatMessage)).text for _ in range(burst)] == [
        f"m{i}" for i in range(burst)]
    await b.send(Chat("Bob has his own budget"))
    assert (await b.expect(ChatMessage)).name == "Bob"


async def test_bad_chat_is_refused(server: CallServer, connect: Connect) -> None:
    a = await connect(server)
    await a.join("r", "Ada")
    for text in ("", " \n ", "x" * (MAX_CHAT_LENGTH + 1), "esc\x1b[2J"):
        await a.send_raw(json.dumps({"v": 1, "type": "chat", "text": text}))
        refused = await a.expect(Error)
        assert (refused.code, refused.ref) == (ErrorCode.INVALID_FIELD.value, "chat")
    await a.roundtrip()


def test_the_history_is_bounded_and_ends_with_the_room() -> None:
    registry = Registry(10, 10)
    registry.admit("r", "Ada", "p_a")
    sent: list[object] = []
    relay = ChatRelay(registry, lambda _room, m: sent.append(m),
                      ChatLimits(rate_per_second=1e6, burst=10**6, history_messages=3,
                                 history_characters=25))
    for i in range(5):
        relay.post(("r", "p_a"), Chat(f"message {i}"))  # 9 characters each
    assert [m.text for m in relay.history("r")] == ["message 3", "message 4"]
    assert len(sent) == 5
    registry.remove(("r", "p_a"), 0.0, 1.0)
    assert relay.history("r") == ()
