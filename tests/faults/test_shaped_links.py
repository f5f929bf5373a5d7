"""A Parley pair on a constrained uplink (issue 13): tbf-shaped with a 300 ms buffer,
random loss in the router, an outage. Behaviours, not figures (bench/links.py has
those): no retransmission storm (the shaped host offers at most 1.3 x the link rate),
video still arrives, the call is never declared lost while the link delivers, and it
recovers after an outage.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.faults.harness import AgentProc, Lab, start_call, status
from tests.faults.shaping import (
    random_loss,
    shape_uplink,
    shaper_counts,
    tx_bytes,
    unshape,
)

STORM_RATIO = 1.3
"""What the shaped host may offer, as a multiple of its link rate."""
WINDOW = 8.0
"""Seconds over which the offered load is measured, once the call has settled."""
SETTLE = 4.0


def _from(pid: str | None) -> object:
    return lambda e: e["pid"] == pid


async def _frames(agent: AgentProc, pid: str | None) -> int:
    return int((await agent.report())["frames"].get(pid, 0))


async def _shaped_call(lab: Lab, kbit: int) -> tuple[object, AgentProc, AgentProc]:
    net = lab.net(["srv", "a", "b"])
    shape_uplink(net, "a", kbit)
    _server, (a, b) = await start_call(lab, net, ["a", "b"], media=True)
    await b.wait("video", timeout=20, where=_from(a.pid))
    return net, a, b


async def test_a_250k_uplink_carries_video_without_a_storm_or_a_false_lost(lab: Lab) -> None:
    kbit = 250
    net, a, b = await _shaped_call(lab, kbit)
    await asyncio.sleep(SETTLE)  # the estimate settles: measure the steady state
    before, frames_before, t0 = shaper_counts(net, "a"), await _frames(b, a.pid), \
        time.monotonic()
    await asyncio.sleep(WINDOW)
    used = shaper_counts(net, "a") - before
    seconds = time.monotonic() - t0
    frames = await _frames(b, a.pid) - frames_before
    offered_kbit = used.offered_bytes * 8 / 1000 / seconds
    sent_kbit = used.sent_bytes * 8 / 1000 / seconds
    print(f"250k: offered {offered_kbit:.0f} kbit/s, sent {sent_kbit:.0f} kbit/s, "
          f"dropped {used.dropped_packets} pkts, {frames / seconds:.1f} fps at b")
    assert offered_kbit <= STORM_RATIO * kbit, (offered_kbit, used)
    # Video keeps reaching b. How much is a figure (docs/performance.md), and not yet
    # a steady one, so the bound is generous: one frame a second.
    assert frames >= WINDOW, frames
    assert status(a) == ["on_session_joined"], status(a)  # the bloated buffer is not lost
    assert status(b) == ["on_session_joined"], status(b)


@pytest.mark.long
async def test_random_loss_brings_no_retransmission_storm_and_no_false_lost(lab: Lab) -> None:
    """5 % of what a sends is dropped at random: a's sending rate stays what it is
    without loss (bounded NACKs, de-duplicated and budgeted retransmissions).

    The rate without loss is measured before the loss and after it (the loss taken off
    again): on an unconstrained link the estimate is still growing for the first 20 s
    or so of a call, so a window before the loss alone reads low (it failed at 1.32-1.48x
    on main and on every branch of round eight, with 29.7 fps at b and no storm). A
    storm (round one: about 5 Mbit/s against 1 Mbit/s) is far above both.

    In `make faults` only: the 250k tbf case of `make test` drops packets too (its
    buffer overflows), so the NACK path and its storm bound are exercised there."""
    net = lab.net(["srv", "a", "b"])
    _server, (a, b) = await start_call(lab, net, ["a", "b"], media=True)
    await b.wait("video", timeout=20, where=_from(a.pid))
    await asyncio.sleep(SETTLE / 2)

    async def rate(seconds: float) -> float:
        start, t0 = tx_bytes(net, "a"), time.monotonic()
        await asyncio.sleep(seconds)  # the measurement window
        return (tx_bytes(net, "a") - start) / (time.monotonic() - t0)

    before = await rate(WINDOW / 2)
    random_loss(net, "a", 5.0)
    t1, frames_from = time.monotonic(), await _frames(b, a.pid)
    lossy = await rate(WINDOW)
    fps = (await _frames(b, a.pid) - frames_from) / (time.monotonic() - t1)
    random_loss(net, "a", 5.0, end=True)
    after = await rate(WINDOW / 2)
    clean = max(before, after)
    print(f"5% loss: {fps:.1f} fps at b; a sends {lossy * 8 / 1000:.0f} kbit/s, "
          f"{before * 8 / 1000:.0f} before and {after * 8 / 1000:.0f} after without loss")
    assert lossy <= STORM_RATIO * clean, (lossy, before, after)
    assert fps >= 2, fps  # a lost packet no longer freezes the picture for seconds
    assert status(a) == ["on_session_joined"] and status(b) == ["on_session_joined"]


async def test_a_shaped_link_recovers_after_an_outage(lab: Lab) -> None:
    net, a, b = await _shaped_call(lab, 450)
    cut_at = time.monotonic()
    net.cut("a")  # type: ignore[attr-defined]
    await a.wait("on_connection_lost", after=cut_at, timeout=6)
    await asyncio.sleep(2.0)  # the outage lasts a while
    up_at = time.monotonic()
    net.restore("a")  # type: ignore[attr-defined]
    await a.wait("on_connection_restored", after=up_at, timeout=10)
    await b.wait("video", after=up_at, timeout=10, where=_from(a.pid))
    frames_before = await _frames(b, a.pid)
    await asyncio.sleep(3.0)
    assert await _frames(b, a.pid) - frames_before > 10, "video flows again, not one frame"
    assert status(a) == ["on_session_joined", "on_connection_lost", "on_connection_restored"]


@pytest.mark.long
@pytest.mark.timeout(120)
async def test_below_the_floor_video_pauses_with_an_event_and_probes_again(lab: Lab) -> None:
    """90 kbit/s leaves video less than its floor once audio is through: b hears that
    a's video paused for bandwidth, and a tries again by itself (the resume event)."""
    net = lab.net(["srv", "a", "b"])
    shape_uplink(net, "a", 90)
    _server, (a, b) = await start_call(lab, net, ["a", "b"], media=True)
    paused_at = await b.wait("on_video_paused_for_bandwidth", timeout=25, where=_from(a.pid))
    unshape(net, "a")
    await b.wait("on_video_resumed_for_bandwidth", after=paused_at, timeout=15,
                 where=_from(a.pid))
    # Not asserted here (docs/performance.md, open points): that video then stays. The
    # receiver's estimate climbs slowly from its low value, so a probe may pause again.
    # Nor that there was no lost at all: the first seconds of a call send at the
    # starting estimate (300 kbit/s) until the receiver's first estimate comes back,
    # and on a link this far below that, signaling can starve meanwhile.
    for agent in (a, b):
        assert status(agent)[-1] in ("on_session_joined", "on_connection_restored"), \
            status(agent)


@pytest.mark.long
@pytest.mark.timeout(600)
@pytest.mark.parametrize("kbit", [150, 250, 600])
async def test_long_shaped_runs(lab: Lab, kbit: int) -> None:
    net, a, b = await _shaped_call(lab, kbit)
    await asyncio.sleep(SETTLE)
    before, t0 = shaper_counts(net, "a"), time.monotonic()
    await asyncio.sleep(60)
    used = shaper_counts(net, "a") - before
    offered_kbit = used.offered_bytes * 8 / 1000 / (time.monotonic() - t0)
    assert offered_kbit <= STORM_RATIO * kbit, (offered_kbit, used)
    assert status(a) == ["on_session_joined"] and status(b) == ["on_session_joined"]
