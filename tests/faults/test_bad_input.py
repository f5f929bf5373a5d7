"""Bad input against a live server next to a calm call (tests/faults/arena.py): malformed,
huge, non-UTF-8 and flooding frames, stalled readers and half handshakes, wrong tokens
and cross-room signalling each get the answer docs/protocol.md gives, the server stays
up, and the calm call sees nothing: no lifecycle callback, no stray message, presence
still carried.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import pytest

from parley.protocol.errors import ErrorCode
from parley.protocol.grants import mint_invite
from parley.protocol.messages import (
    Answer,
    Candidate,
    Error,
    Join,
    Message,
    Offer,
    ParticipantJoined,
    ParticipantReconnecting,
    Ping,
    Update,
    encode,
)
from tests.faults.arena import MAX_FRAME, SECRET, Arena, token
from tests.faults.figures import record
from tests.faults.rawclient import Closed, RawClient, StalledClient, close_code_after


async def test_a_huge_integer_where_a_number_belongs_is_invalid_field(arena: Arena) -> None:
    """A 400-digit integer for a float field once escaped the codec as OverflowError and
    dropped the sender's connection with a traceback instead of answering it."""
    async with RawClient(arena.url) as client:
        await client.send_raw('{"v":1,"type":"ping","t":1' + "0" * 400 + "}")
        got, closed = await client.until_pong(7.0)
        assert closed is None, closed
        assert [m.code for m in got if isinstance(m, Error)] == ["invalid_field"], got
    await arena.check_untouched()


async def test_text_that_is_not_utf8_is_closed_1007_by_the_websocket_layer(
        arena: Arena) -> None:
    """docs/protocol.md says non-UTF-8 text is answered ``malformed`` on an open
    connection; aiohttp validates text frames itself and closes with 1007 (invalid
    payload) first. Either is harmless; this pins what really happens."""
    assert await close_code_after(arena.url, b'{"v":1,"type":"ping","t":1,"x":"\xff"}') == 1007
    await arena.check_untouched()


# ------------------------------------------------------------------ size, floods, slowness


async def test_oversized_frames_are_refused_with_1009_and_the_limit_is_exact(
        arena: Arena) -> None:
    async with RawClient(arena.url) as big, RawClient(arena.url) as peer:
        await peer.join("big", "Peer", token("big"))
        await big.join("big", "Big", token("big"))
        assert isinstance(await peer.next(), ParticipantJoined)
        # Exactly at the limit: relayed.
        skeleton = encode(Offer(sdp="", to=peer.pid))
        exact = skeleton.replace('"sdp":""', '"sdp":"' + "s" * (MAX_FRAME - len(skeleton)) + '"')
        assert len(exact.encode()) == MAX_FRAME
        await big.send_raw(exact)
        relayed = await peer.next()
        assert isinstance(relayed, Offer) and len(relayed.sdp) == MAX_FRAME - len(skeleton)
        # One byte over: the WebSocket layer closes 1009; the room sees a dropped link.
        await big.send_raw(exact.replace('"sdp":"s', '"sdp":"ss'))
        assert await big.next() == Closed(1009)
        dropped = await peer.next()
        assert isinstance(dropped, ParticipantReconnecting) and dropped.participant_id == big.pid
    async with RawClient(arena.url) as huge:
        await huge.send_raw("x" * (2 << 20))  # far past the limit
        assert await huge.next() == Closed(1009)
    await arena.check_untouched()


async def test_a_flood_is_rate_limited_then_closed_1008(arena: Arena) -> None:
    async with RawClient(arena.url) as flooder:
        await flooder.join("flood", "Flooder", token("flood"))
        frame = encode(Update(hand_raised=True))
        for _ in range(1500):
            try:
                await flooder.send_raw(frame)
            except (ConnectionError, RuntimeError):
                break
        codes: Counter[str] = Counter()
        while True:
            reply = await flooder.next()
            if isinstance(reply, Closed):
                break
            if isinstance(reply, Error):
                codes[reply.code] += 1
        assert reply == Closed(1008), reply
        assert codes["rate_limited"] > 200, codes
        assert set(codes) == {"rate_limited"}, codes
    await arena.check_untouched()


async def test_a_client_that_stops_reading_is_dropped_and_nobody_else_waits(
        arena: Arena) -> None:
    stalled = StalledClient(arena.url)
    spammers = [RawClient(arena.url) for _ in range(6)]
    try:
        slow_pid = await stalled.join("slow", "Stalled", token("slow"))
        for i, spammer in enumerate(spammers):
            await spammer.__aenter__()
            await spammer.join("slow", f"Spammer{i}", token("slow"))
        blob = "b" * 60_000
        started = time.monotonic()
        for spammer in spammers:  # 6 x 100 frames of 60 kB for someone who never reads
            for _ in range(100):
                await spammer.send(Offer(sdp=blob, to=slow_pid))
        watcher = spammers[0]
        while True:
            reply = await watcher.next(timeout=20)
            assert not isinstance(reply, Closed), "the sender must not be punished"
            if isinstance(reply, ParticipantReconnecting) and reply.participant_id == slow_pid:
                break
        dropped_after = time.monotonic() - started
        got, closed = await watcher.until_pong(3.0)
        assert closed is None
    finally:
        await stalled.close()
        for spammer in spammers:
            await spammer.close()
    assert "event=slow_client" in arena.server.log.read_text()
    assert dropped_after < 5.0, f"a stalled reader was dropped only after {dropped_after:.1f} s"
    await arena.check_untouched()
    record("faults", "stalled_reader", {"dropped_after_s": round(dropped_after, 2)})


async def test_a_half_sent_handshake_holds_up_nobody(arena: Arena) -> None:
    host, port = arena.url.split("//")[1].split("/")[0].split(":")
    writers = []
    for _ in range(50):
        _reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websock")
        writers.append(writer)
    try:
        async with RawClient(arena.url) as late:
            reply = await late.join("calm2", "Late", token("calm2"))
            assert not isinstance(reply, Closed | Error), reply
        await arena.check_untouched()
    finally:
        for writer in writers:
            writer.close()


# ------------------------------------------------------------------ tokens and addressing


@pytest.mark.parametrize("bad, code", [
    (None, ErrorCode.TOKEN_REQUIRED),
    ("not-a-token", ErrorCode.TOKEN_INVALID),
    (token("calm")[:-3] + "AAA", ErrorCode.TOKEN_INVALID),
    (mint_invite(b"another secret, also 32 bytes long", "calm", 600), ErrorCode.TOKEN_INVALID),
    (token("elsewhere"), ErrorCode.TOKEN_WRONG_ROOM),
    (mint_invite(SECRET, "calm", 60, now=time.time() - 70), ErrorCode.TOKEN_EXPIRED),
], ids=["none", "garbage", "tampered", "other-secret", "wrong-room", "expired"])
async def test_wrong_join_tokens_are_refused_4001(arena: Arena, bad: str | None,
                                                  code: ErrorCode) -> None:
    async with RawClient(arena.url) as intruder:
        reply = await intruder.join("calm", "Intruder", bad)
        assert isinstance(reply, Error) and reply.code == code.value, reply
        assert await intruder.next() == Closed(4001)
    await arena.check_untouched()


async def test_a_resume_token_is_no_join_token_and_a_forged_one_is_refused(
        arena: Arena) -> None:
    resume = arena.observer.welcome.resume_token if arena.observer.welcome else ""
    async with RawClient(arena.url) as intruder:
        reply = await intruder.join("calm", "Intruder", resume)
        assert isinstance(reply, Error) and reply.code == "token_invalid", reply
        assert await intruder.next() == Closed(4001)
    for forged, room in ((resume[:-4] + "AAAA", "calm"), ("x.y", "calm"), (resume, "other")):
        async with RawClient(arena.url) as intruder:
            reply = await intruder.join(room, "Intruder", None, resume_token=forged)
            assert isinstance(reply, Error) and reply.code == "resume_refused", reply
            assert await intruder.next() == Closed(4010)
    await arena.check_untouched()


async def test_signalling_across_rooms_is_refused_and_reaches_nobody(arena: Arena) -> None:
    async with RawClient(arena.url) as mallory, RawClient(arena.url) as friend:
        await mallory.join("other", "Mallory", token("other"))
        await friend.join("other", "Friend", token("other"))
        assert isinstance(await mallory.next(), ParticipantJoined)
        victims = [arena.observer.pid, str(arena.a.pid), str(arena.b.pid), mallory.pid,
                   "p_nobody00"]
        messages: list[Message] = []
        for victim in victims:
            messages += [Offer(sdp="v=0", to=victim), Answer(sdp="v=0", to=victim),
                         Candidate(candidate="", to=victim)]
        for message in messages:
            await mallory.send(message)
        got, closed = await mallory.until_pong(5.0)
        assert closed is None, "refused relays leave the connection open"
        assert [m.code for m in got if isinstance(m, Error)] == \
            ["unknown_participant"] * len(messages), got
        # A forged sender inside its own room is rewritten to the real one.
        await mallory.send_raw(encode(Offer(sdp="v=0", to=friend.pid)).replace(
            '"from":null', f'"from":"{arena.observer.pid}"'))
        relayed = await friend.next()
        assert isinstance(relayed, Offer) and relayed.sender == mallory.pid
        await mallory.send(Join(session_id="calm", display_name="Twice", token=token("calm")))
        reply = await mallory.next()
        assert isinstance(reply, Error) and reply.code == "already_joined"
        got, closed = await mallory.until_pong(6.0)
        assert closed is None and not got
    await arena.check_untouched()


async def test_before_joining_only_ping_and_join_are_accepted(arena: Arena) -> None:
    async with RawClient(arena.url) as stranger:
        for message in (Update(audio_muted=True), Offer(sdp="v=0", to=arena.observer.pid)):
            await stranger.send(message)
            reply = await stranger.next()
            assert isinstance(reply, Error) and reply.code == "not_joined", reply
        got, closed = await stranger.until_pong(Ping(t=2.0).t)
        assert closed is None and not got
    await arena.check_untouched()


