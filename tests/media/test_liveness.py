"""A dead link is noticed by its data-channel heartbeat and rebuilt with a fresh connection."""

from __future__ import annotations

import time

from parley.media import MediaHealth, PeerState
from tests.media.conftest import Recorder, Router, flowing, three_connected


def peer_events(recorder: Recorder, pid: str) -> list[str]:
    return [name for name, args in recorder.events if args == (pid,)]


async def cut(router: Router, at: str, peer: str) -> None:
    """Close one side's RTCPeerConnection under the mesh (a link that died)."""
    pc = router.meshes[at].connection(peer)
    assert pc is not None
    await pc.close()


def generation(router: Router, at: str, peer: str) -> int:
    return router.meshes[at].stats()[peer].generation


async def test_a_silent_link_is_rebuilt_and_the_third_peer_is_untouched(router: Router) -> None:
    await three_connected(router)
    ra, rb, rc = (router.recorders[p] for p in "abc")
    before = generation(router, "a", "b")
    cut_at = time.monotonic()
    router.cut_link("b", "a")  # the network under b's end of the link dies

    await ra.until(lambda: peer_events(ra, "b")[-1:] == ["on_peer_reconnecting"], timeout=15,
                   what="a: b reconnecting")
    noticed_after = time.monotonic() - cut_at
    await ra.until(lambda: peer_events(ra, "b")[-1:] == ["on_peer_restored"], timeout=15,
                   what="a: b restored")
    await rb.until(lambda: peer_events(rb, "a")[-1:] == ["on_peer_restored"], timeout=15,
                   what="b: a restored")
    restored_after = time.monotonic() - cut_at
    assert peer_events(ra, "b") == ["on_peer_connected", "on_peer_reconnecting",
                                    "on_peer_restored"]
    assert peer_events(rb, "a") == ["on_peer_connected", "on_peer_reconnecting",
                                    "on_peer_restored"]
    assert generation(router, "a", "b") > before
    n = len(ra.counters("b"))
    await ra.until(lambda: len(ra.counters("b")) >= n + 5, what="frames from b again")

    # the third peer saw nothing, and nobody lost media as a whole
    assert peer_events(ra, "c") == ["on_peer_connected"]
    assert peer_events(rb, "c") == ["on_peer_connected"]
    assert [name for name, _ in rc.events] == ["on_peer_connected"] * 2
    for recorder in (ra, rb, rc):
        assert not recorder.named("on_media_lost")
    config = router.meshes["a"].config
    # noticed when pongs stop for the timeout: the last one came at most one ping
    # interval (and a round trip) before the cut
    timeout, interval = config.liveness_timeout, config.heartbeat_interval
    assert timeout - interval - 0.05 < noticed_after <= timeout + 0.15, noticed_after
    assert restored_after < timeout + 3
    print(f"\nsilent link -> noticed in {noticed_after:.2f}s, restored in {restored_after:.2f}s")


async def test_a_closed_connection_is_noticed_at_once(router: Router) -> None:
    await three_connected(router)
    ra, rb = router.recorders["a"], router.recorders["b"]
    await cut(router, "b", "a")  # b is the answerer of the pair: a must notice by itself
    await ra.until(lambda: peer_events(ra, "b")[-1:] == ["on_peer_restored"], timeout=15,
                   what="a: b restored")
    await rb.until(lambda: peer_events(rb, "a")[-1:] == ["on_peer_restored"], timeout=15,
                   what="b: a restored")
    assert peer_events(ra, "b") == ["on_peer_connected", "on_peer_reconnecting",
                                    "on_peer_restored"]
    assert peer_events(ra, "c") == ["on_peer_connected"]


async def test_every_link_cut_is_one_media_lost_then_restored(router: Router) -> None:
    await three_connected(router)
    ra = router.recorders["a"]
    a = router.meshes["a"]
    # a's network dies: its links go silent, and the connections it rebuilds while it is
    # down reach nobody either (the router cuts their sockets as a announces them)
    router.take_offline("a")
    await ra.until(lambda: bool(ra.named("on_media_lost")), timeout=15, what="a: media lost")
    router.bring_online("a")
    await ra.until(lambda: bool(ra.named("on_media_restored")), timeout=15,
                   what="a: media restored")
    media = [name for name, _ in ra.events if "media" in name]
    assert media == ["on_media_lost", "on_media_restored"]
    lost_at = next(i for i, (n, _) in enumerate(ra.events) if n == "on_media_lost")
    # lost only once both links were reconnecting
    assert sorted(args for n, args in ra.events[:lost_at] if n == "on_peer_reconnecting") == [
        ("b",), ("c",)]
    await ra.until(lambda: a.peer_state("b") is a.peer_state("c") is PeerState.CONNECTED,
                   timeout=15, what="both links back")
    assert a.health is MediaHealth.FLOWING
    for pid in "bc":  # b and c still had each other: no media loss there
        assert not router.recorders[pid].named("on_media_lost")
    assert [name for name, _ in ra.events if "media" in name] == media


async def test_lost_signals_are_recovered_by_reoffering(router: Router) -> None:
    a, ra = await router.add("a")
    b, rb = await router.add("b")
    router.dropping.add("b")  # b's answers vanish, as with a signaling link down
    router.connect_all()
    await ra.until(lambda: generation(router, "a", "b") >= 0, what="a offers")
    first = generation(router, "a", "b")
    await ra.until(lambda: generation(router, "a", "b") > first, timeout=10,
                   what="a re-offers after an unanswered offer")
    assert ra.events == [] and b.peer_state("a") is PeerState.CONNECTING
    router.dropping.clear()
    await ra.until(lambda: flowing(ra, "b"), timeout=10, what="media after re-offer")
    assert ra.named("on_peer_connected") == [("b",)]


async def test_resync_adds_removes_and_rebuilds(router: Router) -> None:
    a, ra = await router.add("a")
    b, rb = await router.add("b")
    c, rc = await router.add("c")
    a.add_peer("b")
    b.add_peer("a")
    a.add_peer("zombie")
    await ra.until(lambda: flowing(ra, "b"), what="media from b")
    c.add_peer("a")
    a.resync(["a", "b", "c"])
    assert set(a.peer_ids) == {"b", "c"}
    await ra.until(lambda: flowing(ra, "c"), what="media from c after resync")
    await rc.until(lambda: flowing(rc, "a"), what="c hears a")
    assert peer_events(ra, "b") == ["on_peer_connected"]  # a flowing peer is left alone
    assert peer_events(ra, "zombie") == []


async def test_a_one_way_failure_seen_by_the_answerer_alone_is_rebuilt(router: Router) -> None:
    a, ra = await router.add("a")
    b, rb = await router.add("b")
    router.connect_all()
    await rb.until(lambda: flowing(rb, "a"), what="media from a")
    before = generation(router, "a", "b")
    router.cut_link("b", "a", outbound=False)  # b hears nothing; a still hears b
    await rb.until(lambda: peer_events(rb, "a")[-1:] == ["on_peer_restored"], timeout=15,
                   what="b: a restored")
    await ra.until(lambda: peer_events(ra, "b")[-1:] == ["on_peer_restored"], timeout=15,
                   what="a: b restored")
    assert generation(router, "a", "b") > before  # the offerer rebuilt on the answerer's cue
    for recorder, other in ((ra, "b"), (rb, "a")):
        assert peer_events(recorder, other) == ["on_peer_connected", "on_peer_reconnecting",
                                                "on_peer_restored"]
