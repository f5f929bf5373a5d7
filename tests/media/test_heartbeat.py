"""The heartbeat's rules on a fake channel: pings on schedule, pongs answered, dead
exactly once after the timeout, the timeout stretched by a long round trip."""

from __future__ import annotations

import asyncio
import json
import math
import time
from typing import Any

import pytest

from parley.media.heartbeat import FALSE_ALARM, Heartbeat


class Channel:
    def __init__(self) -> None:
        self.readyState = "open"
        self.sent: list[dict[str, Any]] = []
        self.changed = asyncio.Event()

    def send(self, data: str) -> None:
        self.sent.append(json.loads(data))
        self.changed.set()

    async def until(self, predicate: Any, timeout: float = 2.0) -> None:
        async with asyncio.timeout(timeout):
            while not predicate():
                self.changed.clear()
                await self.changed.wait()


class Events:
    def __init__(self) -> None:
        self.names: list[str] = []
        self.at: dict[str, float] = {}
        self.changed = asyncio.Event()

    def __call__(self, name: str) -> Any:
        def record() -> None:
            self.names.append(name)
            self.at[name] = time.monotonic()
            self.changed.set()
        return record

    async def until(self, name: str, timeout: float = 2.0) -> float:
        async with asyncio.timeout(timeout):
            while name not in self.names:
                self.changed.clear()
                await self.changed.wait()
        return self.at[name]


def pong(ping: dict[str, Any]) -> str:
    return json.dumps({"type": "pong", "t": ping["t"]})


async def test_pings_pongs_and_death_once() -> None:
    channel, events = Channel(), Events()
    heartbeat = Heartbeat(channel, events("alive"), events("dead"), interval=0.05, timeout=0.3)
    started = time.monotonic()
    heartbeat.start()
    await channel.until(lambda: len(channel.sent) >= 3)
    assert [m["type"] for m in channel.sent] == ["ping"] * len(channel.sent)
    heartbeat.received(json.dumps({"type": "ping", "t": 12.5}))  # answered at once
    assert channel.sent[-1] == {"type": "pong", "t": 12.5}
    heartbeat.received(pong(channel.sent[0]))
    assert events.names == ["alive"] and heartbeat.alive
    last_pong = time.monotonic()
    heartbeat.received("not json")  # ignored, not a pong
    heartbeat.received(json.dumps({"type": "future-thing"}))
    dead_at = await events.until("dead")
    assert 0.3 <= dead_at - last_pong < 0.45
    assert events.names == ["alive", "dead"] and not heartbeat.alive
    count = len(channel.sent)
    heartbeat.received(pong(channel.sent[-1]))  # too late: dead stays dead
    with pytest.raises(TimeoutError):  # no more pings for three intervals: it stopped
        await channel.until(lambda: len(channel.sent) > count, timeout=0.15)
    assert events.names == ["alive", "dead"]
    assert dead_at - started < 1.0


async def test_no_pong_at_all_is_dead_after_the_timeout() -> None:
    channel, events = Channel(), Events()
    heartbeat = Heartbeat(channel, events("alive"), events("dead"), interval=0.05, timeout=0.2)
    started = time.monotonic()
    heartbeat.start()
    assert 0.2 <= await events.until("dead") - started < 0.35
    assert events.names == ["dead"]


async def test_a_long_round_trip_stretches_the_timeout() -> None:
    now = [100.0]
    channel, events = Channel(), Events()
    heartbeat = Heartbeat(channel, events("alive"), events("dead"), interval=10, timeout=2.0,
                          clock=lambda: now[0])
    heartbeat.start()
    ping = channel.sent[0]
    now[0] += 0.8  # the pong takes 800 ms
    heartbeat.received(pong(ping))
    assert heartbeat.srtt == pytest.approx(0.8)
    # RFC 6298's first sample: RTTVAR = RTT / 2, so SRTT + 4 x RTTVAR = 2.4 s > the floor
    assert heartbeat.timeout == pytest.approx(2.4)
    for _ in range(50):  # a steady fast link (10 ms) brings it back to the floor
        heartbeat.received(json.dumps({"type": "pong", "t": now[0] - 0.01}))
    assert heartbeat.timeout == pytest.approx(2.0)
    heartbeat.stop()


async def test_a_bloated_buffer_that_still_delivers_is_not_dead() -> None:
    """Pongs 0.3-1.6 s late, 1.2 s apart at worst: the timeout stays above each silence."""
    now = [100.0]
    channel, events = Channel(), Events()
    heartbeat = Heartbeat(channel, events("alive"), events("dead"), interval=10, timeout=1.5,
                          clock=lambda: now[0])
    heartbeat.start()
    for rtt in [0.3, 0.5, 0.9, 1.4, 1.6, 0.7, 1.2, 0.4, 1.5, 1.1] * 3:
        silence = rtt * 0.75  # the gap since the last pong, shorter than a round trip
        assert silence < heartbeat.timeout
        now[0] += silence
        heartbeat.received(json.dumps({"type": "pong", "t": now[0] - rtt}))
    assert heartbeat.timeout > 1.6
    assert events.names == ["alive"]
    heartbeat.stop()


async def test_a_closed_channel_is_not_written_to() -> None:
    channel, events = Channel(), Events()
    channel.readyState = "closing"
    heartbeat = Heartbeat(channel, events("alive"), events("dead"), interval=0.05, timeout=0.2)
    heartbeat.start()
    await events.until("dead")
    assert channel.sent == []


async def test_pings_carry_our_video_pause_and_report_the_peers() -> None:
    channel, events = Channel(), Events()
    slow: list[bool] = []
    heartbeat = Heartbeat(channel, events("alive"), events("dead"), interval=0.05,
                          timeout=1.0, on_remote_slow=slow.append)
    heartbeat.start()
    assert "slow" not in channel.sent[0]
    heartbeat.video_slow = True
    await channel.until(lambda: channel.sent[-1].get("slow") is True)
    heartbeat.received(json.dumps({"type": "ping", "t": 1.0, "slow": True}))
    heartbeat.received(json.dumps({"type": "ping", "t": 1.5, "slow": True}))  # no change
    heartbeat.received(json.dumps({"type": "ping", "t": 2.0}))
    assert slow == [True, False]
    heartbeat.stop()


async def test_a_lossy_link_that_delivers_is_not_dead_and_a_dead_one_still_is() -> None:
    """Every fourth pong lost (a lossy link): the timeout grows to cover the runs such
    loss makes, so the peer never shows as reconnecting; when the link then dies, the
    silence adds no loss and the peer is dead one timeout after its last pong."""
    channel, events = Channel(), Events()
    heartbeat = Heartbeat(channel, events("alive"), events("dead"), interval=0.05, timeout=0.2)
    heartbeat.start()
    for i in range(32):
        await channel.until(lambda i=i: len(channel.sent) > i)
        if i % 4 != 3:
            heartbeat.received(pong(channel.sent[i]))
    last_pong = heartbeat.last_pong
    assert last_pong is not None
    assert heartbeat.loss == pytest.approx(0.25, abs=0.04)
    expected = 0.05 * math.log(FALSE_ALARM) / math.log(heartbeat.loss)  # about 0.33 s
    assert heartbeat.timeout >= expected > 0.3
    timeout = heartbeat.timeout
    assert events.names == ["alive"]
    dead_at = await events.until("dead")  # no pong any more: the link died
    assert timeout <= dead_at - last_pong < timeout + 0.2
    assert heartbeat.loss == pytest.approx(0.25, abs=0.04)  # the silence counted nothing
