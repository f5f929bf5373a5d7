"""A Parley mesh against a foreign client written from docs/protocol.md on raw aiortc
(tests/media/foreign.py): offers in any m-line order and of any subset of kinds,
receive-only and silent peers, renegotiation, glare, stale generations, trickle ICE.

The foreign peer's id is "p_a" and Parley's "p_b" when the foreign one offers (it
is the impolite side); the other way round when Parley offers.
"""

from __future__ import annotations

import time
import zlib

import pytest

from parley.media import PeerState
from parley.media.negotiation import Description
from parley.protocol.messages import Answer, Candidate, Offer
from tests.media.conftest import Recorder, Router
from tests.media.foreign import HUES, KINDS, ForeignPeer, hue_of, near
from tests.media.test_negotiation import LAYOUTS

SCREEN_HUE = 200  # parley.media.screen's fake screen
pytestmark = pytest.mark.slow


def camera_hue(pid: str) -> int:
    """The tint of a participant's synthetic camera (parley.media.local)."""
    return zlib.crc32(pid.encode()) % 360


def hues_from(recorder: Recorder, pid: str, role: str) -> list[int]:
    if role == "camera":
        return [hue_of(f.frame) for _, _, f in recorder.frames.get(pid, [])]
    return [hue_of(f.frame) for f in recorder.screen_frames.get(pid, [])]


async def connected(recorder: Recorder, router: Router, at: str, peer: str,
                    timeout: float = 10) -> None:
    mesh = router.meshes[at]
    await recorder.until(lambda: mesh.peer_state(peer) is PeerState.CONNECTED,
                         timeout=timeout, what=f"{at} connected to {peer}")


@pytest.mark.parametrize("layout", LAYOUTS[1:], ids="-".join)
async def test_a_foreign_offer_in_any_order_and_of_any_kinds_is_answered_by_role(
        router: Router, layout: tuple[str, ...]) -> None:
    parley, rec = await router.add("p_b")
    foreign = router.add_foreign("p_a", layout=layout)
    parley.add_peer("p_a")  # the polite side: it waits for the offer
    await foreign.offer("p_b")
    await connected(rec, router, "p_b", "p_a")
    answer = next(s for s in router.signals if isinstance(s, Answer))
    offered = Description.parse(next(s for s in router.signals if isinstance(s, Offer)).sdp)
    answered = Description.parse(answer.sdp)
    assert [(s.kind, s.mid) for s in answered.sections] == [
        (s.kind, s.mid) for s in offered.sections]
    assert all(s.port != 0 for s in answered.sections)
    if "screen" in layout:
        assert await parley.start_screen_share()
    # each side gets the other's track of each role on the m-line of that role
    expected = {"camera": camera_hue("p_b"), "screen": SCREEN_HUE}
    for role in layout:
        if KINDS[role] == "video":
            await foreign.until(lambda r=role: len(foreign.received.video.get(r, [])) >= 3,
                                what=f"parley's {role}")
            assert all(near(h, expected[role]) for h in foreign.received.video[role][-3:])
            await rec.until(lambda r=role: len(hues_from(rec, "p_a", r)) >= 3,
                            what=f"foreign {role}")
            assert all(near(h, HUES[role]) for h in hues_from(rec, "p_a", role)[-3:])
    if "audio" in layout:
        await foreign.until(lambda: max(foreign.received.audio_peaks[-10:], default=0) > 0.05,
                            what="parley's audio")
        await rec.until(lambda: max(rec.levels.get("p_a", [])[-5:], default=0) > 0.05,
                        what="foreign audio")
    else:
        assert foreign.received.audio_peaks == []
    assert set(foreign.received.video) <= set(layout)
    assert rec.named("on_peer_reconnecting") == []


async def test_undeclared_video_first_is_the_camera_never_a_screen(router: Router) -> None:
    parley, rec = await router.add("p_b")
    foreign = router.add_foreign("p_a", layout=("camera", "audio"), declare=False)
    parley.add_peer("p_a")
    await foreign.offer("p_b")
    await rec.until(lambda: len(hues_from(rec, "p_a", "camera")) >= 3, what="camera frames")
    assert rec.screen_frames == {}
    await rec.until(lambda: max(rec.levels.get("p_a", [])[-5:], default=0) > 0.05,
                    what="foreign audio")


async def test_parley_offers_and_a_foreign_answerer_sends_what_it_has(router: Router) -> None:
    parley, rec = await router.add("p_a")  # the impolite side offers
    foreign = router.add_foreign("p_b", layout=("camera",))  # no microphone, no screen
    parley.add_peer("p_b")
    await connected(rec, router, "p_a", "p_b")
    await rec.until(lambda: len(hues_from(rec, "p_b", "camera")) >= 3, what="camera frames")
    await foreign.until(lambda: max(foreign.received.audio_peaks[-10:], default=0) > 0.05,
                        what="parley's audio")
    assert rec.levels.get("p_b", [0])[-1] < 0.01  # its audio m-line carries nothing


@pytest.mark.parametrize("offerer", ["foreign", pytest.param("parley", marks=pytest.mark.long)])
async def test_a_receive_only_peer_stays_connected_and_is_never_rebuilt(
        router: Router, offerer: str) -> None:
    parley_id, foreign_id = ("p_b", "p_a") if offerer == "foreign" else ("p_a", "p_b")
    parley, rec = await router.add(parley_id)
    foreign = router.add_foreign(foreign_id, direction="recvonly")
    parley.add_peer(foreign_id)
    if offerer == "foreign":
        await foreign.offer(parley_id)
    await connected(rec, router, parley_id, foreign_id)
    await foreign.until(lambda: len(foreign.received.video.get("camera", [])) >= 3,
                        what="parley's camera")
    generation = parley.stats()[foreign_id].generation
    # three liveness timeouts with nothing received: still connected, never rebuilt
    quiet_until = time.monotonic() + 3 * parley.config.liveness_timeout
    await rec.until(lambda: time.monotonic() > quiet_until, timeout=10, what="the quiet")
    assert parley.peer_state(foreign_id) is PeerState.CONNECTED
    assert parley.stats()[foreign_id].generation == generation
    assert [name for name, _ in rec.events] == ["on_peer_connected"]
    assert rec.media == [] and foreign.pongs > 5


async def test_a_peer_that_stops_sending_is_a_quality_signal_not_a_rebuild(
        router: Router) -> None:
    parley, rec = await router.add("p_b")
    foreign = router.add_foreign("p_a")
    parley.add_peer("p_a")
    await foreign.offer("p_b")
    await rec.until(lambda: len(hues_from(rec, "p_a", "camera")) >= 3, what="camera frames")
    assert rec.media == [("p_a", True)]
    foreign.stop_sending()  # replaceTrack(null) everywhere
    stalled_at = time.monotonic()
    await rec.until(lambda: rec.media[-1:] == [("p_a", False)], what="media stalled")
    assert time.monotonic() - stalled_at >= parley.config.stall_timeout - 0.5
    quiet_until = time.monotonic() + 2 * parley.config.liveness_timeout
    await rec.until(lambda: time.monotonic() > quiet_until, timeout=10, what="the quiet")
    assert parley.peer_state("p_a") is PeerState.CONNECTED
    assert [name for name, _ in rec.events] == ["on_peer_connected"]
    assert not rec.named("on_media_lost")


async def test_a_renegotiation_is_answered_on_the_same_connection(router: Router) -> None:
    parley, rec = await router.add("p_b")
    foreign = router.add_foreign("p_a", layout=("audio", "camera"))
    parley.add_peer("p_a")
    await foreign.offer("p_b")
    await connected(rec, router, "p_b", "p_a")
    pc = parley.connection("p_a")
    await foreign.renegotiate("p_b", add="screen")  # a browser starting a screen share
    await rec.until(lambda: len(hues_from(rec, "p_a", "screen")) >= 3, what="screen frames")
    assert all(near(h, HUES["screen"]) for h in hues_from(rec, "p_a", "screen")[-3:])
    assert parley.connection("p_a") is pc and parley.stats()["p_a"].generation == 0
    assert sum(isinstance(s, Answer) for s in router.signals) == 2
    assert [name for name, _ in rec.events] == ["on_peer_connected"]


@pytest.mark.parametrize("parley_id", ["p_a", "p_b"], ids=["parley-impolite", "parley-polite"])
async def test_glare_is_resolved_by_politeness(router: Router, parley_id: str) -> None:
    foreign_id = "p_b" if parley_id == "p_a" else "p_a"
    parley, rec = await router.add(parley_id)
    foreign = router.add_foreign(foreign_id)
    # both offer generation 0 at once: whoever is polite gives way
    parley.add_peer(foreign_id)
    await foreign.offer(parley_id, generation=0)
    await connected(rec, router, parley_id, foreign_id)
    answers = [s for s in router.signals if isinstance(s, Answer)]
    assert len(answers) == 1
    assert answers[0].sender == (foreign_id if parley_id == "p_a" else parley_id)
    await rec.until(lambda: len(hues_from(rec, foreign_id, "camera")) >= 3, what="camera")


async def test_a_stale_offer_is_dropped(router: Router) -> None:
    parley, rec = await router.add("p_b")
    foreign = router.add_foreign("p_a", layout=("audio", "camera"))
    parley.add_peer("p_a")
    await foreign.offer("p_b", generation=3)
    await connected(rec, router, "p_b", "p_a")
    stale = ForeignPeer("p_a", router.sender_for("p_a"))
    await stale.offer("p_b", generation=2)  # an older generation, from the same pair
    await stale.close()
    # signals of a pair are handled in order: once this renegotiation is answered, the
    # stale offer before it has been handled too
    await foreign.renegotiate("p_b", add="screen")
    await rec.until(lambda: sum(isinstance(s, Answer) for s in router.signals) == 2,
                    what="the renegotiation answered")
    assert [s.generation for s in router.signals if isinstance(s, Answer)] == [3, 3]
    assert parley.stats()["p_a"].generation == 3
    assert parley.peer_state("p_a") is PeerState.CONNECTED


async def test_trickled_candidates_and_end_of_candidates_are_taken(router: Router) -> None:
    parley, rec = await router.add("p_b")
    foreign = router.add_foreign("p_a")
    foreign.blind = True  # the path must come from Parley checking the trickled candidates
    parley.add_peer("p_a")
    await foreign.offer("p_b", trickle=True)
    await connected(rec, router, "p_b", "p_a")
    offer = next(s for s in router.signals if isinstance(s, Offer))
    assert "a=candidate:" not in offer.sdp
    trickled = [s for s in router.signals if isinstance(s, Candidate)]
    assert trickled and trickled[-1].candidate == ""  # then end-of-candidates
    answer = next(s for s in router.signals if isinstance(s, Answer))
    assert "a=candidate:" in answer.sdp  # Parley's own candidates travel in its SDP
