"""Fuzzed frames against a live server next to a calm call (tests/faults/arena.py): every
answer is the error the shared codec names, every close a documented one, and the calm
call is untouched."""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter

import pytest

from parley.protocol.closecodes import CLOSE_CODES
from parley.protocol.errors import ErrorCode, ProtocolError
from parley.protocol.messages import Error, Leave, decode
from tests.faults.arena import MAX_FRAME, Arena, token
from tests.faults.figures import record
from tests.faults.fuzz import FrameFuzzer
from tests.faults.rawclient import Closed, RawClient

DOCUMENTED_CLOSES = {1000, 1001, 1008, 1009, *CLOSE_CODES.values()}
FUZZ_FRAMES = int(os.environ.get("PARLEY_FUZZ_FRAMES", "50000"))
FUZZ_PER_CONNECTION = 45
"""Frames per connection: with a ping after each, under the 100-message burst."""


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


def test_the_fuzzer_is_reproducible_and_covers_every_kind_of_answer() -> None:
    a, b = FrameFuzzer(3, "t"), FrameFuzzer(3, "t")
    frames = [a.next() for _ in range(1000)]
    assert frames == [b.next() for _ in range(1000)]
    seen = Counter(expected_code(f) for f in frames)
    for code in (ErrorCode.MALFORMED, ErrorCode.INVALID_FIELD, ErrorCode.UNKNOWN_TYPE,
                 ErrorCode.UNSUPPORTED_VERSION, ErrorCode.INVALID_SESSION_ID, None):
        assert seen[code] > 0, seen
