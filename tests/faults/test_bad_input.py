"""Bad input against a live server process (with a secret, so tokens matter).

Every test runs next to a calm call: two SDK participants (agent processes) and
a raw observer in room ``calm``. Whatever an offender does, the server must
answer it as docs/protocol.md says, stay up, and leave the calm call untouched:
no lifecycle callback, no stray message, and the call still carries presence.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest

from parley.protocol.closecodes import CLOSE_CODES
from parley.protocol.errors import ErrorCode, ProtocolError
from parley.protocol.grants import mint_invite
from parley.protocol.messages import (
    Answer,
    Candidate,
    Error,
    Join,
    Leave,
    Message,
    Offer,
    ParticipantJoined,
    ParticipantReconnecting,
    Ping,
    Update,
    decode,
    encode,
)
from tests.faults.figures import record
from tests.faults.fuzz import FrameFuzzer
from tests.faults.harness import AgentProc, Lab, ServerProc, about, status
from tests.faults.rawclient import Closed, RawClient, StalledClient, close_code_after

SECRET = b"fault-test-secret-of-32-bytes-long"
MAX_FRAME = 64 * 1024
DOCUMENTED_CLOSES = {1000, 1001, 1008, 1009, *CLOSE_CODES.values()}
FUZZ_FRAMES = int(os.environ.get("PARLEY_FUZZ_FRAMES", "50000"))
FUZZ_PER_CONNECTION = 45
"""Frames per connection: with a ping after each, under the 100-message burst."""


def token(room: str, ttl: float = 600) -> str:
    return mint_invite(SECRET, room, ttl)


@dataclass
class Arena:
    server: ServerProc
    a: AgentProc
    b: AgentProc
    observer: RawClient
    started: float

    @property
    def url(self) -> str:
        return self.server.url

    async def check_untouched(self) -> None:
        """The calm call saw nothing, still works, and the server is healthy."""
        assert self.server.proc is not None and self.server.proc.returncode is None, \
            "the server died"
        assert status(self.a) == ["on_session_joined"] == status(self.b)
        assert about(self.a, self.b.pid) == ["on_participant_joined"] or \
            about(self.b, self.a.pid) == ["on_participant_joined"]
        for agent in (self.a, self.b):
            others = [e for e in agent.events if e["ev"].startswith("on_participant")
                      and e["pid"] not in (self.a.pid, self.b.pid, self.observer.pid)]
            assert not others, f"{agent.name} saw strangers: {others}"
        stray = [m for m in self.observer.seen if not isinstance(m, ParticipantJoined)]
        assert not stray, f"the observer got {stray}"
        asked = time.monotonic()
        self.a.send("mute")
        await self.b.wait("on_audio_muted", after=asked, timeout=5,
                          where=lambda e: e["pid"] == self.a.pid)
        self.a.send("unmute")
        await self.b.wait("on_audio_unmuted", after=asked, timeout=5)
        self.observer.seen.clear()
        url = self.url.replace("ws://", "http://").replace("/ws", "/health")
        async with aiohttp.ClientSession() as http, http.get(url) as response:
            assert await response.text() == "ok"
        log = self.server.log.read_text(errors="replace")
        assert "Traceback" not in log and "level=ERROR" not in log, log[-3000:]


@pytest.fixture
async def arena(lab: Lab) -> AsyncIterator[Arena]:
    # The fuzz comes from one address over many connections, holds them open unjoined and
    # floods one reader: the per-address, pre-join and relay limits are tests/security's.
    server = lab.server(extra=("--secret", SECRET.decode(), "--exempt-loopback",
                               "--join-deadline", "600", "--prejoin-max-bytes", "65536",
                               "--relay-bytes-per-second", "100000000",
                               "--relay-burst-bytes", "100000000",
                               "--seat-relay-bytes-per-second", "100000000",
                               "--seat-relay-burst-bytes", "100000000"))
    await server.start()
    a, b = lab.agent("calm-a"), lab.agent("calm-b")
    for agent in (a, b):
        await agent.start(server.url, "calm", token=token("calm"))
        await agent.joined()
    await a.wait("on_participant_joined", where=lambda e: e["pid"] == b.pid)
    observer = RawClient(server.url)
    await observer.__aenter__()
    assert not isinstance(await observer.join("calm", "Observer", token("calm")), Closed)
    for agent in (a, b):
        await agent.wait("on_participant_joined", where=lambda e: e["name"] == "Observer")
    observer.keep_alive()
    try:
        yield Arena(server, a, b, observer, time.monotonic())
    finally:
        await observer.close()


# ------------------------------------------------------------------ fuzzing


def expected_code(frame: str | bytes) -> ErrorCode | None:
    """What the shared codec says of a frame: its error code, or None if it decodes."""
    if isinstance(frame, bytes):
        return ErrorCode.MALFORMED
    if len(frame.encode("utf-8", "surrogatepass")) > MAX_FRAME:
        return None  # the WebSocket layer closes 1009 without a message
    try:
        decode(frame)
    except ProtocolError as exc:
        return exc.code
    return None


def _is_leave(frame: str | bytes) -> bool:
    try:
        return isinstance(decode(frame), Leave)
    except ProtocolError:
        return False


async def fuzz_connection(url: str, fuzzer: FrameFuzzer, frames: int, room: str | None,
                          tally: Counter[str], problems: list[str]) -> int:
    """Send up to ``frames`` fuzzed frames on one connection, each followed by a ping; check
    every answer. Returns how many were sent (fewer when the server closed the socket)."""
    async with RawClient(url) as client:
        if room is not None:  # half the connections fuzz as a joined participant
            reply = await client.join(room, "Fuzzer", token(room))
            assert not isinstance(reply, Closed | Error), reply
        for i in range(frames):
            frame = fuzzer.next()
            want = expected_code(frame)
            try:
                await client.send_raw(frame)
            except (ConnectionError, RuntimeError):
                problems.append(f"could not send (socket gone) after {i} frames")
                return i
            got, closed = await client.until_pong(1e12 + i)
            codes = [m.code for m in got if isinstance(m, Error)]
            tally.update(codes or ["(no error)"])
            if want is not None and (not codes or codes[0] != want.value):
                problems.append(f"{frame[:120]!r}: expected {want.value}, got {got[:3]}")
            for code in codes:
                if code not in {c.value for c in ErrorCode}:
                    problems.append(f"undocumented error code {code!r}")
            if closed is not None:
                tally[f"close {closed.code}"] += 1
                final = [c for c in codes if ErrorCode(c) in CLOSE_CODES]
                if closed.code not in DOCUMENTED_CLOSES:
                    problems.append(f"{frame[:120]!r}: undocumented close {closed.code}")
                elif closed.code == 1000 and not _is_leave(frame):
                    problems.append(f"{frame[:120]!r}: closed 1000 but it was no leave")
                elif closed.code not in (1000, 1009) and not final:
                    problems.append(f"{frame[:120]!r}: closed {closed.code} without its error")
                return i + 1
        return frames


async def fuzz(arena: Arena, frames: int, seed: int) -> dict[str, object]:
    tally: Counter[str] = Counter()
    problems: list[str] = []
    fuzzer = FrameFuzzer(seed, token("fuzz"), targets=(arena.observer.pid, str(arena.a.pid)))
    sent = 0
    started = time.monotonic()
    gate = asyncio.Semaphore(6)
    connections = 0

    async def one(n: int, k: int) -> int:
        async with gate:
            room = f"fuzz-{k % 100}" if k % 2 else None
            return await fuzz_connection(arena.url, fuzzer, n, room, tally, problems)

    while sent < frames:
        batch = [min(FUZZ_PER_CONNECTION, frames - sent - k * FUZZ_PER_CONNECTION)
                 for k in range(6)]
        batch = [n for n in batch if n > 0]
        sent += sum(await asyncio.gather(*(one(n, connections + k)
                                           for k, n in enumerate(batch))))
        connections += len(batch)
    assert not problems, f"{len(problems)} bad answers, e.g.:\n" + "\n".join(problems[:10])
    return {"frames": sent, "connections": connections, "seed": seed,
            "seconds": round(time.monotonic() - started, 1),
            "answers": dict(tally.most_common())}


async def test_three_thousand_fuzzed_frames_get_their_documented_errors(arena: Arena) -> None:
    figures = await fuzz(arena, 3000, seed=1)
    await arena.check_untouched()
    record("faults", "fuzz_3000", figures)


@pytest.mark.long
@pytest.mark.timeout(1800)
async def test_many_fuzzed_frames(arena: Arena) -> None:
    figures = await fuzz(arena, FUZZ_FRAMES, seed=2)
    await arena.check_untouched()
    record("faults", "fuzz_many", figures)


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


def test_the_fuzzer_is_reproducible_and_covers_every_kind_of_answer() -> None:
    a, b = FrameFuzzer(3, "t"), FrameFuzzer(3, "t")
    frames = [a.next() for _ in range(1000)]
    assert frames == [b.next() for _ in range(1000)]
    seen = Counter(expected_code(f) for f in frames)
    for code in (ErrorCode.MALFORMED, ErrorCode.INVALID_FIELD, ErrorCode.UNKNOWN_TYPE,
                 ErrorCode.UNSUPPORTED_VERSION, ErrorCode.INVALID_SESSION_ID, None):
        assert seen[code] > 0, seen
