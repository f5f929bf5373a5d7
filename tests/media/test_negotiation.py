"""The m-line plan against aiortc's own SDP: every order and every subset of kinds,
declared roles or none, and the m-lines a compliant peer may add that Parley rejects.

No sockets: aiortc creates offers and answers without gathering.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Sequence

import pytest
from aiortc import RTCBundlePolicy, RTCConfiguration, RTCPeerConnection, RTCSessionDescription

from parley.media.link import supported_codecs
from parley.media.negotiation import Description, OfferPlan, accept_answer

KINDS = {"audio": "audio", "camera": "video", "screen": "video"}
LAYOUTS = [p for r in range(4) for p in itertools.permutations(("audio", "camera", "screen"), r)]
"""Every order of every subset of Parley's three roles (16, the empty one included)."""


@pytest.fixture
async def pcs() -> AsyncIterator[list[RTCPeerConnection]]:
    made: list[RTCPeerConnection] = []
    yield made
    for pc in made:
        await pc.close()


def new_pc(pcs: list[RTCPeerConnection]) -> RTCPeerConnection:
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[],
                                            bundlePolicy=RTCBundlePolicy.MAX_BUNDLE))
    pcs.append(pc)
    return pc


async def aiortc_offer(pcs: list[RTCPeerConnection], layout: Sequence[str],
                       direction: str = "sendrecv") -> tuple[str, dict[str, str]]:
    """An offer as a foreign aiortc peer makes it: m-lines in ``layout`` order, then a
    data channel; and the roles it would declare, by mid."""
    pc = new_pc(pcs)
    transceivers = [pc.addTransceiver(KINDS[role], direction=direction) for role in layout]
    pc.createDataChannel("heartbeat", negotiated=True, id=0)
    offer = await pc.createOffer()
    description = Description.parse(offer.sdp)
    mids = [s.mid for s in description.sections]
    declared = {mid: role for mid, role in zip(mids, layout, strict=False)}
    assert len(transceivers) + 1 == len(mids)
    return offer.sdp, {str(k): v for k, v in declared.items()}


async def aiortc_answer(pcs: list[RTCPeerConnection], offer_sdp: str) -> str:
    pc = new_pc(pcs)
    await pc.setRemoteDescription(RTCSessionDescription(offer_sdp, "offer"))
    return (await pc.createAnswer()).sdp


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda layout: "-".join(layout) or "none")
async def test_every_order_and_subset_with_declared_roles_is_taken_as_declared(
        pcs: list[RTCPeerConnection], layout: tuple[str, ...]) -> None:
    sdp, declared = await aiortc_offer(pcs, layout)
    plan = OfferPlan(sdp, declared, supported_codecs())
    assert [m.role for m in plan.mlines] == [*layout, "data"]
    assert plan.rejected == ()
    assert plan.accepted_sdp == Description.parse(sdp).text()  # aiortc gets it all
    # aiortc answers what it is given, and nothing is put back
    answer = Description.parse(plan.complete_answer(await aiortc_answer(pcs, plan.accepted_sdp)))
    assert [(s.kind, s.mid, s.port != 0) for s in answer.sections] == [
        (s.kind, s.mid, True) for s in Description.parse(sdp).sections]


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda layout: "-".join(layout) or "none")
async def test_undeclared_m_lines_default_to_audio_and_one_camera(
        pcs: list[RTCPeerConnection], layout: tuple[str, ...]) -> None:
    sdp, _ = await aiortc_offer(pcs, layout)
    plan = OfferPlan(sdp, {}, supported_codecs())
    roles = [m.role for m in plan.mlines]
    videos = [i for i, role in enumerate(layout) if KINDS[role] == "video"]
    expected: list[str | None] = ["audio" if KINDS[r] == "audio" else "camera" for r in layout]
    for extra in videos[1:]:  # a screen is never guessed from position
        expected[extra] = None
    assert roles == [*expected, "data"]
    for mline in plan.rejected:
        assert mline.reason == "a second camera m-line"
    # the rejected m-line is gone from aiortc's view and back, port 0, in the answer
    given = Description.parse(plan.accepted_sdp)
    assert [s.mid for s in given.sections] == [m.mid for m in plan.mlines if m.accepted]
    assert given.bundle == tuple(m.mid for m in plan.mlines if m.accepted)
    answer = Description.parse(plan.complete_answer(await aiortc_answer(pcs, plan.accepted_sdp)))
    assert [s.mid for s in answer.sections] == [m.mid for m in plan.mlines]
    assert [s.port == 0 for s in answer.sections] == [not m.accepted for m in plan.mlines]
    assert set(answer.bundle) == {m.mid for m in plan.mlines if m.accepted}


@pytest.mark.parametrize("direction", ["recvonly", "sendonly", "inactive"])
async def test_directions_are_read_per_m_line(pcs: list[RTCPeerConnection],
                                              direction: str) -> None:
    sdp, declared = await aiortc_offer(pcs, ("camera", "audio"), direction)
    plan = OfferPlan(sdp, declared, supported_codecs())
    camera = plan.mlines[0]
    assert camera.direction == direction and camera.role == "camera"
    assert camera.remote_receives is (direction == "recvonly")
    assert camera.remote_sends is (direction == "sendonly")


def crafted_offer(base: str, extra: list[str]) -> str:
    """``base`` with hand-written m-sections appended (and added to its BUNDLE group)."""
    description = Description.parse(base)
    sections = [*description.sections, *extra]
    mids = [m.split("a=mid:")[1].split("\r\n")[0] for m in extra if "a=mid:" in m]
    return description.text(sections, bundle=[*description.bundle, *mids])


async def test_what_parley_rejects_and_why(pcs: list[RTCPeerConnection]) -> None:
    base, declared = await aiortc_offer(pcs, ("camera", "audio"))
    video = next(s for s in Description.parse(base).sections if s.kind == "video")
    transport = [line for line in video.lines if line.startswith(("a=ice-", "a=fingerprint",
                                                                  "a=setup"))]

    def section(m_line: str, mid: str | None, *lines: str) -> str:
        return "\r\n".join([m_line, "c=IN IP4 0.0.0.0", *([f"a=mid:{mid}"] if mid else []),
                            *transport, "a=rtcp-mux", *lines])

    extra = [
        section("m=text 9 UDP/TLS/RTP/SAVPF 98", "t1", "a=rtpmap:98 t140/1000"),
        section("m=video 9 UDP/TLS/RTP/SAVPF 100", "h265", "a=rtpmap:100 H265/90000"),
        section("m=audio 0 UDP/TLS/RTP/SAVPF 111", "gone", "a=rtpmap:111 opus/48000/2"),
        section("m=application 9 UDP/DTLS/SCTP webrtc-datachannel", "app2", "a=sctp-port:5000"),
        section("m=video 9 UDP/TLS/RTP/SAVPF 96", "slides", "a=rtpmap:96 VP8/90000"),
        section("m=audio 9 UDP/TLS/RTP/SAVPF 111", "cam", "a=rtpmap:111 opus/48000/2"),
        section("m=video 9 UDP/TLS/RTP/SAVPF 96", "screen", "a=rtpmap:96 VP8/90000"),
        section("m=video 9 UDP/TLS/RTP/SAVPF 96", "screen2", "a=rtpmap:96 VP8/90000"),
        section("m=audio 9 UDP/TLS/RTP/SAVPF 0", None),
    ]
    roles = {**declared, "slides": "slides", "cam": "camera", "screen": "screen",
             "screen2": "screen"}
    plan = OfferPlan(crafted_offer(base, extra), roles, supported_codecs())
    verdict = {m.mid: (m.role, m.reason) for m in plan.mlines}
    assert [m.role for m in plan.mlines[:3]] == ["camera", "audio", "data"]
    assert verdict["t1"] == (None, "kind 'text' is not supported")
    assert verdict["h265"] == (None, "no video codec in common (offered ['h265'])")
    assert verdict["gone"] == (None, "rejected by the offerer (port 0)")
    assert verdict["app2"] == (None, "a second data m-line")
    assert verdict["slides"] == (None, "role 'slides' does not fit a video m-line")
    assert verdict["cam"] == (None, "role 'camera' does not fit a audio m-line")
    assert verdict["screen"] == ("screen", "")
    assert verdict["screen2"] == (None, "a second screen m-line")
    assert verdict[None] == (None, "no a=mid")
    # aiortc takes the rest, and its answer gets every rejected m-line back in place
    accepted = [m.mid for m in plan.mlines if m.accepted]
    assert [s.mid for s in Description.parse(plan.accepted_sdp).sections] == accepted
    answer = Description.parse(plan.complete_answer(await aiortc_answer(pcs, plan.accepted_sdp)))
    assert [s.mid for s in answer.sections] == [m.mid for m in plan.mlines]
    for s, m in zip(answer.sections, plan.mlines, strict=True):
        assert (s.port == 0) is (not m.accepted), s.lines[0]
        assert s.kind == m.kind
    with pytest.raises(ValueError, match="do not match"):
        plan.complete_answer(await aiortc_answer(pcs, base))


async def test_candidates_go_to_the_bundle_owner_or_nowhere(
        pcs: list[RTCPeerConnection]) -> None:
    base, declared = await aiortc_offer(pcs, ("screen", "audio"))
    text_line = "\r\n".join(["m=text 9 UDP/TLS/RTP/SAVPF 98", "c=IN IP4 0.0.0.0", "a=mid:t"])
    # the rejected m-line comes first: candidates naming it go to the first accepted one
    description = Description.parse(base)
    offer = description.text([text_line, *description.sections],
                             bundle=["t", *description.bundle])
    plan = OfferPlan(offer, declared, supported_codecs())
    first = plan.mlines[1].mid
    assert first is not None
    assert plan.candidate_target("t", 0) == (first, 0)
    assert plan.candidate_target(None, 2) == (first, 0)  # named by index only
    assert plan.candidate_target(None, 9) is None
    unbundled = OfferPlan(description.text([text_line, *description.sections], bundle=[]),
                          declared, supported_codecs())
    assert unbundled.candidate_target("t", None) is None
    assert unbundled.candidate_target(first, None) == (first, 0)


async def test_an_answer_that_rejects_an_m_line_is_taken_as_inactive(
        pcs: list[RTCPeerConnection]) -> None:
    parley = new_pc(pcs)
    for kind in ("audio", "video", "video"):
        parley.addTransceiver(kind, direction="sendrecv")
    parley.createDataChannel("heartbeat", negotiated=True, id=0)
    await parley.setLocalDescription(await parley.createOffer())
    offer = parley.localDescription.sdp
    answer = Description.parse(await aiortc_answer(pcs, offer))
    screen = answer.sections[2]
    rejected = screen.rejection()
    assert rejected.startswith("m=video 0 ")
    peer_answer = answer.text([*answer.sections[:2], rejected, answer.sections[3]],
                              bundle=[m for m in answer.bundle if m != screen.mid])
    fixed, mids = accept_answer(peer_answer, offer)
    assert mids == (screen.mid,)
    await parley.setRemoteDescription(RTCSessionDescription(fixed, "answer"))  # no error
    directions = [t.currentDirection for t in parley.getTransceivers()]
    assert directions == ["sendonly", "sendonly", "inactive"]  # the answerer is recvonly
    with pytest.raises(ValueError, match="the answer has 2 m-lines, the offer 4"):
        accept_answer(answer.text(answer.sections[:2]), offer)
