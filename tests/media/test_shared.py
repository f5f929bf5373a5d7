"""Encode once for the mesh: the two-layer policy on a fake clock, and real aiortc meshes
on loopback whose senders packetise one shared encoder's packets."""

from __future__ import annotations

import asyncio
import time

import av
from aiortc import RTCPeerConnection

from parley.media import MediaMesh, rtx
from parley.media.layering import (
    LAYER_HOLD,
    PROBE_AFTER,
    Layer,
    Seat,
    place,
)
from parley.media.shared import SharedEncoder
from parley.media.switch import SwitchableTrack
from parley.media.synthetic import PatternTrack
from parley.protocol.messages import Answer
from tests.media.conftest import Recorder, Router, flowing

PIDS = ("a", "b", "c", "d")


# ---------------------------------------------------------------- the policy, pure


def test_peers_on_similar_links_share_the_full_layer() -> None:
    seats = [Seat(estimate=1_000_000), Seat(estimate=900_000), Seat(estimate=800_000)]
    chosen = place(seats, 0.0)
    assert [s.layer for s in seats] == [Layer.FULL] * 3
    assert chosen == {Layer.FULL: seats[0], Layer.LOW: None}  # the best estimate leads


def test_a_weak_peer_gets_the_low_layer_and_the_full_one_follows_the_best() -> None:
    strong, weak, weaker = Seat(estimate=1_000_000), Seat(estimate=150_000), \
        Seat(estimate=90_000)
    chosen = place([strong, weak, weaker], 0.0)
    assert (strong.layer, weak.layer, weaker.layer) == (Layer.FULL, Layer.LOW, Layer.LOW)
    assert chosen == {Layer.FULL: strong, Layer.LOW: weaker}  # the weakest link is served


def test_a_peer_moves_at_most_once_per_hold_and_back_up_when_it_fits() -> None:
    strong, peer = Seat(estimate=1_000_000), Seat(estimate=200_000)
    place([strong, peer], 0.0)
    assert peer.layer is Layer.LOW
    peer.estimate = 1_000_000
    place([strong, peer], LAYER_HOLD / 2)
    assert peer.layer is Layer.LOW  # held
    place([strong, peer], LAYER_HOLD)
    assert peer.layer is Layer.FULL and peer.moved_at == LAYER_HOLD


def test_a_peer_on_the_low_layer_tries_the_full_one_and_backs_off_when_that_fails() -> None:
    strong, peer = Seat(estimate=1_000_000), Seat(estimate=200_000)
    place([strong, peer], 0.0)
    place([strong, peer], PROBE_AFTER - 0.1)
    assert peer.layer is Layer.LOW
    place([strong, peer], PROBE_AFTER)
    assert peer.layer is Layer.FULL  # its estimate cannot grow on the low layer: a try
    place([strong, peer], PROBE_AFTER + LAYER_HOLD)  # the estimate did not grow
    assert peer.layer is Layer.LOW and peer.probe_wait == 2 * PROBE_AFTER
    place([strong, peer], PROBE_AFTER + LAYER_HOLD + PROBE_AFTER)
    assert peer.layer is Layer.LOW  # waits twice as long now


def test_no_peer_no_layer() -> None:
    assert place([], 0.0) == {Layer.FULL: None, Layer.LOW: None}


# ---------------------------------------------------------------- real meshes


def shared(mesh: MediaMesh) -> SharedEncoder:
    encoder = mesh.shared_video("camera")
    assert encoder is not None, "encode_once is on by default"
    return encoder


async def mesh_of(router: Router, pids: tuple[str, ...]) -> None:
    for pid in pids:
        if pid not in router.meshes:
            await router.add(pid)
    router.connect_all()
    for pid in pids:
        recorder = router.recorders[pid]
        for other in pids:
            if other != pid:
                await recorder.until(lambda r=recorder, o=other: flowing(r, o), timeout=30,
                                     what=f"{pid} <- {other}")


def camera_receivers(pc: RTCPeerConnection) -> list[object]:
    return [r for r in pc.getReceivers() if r.track is not None and r.track.kind == "video"]


async def test_four_party_mesh_encodes_each_frame_at_most_twice(router: Router) -> None:
    await mesh_of(router, PIDS)
    meshes = router.meshes
    before = {pid: (shared(m).encodes, shared(m).frames) for pid, m in meshes.items()}
    ra = router.recorders["a"]
    n0 = len(ra.counters("b"))
    await ra.until(lambda: len(ra.counters("b")) >= n0 + 15, timeout=20, what="15 more frames")
    for pid, mesh in meshes.items():
        encodes = shared(mesh).encodes - before[pid][0]
        frames = shared(mesh).frames - before[pid][1]
        print(f"{pid}: {encodes} encodes for {frames} captured frames, 3 peers")
        assert frames > 0 and 0 < encodes <= 2 * frames
        for other in PIDS:
            if other != pid:
                assert flowing(router.recorders[other], pid)


async def test_a_late_joiner_gets_a_keyframe_at_once(router: Router) -> None:
    await mesh_of(router, ("a", "b", "c"))
    a = shared(router.meshes["a"])
    # past the start's ramp: a rebuild's keyframe there answers d's request uncounted
    await router.recorders["a"].until(lambda: a.frames > 120, timeout=10,
                                      what="a steady state")
    made = a.requested_keyframes
    _, rd = await router.add("d")
    router.connect_all()
    # with a keyframe every 3000 frames, d would see nothing without the joiner's own
    await rd.until(lambda: (pc := router.meshes["a"].connection("d")) is not None
                   and pc.connectionState == "connected", timeout=30, what="a-d connected")
    connected = time.monotonic()
    await rd.until(lambda: len(rd.counters("a")) >= 1, timeout=3.0, what="a picture from a")
    print(f"d's first picture from a {time.monotonic() - connected:.2f} s after connecting")
    assert a.requested_keyframes > made


async def pli_from_everyone(router: Router, at: str) -> int:
    """Each other peer asks ``at`` for a keyframe at once; how many PLIs went out."""
    sent = 0
    for pid, mesh in router.meshes.items():
        pc = mesh.connection(at) if pid != at else None
        for receiver in camera_receivers(pc) if pc is not None else []:
            sent += await rtx.request_keyframe(receiver)  # type: ignore[arg-type]
    return sent


async def test_keyframe_requests_from_every_peer_make_one_keyframe(router: Router) -> None:
    await mesh_of(router, PIDS)
    a = shared(router.meshes["a"])
    ra: Recorder = router.recorders["a"]
    # past the start's ramp (ladder.START_GROWTH: 2.5 s, its libvpx rebuilds are
    # keyframes, and a request just after one is answered by it, not counted)
    await ra.until(lambda: a.frames > 120, timeout=10, what="a steady state")
    answered = a.answered_requests
    # one keyframe a layer: on a loaded machine a peer's loopback estimate can fall
    # under the full layer's and move it to the low one, which answers its own request
    layers = {reader.seat.layer for reader in a.readers()}
    assert await pli_from_everyone(router, "a") == 3
    await ra.until(lambda: a.answered_requests >= answered + len(layers), timeout=5,
                   what="a keyframe on each layer asked")
    # more than a second's worth of frames later: still one keyframe a layer, not one per
    # peer (three peers asked)
    encodes = a.encodes
    await ra.until(lambda: a.encodes >= encodes + 20, timeout=10, what="20 more encodes")
    assert a.answered_requests == answered + len(layers) < answered + 3


async def test_encode_once_off_gives_each_peer_its_own_encoder(router: Router) -> None:
    for pid in ("a", "b", "c"):
        await router.add(pid, encode_once=False)
    await mesh_of(router, ("a", "b", "c"))
    assert all(m.shared_video("camera") is None for m in router.meshes.values())


async def test_a_peer_that_negotiates_h264_gets_an_encoder_of_its_own(router: Router) -> None:
    parley, rec = await router.add("p_b")
    await router.add("p_c")  # a VP8 peer of the same shared camera
    foreign = router.add_foreign("p_a", layout=("camera",), video_codec="video/H264")
    parley.add_peer("p_a")  # the polite side: it waits for the offer
    parley.add_peer("p_c")
    router.meshes["p_c"].add_peer("p_b")
    await foreign.offer("p_b")
    await rec.until(lambda: bool(answers(router)), what="p_b's answer")
    assert "H264" in answers(router)[0] and "VP8" not in answers(router)[0]
    await foreign.until(lambda: len(foreign.received.video.get("camera", [])) >= 5,
                        timeout=20, what="p_b's camera over H264")
    rc = router.recorders["p_c"]
    await rc.until(lambda: flowing(rc, "p_b"), timeout=20, what="p_b's camera over VP8")
    assert shared(parley).encodes > 0


def answers(router: Router) -> list[str]:
    return [s.sdp for s in router.signals if isinstance(s, Answer) and s.sender == "p_b"
            and s.to == "p_a"]


async def test_a_track_no_sender_reads_asks_for_no_keyframe_and_sets_no_rate() -> None:
    source = SwitchableTrack("video", "camera")
    source.set_source(PatternTrack((320, 240), 15))
    encoder = SharedEncoder(source)
    read, unread = encoder.subscribe(), encoder.subscribe()  # unread: an m-line rejected
    read.estimate, unread.estimate = 300_000, 1_500_000
    try:
        packets = [await asyncio.wait_for(read.recv(), 5) for _ in range(30)]
        assert isinstance(packets[0], av.Packet) and packets[0].is_keyframe
        assert encoder.requested_keyframes == 1  # the reader's first, none for the other
        assert encoder.encoders[Layer.FULL].estimate == 300_000
        assert read.seat.layer is Layer.FULL
    finally:
        await encoder.close()
        await source.stop()
