"""Limits and malformed input: each answered with its code, nobody else notices."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from parley.protocol.errors import ErrorCode
from parley.protocol.messages import (
    Error,
    Join,
    Leave,
    Message,
    Offer,
    ParticipantJoined,
    ParticipantReconnecting,
    Ping,
    Pong,
    Update,
    encode,
)
from parley.server import CallServer
from parley.server.hub import Hub, Link
from tests.server.conftest import Client, Connect, config_for

Servers = Callable[..., Awaitable[CallServer]]


async def _pair(server: CallServer, connect: Connect) -> tuple[Client, Client]:
    a, b = await connect(server), await connect(server)
    await a.join("room", "A")
    await b.join("room", "B")
    await a.expect(ParticipantJoined)
    return a, b


async def _b_still_relays_to_a(a: Client, b: Client) -> None:
    await b.send(Offer(sdp="still fine", to=a.pid))
    assert (await a.expect(Offer)).sdp == "still fine"


@pytest.mark.parametrize(("frame", "code", "ref"), [
    ("{not json", ErrorCode.MALFORMED, None),
    ("[1, 2]", ErrorCode.MALFORMED, None),
    ('{"v": 1, "type": "ping", "t": NaN}', ErrorCode.MALFORMED, "ping"),
    ('{"type": "ping"}', ErrorCode.UNSUPPORTED_VERSION, "ping"),
    ('{"v": 2, "type": "ping"}', ErrorCode.UNSUPPORTED_VERSION, "ping"),
    ('{"v": 1, "type": "dance"}', ErrorCode.UNKNOWN_TYPE, "dance"),
    ('{"v": 1}', ErrorCode.UNKNOWN_TYPE, None),
    ('{"v": 1, "type": "offer", "to": "p_x"}', ErrorCode.INVALID_FIELD, "offer"),
    ('{"v": 1, "type": "offer", "sdp": 5, "to": "p_x"}', ErrorCode.INVALID_FIELD, "offer"),
    ('{"v": 1, "type": "update", "audio_muted": "yes"}', ErrorCode.INVALID_FIELD, "update"),
    ('{"v": 1, "type": "offer", "sdp": "x", "generation": -1}', ErrorCode.INVALID_FIELD,
     "offer"),
    ('{"v": 1, "type": "join", "session_id": "bad room!", "display_name": "X"}',
     ErrorCode.INVALID_SESSION_ID, "join"),
    ('{"v": 1, "type": "welcome", "session_id": "r", "participant_id": "p", '
     '"participants": [], "resume_token": "t", "heartbeat_interval": 1, '
     '"heartbeat_timeout": 3, "departure_timeout": 20}', ErrorCode.UNKNOWN_TYPE, "welcome"),
], ids=lambda v: v if isinstance(v, ErrorCode) else None)
async def test_malformed_frames_get_an_error_on_that_connection_only(
        server: CallServer, connect: Connect, frame: str, code: ErrorCode,
        ref: str | None) -> None:
    a, b = await _pair(server, connect)
    await a.send_raw(frame)
    error = await a.expect(Error)
    assert (error.code, error.ref) == (code, ref)
    await a.roundtrip()  # a's connection is fine
    await _b_still_relays_to_a(a, b)


async def test_binary_frame_is_malformed(server: CallServer, connect: Connect) -> None:
    a, b = await _pair(server, connect)
    await a.send_raw(b'{"v": 1, "type": "ping"}')
    assert (await a.expect(Error)).code == ErrorCode.MALFORMED
    await a.roundtrip()
    await _b_still_relays_to_a(a, b)


async def test_messages_before_join_are_not_joined(server: CallServer, connect: Connect) -> None:
    client = await connect(server)
    for message in (Update(audio_muted=True), Offer(sdp="x", to="p_x"), Leave()):
        await client.send(message)
        error = await client.expect(Error)
        assert error.code == ErrorCode.NOT_JOINED and error.ref == message.TYPE
    await client.join("room", "Now")  # the connection is still usable


async def test_second_join_is_already_joined(server: CallServer, connect: Connect) -> None:
    a, b = await _pair(server, connect)
    await a.send(Join(session_id="other", display_name="Again"))
    assert (await a.expect(Error)).code == ErrorCode.ALREADY_JOINED
    await _b_still_relays_to_a(a, b)


async def test_frame_too_large_closes_1009(server: CallServer, connect: Connect) -> None:
    a, b = await _pair(server, connect)
    await b.send(Offer(sdp="x" * (64 * 1024), to=a.pid))
    # Refused by the WebSocket layer itself (nothing over the limit is buffered): no error
    # message, the close code says it.
    assert await b.closed() == 1009
    # For the room it is a dropped link, not a leave; a still works.
    assert (await a.expect(ParticipantReconnecting)).participant_id == b.pid
    await a.roundtrip()


async def test_a_frame_of_exactly_the_limit_is_relayed(server: CallServer,
                                                       connect: Connect) -> None:
    a, b = await _pair(server, connect)
    overhead = len(encode(Offer(sdp="", to=a.pid)))
    await b.send(Offer(sdp="x" * (64 * 1024 - overhead), to=a.pid))
    assert len((await a.expect(Offer)).sdp) == 64 * 1024 - overhead


async def test_the_limit_counts_utf8_bytes_not_characters(server: CallServer,
                                                          connect: Connect) -> None:
    a, b = await _pair(server, connect)
    sdp = "\u00e9" * 40_000  # 40 000 characters, 80 000 bytes of UTF-8
    await b.send_raw(json.dumps({"v": 1, "type": "offer", "sdp": sdp, "to": a.pid},
                                ensure_ascii=False))
    assert await b.closed() == 1009


async def test_rate_limit_drops_excess_with_an_error(servers: Servers,
                                                     connect: Connect) -> None:
    server = await servers(rate_per_second=0.01, rate_burst=5)  # no refill during the test
    a, b = await _pair(server, connect)
    for i in range(8):
        await a.send(Ping(t=float(i)))
    pongs, errors = [], []
    for _ in range(8):
        message = await a.next()
        (pongs if isinstance(message, Pong) else errors).append(message)
    # The join spent one token of the burst of five.
    assert [p.t for p in pongs] == [0.0, 1.0, 2.0, 3.0]
    assert {e.code for e in errors} == {ErrorCode.RATE_LIMITED} and len(errors) == 4
    await b.roundtrip()  # b has its own bucket
    await _b_still_relays_to_a(a, b)


async def test_a_connection_that_keeps_flooding_is_closed_1008(servers: Servers,
                                                               connect: Connect) -> None:
    server = await servers(rate_per_second=1.0, rate_burst=2, flood_drops=10)
    a, b = await _pair(server, connect)
    for i in range(30):
        await b.send(Ping(t=float(i)))
    assert await b.closed() == 1008
    assert (await a.expect(ParticipantReconnecting)).participant_id == b.pid
    await a.roundtrip()


async def test_room_full_closes_4003(servers: Servers, connect: Connect) -> None:
    server = await servers(max_participants=2)
    a, b = await _pair(server, connect)
    third = await connect(server)
    await third.send(Join(session_id="room", display_name="C"))
    error = await third.expect(Error)
    assert error.code == ErrorCode.ROOM_FULL and error.ref == "join"
    assert await third.closed() == 4003
    await _b_still_relays_to_a(a, b)
    elsewhere = await connect(server)
    await elsewhere.join("another", "D")


async def test_too_many_rooms_closes_4003(servers: Servers, connect: Connect) -> None:
    server = await servers(max_rooms=1)
    a, b = await _pair(server, connect)
    other = await connect(server)
    await other.send(Join(session_id="second", display_name="C"))
    assert (await other.expect(Error)).code == ErrorCode.TOO_MANY_ROOMS
    assert await other.closed() == 4003
    await _b_still_relays_to_a(a, b)


async def test_error_frames_are_valid_protocol(server: CallServer, connect: Connect) -> None:
    client = await connect(server)
    await client.send_raw(json.dumps({"v": 1, "type": "leave", "extra": "ignored"}))
    error = await client.expect(Error)
    assert error.code == ErrorCode.NOT_JOINED and error.message


class _HubWithABug(Hub):
    """The room logic with a bug: handling an update raises."""

    def handle(self, link: Link, message: Message) -> None:
        if isinstance(message, Update):
            raise RuntimeError("injected fault")
        super().handle(link, message)


async def test_a_server_bug_is_an_internal_error_and_the_connection_survives(
        tmp_path: Path, connect: Connect, caplog: pytest.LogCaptureFixture) -> None:
    async with CallServer(config_for(tmp_path), hub=_HubWithABug) as server:
        a, b = await _pair(server, connect)
        await a.send(Update(audio_muted=True))
        error = await a.expect(Error)
        assert (error.code, error.ref) == (ErrorCode.INTERNAL, "update")
        assert "injected" not in error.message  # no internals leak to clients
        assert any("internal_error" in r.getMessage() for r in caplog.records)
        await _b_still_relays_to_a(a, b)
