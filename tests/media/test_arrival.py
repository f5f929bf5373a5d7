"""Arrival times for the receiver's estimate come from the kernel: a receiver whose event
loop was held does not read the hold as delay on the link (which made aiortc's REMB
collapse on links with no queue), and a stamp is used for its own datagram only."""

from __future__ import annotations

import asyncio
import struct
import time

import pytest
from aioice import Connection, stun
from aiortc import clock, rtcdtlstransport

from parley.media import arrival

HOLD_MS = 300


async def _pair() -> tuple[Connection, Connection]:
    a, b = Connection(ice_controlling=True), Connection(ice_controlling=False)
    await asyncio.gather(a.gather_candidates(), b.gather_candidates())
    for near, far in ((a, b), (b, a)):
        for candidate in far.local_candidates:
            await near.add_remote_candidate(candidate)
        await near.add_remote_candidate(None)
        near.remote_username, near.remote_password = far.local_username, far.local_password
    await asyncio.wait_for(asyncio.gather(a.connect(), b.connect()), 10)
    return a, b


async def test_a_held_receiver_loop_does_not_delay_the_arrival_times() -> None:
    was = arrival.installed()
    arrival.install()
    a, b = await _pair()
    try:
        await a.send(b"\x80warm")  # the first datagram on a socket switches stamping on
        await asyncio.wait_for(b.recv(), 5)
        sent = clock.current_ms()
        for n in range(5):
            await a.send(b"\x80" + bytes([n]) * 40)
        time.sleep(HOLD_MS / 1000)  # the receiving loop is held: the datagrams wait
        released = clock.current_ms()
        for _ in range(5):
            await asyncio.wait_for(b.recv(), 5)
            stamp = rtcdtlstransport.clock.current_ms()  # what aiortc's DTLS layer reads
            # the kernel's receive time: before the hold, not when the loop got to it
            assert sent - 5 <= stamp < released - HOLD_MS // 2
    finally:
        await asyncio.gather(a.close(), b.close())
        if not was:
            arrival.uninstall()


def test_a_stamp_belongs_to_its_datagram_and_is_used_once() -> None:
    first, second = b"\x80" + b"a" * 20, b"\x80" + b"b" * 20
    arrival.note(first, 1_000)
    arrival.note(second, 2_000)
    arrival.handed_on(second)
    assert arrival.current_ms() == 2_000
    assert arrival.current_ms() >= clock.current_ms() - 1000  # used: the clock's own again
    arrival.handed_on(b"\x80 never noted")  # e.g. relayed by TURN
    assert arrival.current_ms() > 2_000
    arrival.handed_on(first)
    arrival.handed_on(b"\x80 a DTLS record, which is never stamped")
    assert arrival.current_ms() > 2_000  # not the stale stamp of ``first``


def test_only_the_latest_datagrams_are_remembered() -> None:
    kept = [bytes([n % 256]) * (n + 1) for n in range(arrival.KEEP + 10)]
    for n, data in enumerate(kept):
        arrival.note(data, n)
    arrival.handed_on(kept[0])
    assert arrival.current_ms() > arrival.KEEP  # forgotten
    arrival.handed_on(kept[-1])
    assert arrival.current_ms() == arrival.KEEP + 9


def test_uninstall_gives_aiortc_its_clock_back() -> None:
    was = arrival.installed()
    arrival.install()
    assert rtcdtlstransport.clock is not clock
    arrival.uninstall()
    assert rtcdtlstransport.clock is clock
    if was:
        arrival.install()


def _srtp_that_reads_as_stun() -> bytes:
    """An SRTP packet aioice half-parses as STUN: its sequence number (bytes 2-3) is its
    length minus 20, and its payload reads as an ICE-CONTROLLED attribute (8 bytes) of
    length 4."""
    payload = (0x8029).to_bytes(2, "big") + (4).to_bytes(2, "big") + b"\xab" * 4
    header = b"\x80\x60" + len(payload).to_bytes(2, "big") + b"\x12" * 16  # ts, ssrc...
    return header + payload


def _malformed_stun() -> bytes:
    """A binding request in STUN's range (first byte 0) with the same broken attribute."""
    attribute = (0x8029).to_bytes(2, "big") + (4).to_bytes(2, "big") + b"\xcd" * 4
    return (b"\x00\x01" + len(attribute).to_bytes(2, "big") + b"\x21\x12\xa4\x42"
            + b"\x07" * 12 + attribute)


def test_aioice_trips_on_these_datagrams() -> None:
    for data in (_srtp_that_reads_as_stun(), _malformed_stun()):
        with pytest.raises(struct.error):
            stun.parse_message(data)


async def test_media_that_reads_as_stun_reaches_the_receiver_and_bad_stun_is_dropped() -> None:
    """What the user saw: a video packet lost and "Exception in callback" in the log (the
    test's loop-error check failed a browser test); now the packet arrives, a malformed
    STUN message is dropped quietly, and the connection carries on."""
    loop = asyncio.get_running_loop()
    errors: list[dict[str, object]] = []
    loop.set_exception_handler(lambda _loop, context: errors.append(context))
    was = arrival.installed()
    arrival.install()
    a, b = await _pair()
    try:
        media = _srtp_that_reads_as_stun()
        await a.send(media)
        assert await asyncio.wait_for(b.recv(), 5) == media
        await a.send(_malformed_stun())
        await a.send(b"\x80 after it")
        assert await asyncio.wait_for(b.recv(), 5) == b"\x80 after it"
        assert errors == []
    finally:
        loop.set_exception_handler(None)
        await asyncio.gather(a.close(), b.close())
        if not was:
            arrival.uninstall()


async def test_a_backlog_in_the_socket_is_read_in_a_few_turns_of_the_loop() -> None:
    """asyncio reads one datagram a turn of the loop; a busy loop's turn takes several ms,
    and a subscriber's socket then queued seconds of media, overflowed and lost packets
    (its consent checks answered 0.5-4 s late, and aioice closed the link). Parley reads
    up to DRAIN_MOST a turn, as libuv does."""
    was = arrival.installed()
    arrival.install()
    a, b = await _pair()
    loop = asyncio.get_running_loop()
    turns = 0

    def tick() -> None:
        nonlocal turns
        turns += 1
        loop.call_soon(tick)

    try:
        backlog = 4 * arrival.DRAIN_MOST
        for n in range(backlog):
            await a.send(b"\x80" + n.to_bytes(2, "big") + bytes(100))  # on loopback, in
        # b's socket once sent; b's loop has not read them (sending does not yield)
        loop.call_soon(tick)

        async def take() -> list[bytes]:  # as aiortc's DTLS transport reads: no turn of
            return [await b.recv() for _ in range(backlog)]  # its own while some wait

        got = await asyncio.wait_for(take(), 5)
        assert [int.from_bytes(d[1:3], "big") for d in got] == list(range(backlog))
        assert turns <= backlog // arrival.DRAIN_MOST + 3  # one datagram a turn: 128 turns
    finally:
        await asyncio.gather(a.close(), b.close())
        if not was:
            arrival.uninstall()
