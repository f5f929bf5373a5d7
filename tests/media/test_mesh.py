"""Real aiortc meshes over loopback exchanging real encoded media (synthetic sources)."""

from __future__ import annotations

import asyncio
import time

from parley.media import MediaHealth, PeerState
from tests.media.conftest import Router, flowing, three_connected


async def test_two_meshes_see_and_hear_each_other(router: Router) -> None:
    a, ra = await router.add("a")
    b, rb = await router.add("b")
    start = time.monotonic()
    router.connect_all()
    await ra.until(lambda: flowing(ra, "b"), what="media from b")
    await rb.until(lambda: flowing(rb, "a"), what="media from a")
    first_media = time.monotonic() - start
    assert ra.named("on_peer_connected") == [("b",)]
    assert rb.named("on_peer_connected") == [("a",)]
    assert a.health is MediaHealth.FLOWING and b.peer_state("a") is PeerState.CONNECTED

    # a second of steady state: frame rate, latency from the pattern's capture time
    n0 = len(ra.counters("b"))
    await ra.until(lambda: len(ra.counters("b")) >= n0 + 15, what="15 more frames")
    counters = ra.counters("b")[n0:]
    assert counters == sorted(counters)
    latencies = [f.received_at - ts for _, ts, f in ra.frames["b"][n0:]]
    assert max(latencies) < 2.0  # sanity only: bench/media_call.py measures latency
    await ra.until(lambda: a.stats()["b"].bitrate_kbps > 0, what="stats")
    stats = a.stats()["b"]
    print(f"\nfirst media {first_media:.2f}s; stats {stats}; latency p50 "
          f"{sorted(latencies)[len(latencies) // 2] * 1000:.0f} ms")
    assert stats.state == "connected" and stats.fps > 5
    assert stats.path is not None, "the selected candidate pair is known once connected"
    assert (stats.path.kind, stats.path.local, stats.path.remote, stats.path.protocol) == (
        "host", "host", "host", "udp")
    assert not ra.named("on_peer_reconnecting") and not rb.named("on_peer_reconnecting")
    assert ra.named("on_device_error") == []


async def test_three_meshes_every_pair_flows(router: Router) -> None:
    await three_connected(router)
    levels = {pid: r.levels for pid, r in router.recorders.items()}
    assert all(len(v) == 2 for v in levels.values())


async def test_add_peer_is_idempotent_and_ignores_self(router: Router) -> None:
    a, ra = await router.add("a")
    b, rb = await router.add("b")
    for _ in range(3):
        a.add_peer("b")
        a.add_peer("a")
        b.add_peer("a")
    await rb.until(lambda: flowing(rb, "a"), what="media from a")
    assert a.peer_ids == ("b",)
    assert ra.named("on_peer_connected") == [("b",)]


async def test_close_is_idempotent_and_stops_everything(router: Router) -> None:
    a, ra = await router.add("a")
    b, rb = await router.add("b")
    router.connect_all()
    await rb.until(lambda: flowing(rb, "a"), what="media from a")
    pc = a.connection("b")
    await a.close()
    await a.close()
    assert pc is not None and pc.connectionState == "closed"
    assert a.peer_ids == () and a.connection("b") is None
    await b.close()
    # both meshes closed: no task of theirs (nor of aiortc's under them) is left running
    current = asyncio.current_task()
    assert [t for t in asyncio.all_tasks() if t is not current] == []
    a.add_peer("c")  # after close: ignored, no crash
    assert a.peer_ids == ()
