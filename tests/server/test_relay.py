"""Relay of offers, answers and candidates: addressed, stamped, confined to the room."""

from __future__ import annotations

import json

from parley.protocol.errors import ErrorCode
from parley.protocol.messages import (
    Answer,
    Candidate,
    Error,
    Offer,
    ParticipantJoined,
    ParticipantReconnecting,
)
from parley.server import CallServer
from tests.server.conftest import Client, Connect


async def _pair(server: CallServer, connect: Connect, room: str = "r") -> tuple[Client, Client]:
    a, b = await connect(server), await connect(server)
    await a.join(room, "A")
    await b.join(room, "B")
    await a.expect(ParticipantJoined)
    return a, b


async def test_offer_answer_candidate_reach_the_target_with_the_real_sender(
        server: CallServer, connect: Connect) -> None:
    a, b = await _pair(server, connect)
    await a.send(Offer(sdp="v=0 offer", generation=2, to=b.pid))
    offer = await b.expect(Offer)
    assert (offer.sdp, offer.generation, offer.sender, offer.to) == ("v=0 offer", 2, a.pid, b.pid)

    await b.send(Answer(sdp="v=0 answer", generation=2, to=a.pid))
    answer = await a.expect(Answer)
    assert answer.sender == b.pid and answer.sdp == "v=0 answer"

    await a.send(Candidate(candidate="candidate:1 1 udp 1 1.2.3.4 5 typ host", sdp_mid="0",
                           sdp_mline_index=0, to=b.pid))
    candidate = await b.expect(Candidate)
    assert candidate.sender == a.pid and candidate.sdp_mid == "0"


async def test_from_cannot_be_spoofed(server: CallServer, connect: Connect) -> None:
    a, b = await _pair(server, connect)
    await a.send(Offer(sdp="x", to=b.pid, sender=b.pid))  # claims to be b
    assert (await b.expect(Offer)).sender == a.pid
    raw = {"v": 1, "type": "candidate", "candidate": "", "to": b.pid, "from": "p_mallory"}
    await a.send_raw(json.dumps(raw))
    assert (await b.expect(Candidate)).sender == a.pid


async def test_unknown_target_is_an_error_and_the_connection_stays_usable(
        server: CallServer, connect: Connect) -> None:
    a, b = await _pair(server, connect)
    await a.send(Offer(sdp="x", to="p_nobody"))
    error = await a.expect(Error)
    assert error.code == ErrorCode.UNKNOWN_PARTICIPANT and error.ref == "offer"
    await a.send(Offer(sdp="x", to=a.pid))  # oneself is nobody to relay to
    assert (await a.expect(Error)).code == ErrorCode.UNKNOWN_PARTICIPANT
    await a.send(Offer(sdp="x"))  # no "to" at all
    assert (await a.expect(Error)).code == ErrorCode.INVALID_FIELD
    await a.send(Offer(sdp="still works", to=b.pid))
    assert (await b.expect(Offer)).sdp == "still works"


async def test_cannot_address_a_participant_of_another_room(
        server: CallServer, connect: Connect) -> None:
    a, _b = await _pair(server, connect, "one")
    c = await connect(server)
    await c.join("two", "C")
    await a.send(Offer(sdp="x", to=c.pid))
    assert (await a.expect(Error)).code == ErrorCode.UNKNOWN_PARTICIPANT
    await c.roundtrip()  # c got nothing before its pong


async def test_relay_to_a_reconnecting_participant_is_dropped_silently(
        server: CallServer, connect: Connect) -> None:
    a, b = await _pair(server, connect)
    await b.drop()
    assert (await a.expect(ParticipantReconnecting)).participant_id == b.pid
    await a.send(Offer(sdp="x", to=b.pid))
    await a.roundtrip()  # no error came back before the pong
