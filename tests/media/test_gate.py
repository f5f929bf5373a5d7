"""The signal gate (parley.media.gate) on the real event loop, without aiortc: who is
answered, how offers are paced and coalesced, what candidates pass, what leaves."""

from __future__ import annotations

import asyncio
import logging

import pytest

from parley.media.gate import OFFER_WINDOW, Signal, SignalGate
from parley.protocol.messages import Answer, Candidate, Offer

SDP = ("v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\n"
       "a=candidate:1 1 udp 2130706431 192.0.2.7 40000 typ host\r\n"
       "a=candidate:2 1 udp 2130706431 127.0.0.1 22 typ host\r\n")


class Rig:
    def __init__(self, members: set[str], hide: bool = False, window: float = 0.2) -> None:
        self.delivered: list[Signal] = []
        self.sent: list[Signal] = []
        self.unreachable: list[str] = []
        self.arrived = asyncio.Event()
        self.gate = SignalGate(is_member=members.__contains__, deliver=self._deliver,
                               send=self.sent.append, allow_loopback=False,
                               hide_host_addresses=hide,
                               on_no_candidates=self.unreachable.append, window=window)

    def _deliver(self, msg: Signal) -> None:
        self.delivered.append(msg)
        self.arrived.set()

    async def next_delivery(self) -> Signal:
        self.arrived.clear()
        await asyncio.wait_for(self.arrived.wait(), 5)
        return self.delivered[-1]


def offer(gen: int, sender: str = "bob", sdp: str = SDP) -> Offer:
    return Offer(sdp=sdp, generation=gen, sender=sender)


async def test_a_stranger_is_never_answered_and_is_logged(
        caplog: pytest.LogCaptureFixture) -> None:
    rig = Rig({"bob"})
    with caplog.at_level(logging.WARNING, "parley.media.gate"):
        rig.gate.incoming(offer(0, sender="mallory"))
        rig.gate.incoming(Candidate(candidate="candidate:1 1 udp 1 192.0.2.9 5 typ host",
                                    sender="mallory"))
    assert rig.delivered == []
    assert "reason=not_in_roster from=mallory type=offer" in caplog.text


async def test_offers_within_the_window_are_coalesced_and_the_latest_is_answered() -> None:
    rig = Rig({"bob"})
    rig.gate.incoming(offer(0))
    assert [m.generation for m in rig.delivered] == [0]  # the first at once
    for gen in range(1, 6):
        rig.gate.incoming(offer(gen))
    rig.gate.incoming(Candidate(candidate="candidate:9 1 udp 1 192.0.2.8 41000 typ host",
                                generation=5, sender="bob"))
    assert len(rig.delivered) == 1
    await rig.next_delivery()
    latest, held = rig.delivered[1:]  # the held candidate follows its offer at once
    assert isinstance(latest, Offer) and latest.generation == 5
    assert isinstance(held, Candidate) and held.generation == 5
    counts = rig.gate.counts("bob")
    assert (counts.offers_answered, counts.offers_coalesced) == (2, 4)


async def test_an_older_offer_never_replaces_the_waiting_one() -> None:
    rig = Rig({"bob"})
    rig.gate.incoming(offer(3))
    rig.gate.incoming(offer(5))
    rig.gate.incoming(offer(4))
    latest = await rig.next_delivery()
    assert isinstance(latest, Offer) and latest.generation == 5


async def test_unsafe_candidates_never_pass_in_sdp_or_trickled() -> None:
    rig = Rig({"bob"})
    rig.gate.incoming(offer(0))
    delivered = rig.delivered[0]
    assert isinstance(delivered, Offer)
    assert "192.0.2.7 40000" in delivered.sdp and "127.0.0.1" not in delivered.sdp
    rig.gate.incoming(Candidate(candidate="candidate:3 1 udp 1 169.254.1.1 5000 typ host",
                                sender="bob"))
    rig.gate.incoming(Candidate(candidate="", sender="bob"))  # end of candidates passes
    assert [m.candidate for m in rig.delivered[1:]] == [""]  # type: ignore[union-attr]
    assert rig.gate.counts("bob").candidates_dropped == 2


async def test_answers_pass_at_once_with_their_candidates_screened() -> None:
    rig = Rig({"bob"})
    rig.gate.incoming(Answer(sdp=SDP, sender="bob"))
    rig.gate.incoming(Answer(sdp=SDP, sender="bob"))
    assert len(rig.delivered) == 2
    assert all("127.0.0.1" not in m.sdp for m in rig.delivered)  # type: ignore[union-attr]


async def test_a_departed_participants_waiting_offer_is_dropped() -> None:
    rig = Rig({"bob"}, window=0.05)
    rig.gate.incoming(offer(0))
    rig.gate.incoming(offer(1))
    rig.gate.forget("bob")
    rig.gate.incoming(offer(2))  # bob again, as a new participant: answered at once
    rig.gate.incoming(offer(3))  # waits a window, as gen 1 would have
    await rig.next_delivery()
    assert [m.generation for m in rig.delivered] == [0, 2, 3]


async def test_hidden_host_addresses_leave_no_host_candidate_and_an_empty_sdp_is_said(
        caplog: pytest.LogCaptureFixture) -> None:
    rig = Rig({"bob"}, hide=True)
    with caplog.at_level(logging.WARNING, "parley.media.gate"):
        rig.gate.outgoing(Offer(sdp=SDP, to="bob"))
        rig.gate.outgoing(Offer(sdp=SDP, generation=1, to="bob"))  # said once
        rig.gate.outgoing(Candidate(candidate="candidate:1 1 udp 1 192.0.2.2 5 typ host",
                                    to="bob"))
    sent = rig.sent
    assert len(sent) == 2 and all("typ host" not in m.sdp for m in sent)  # type: ignore
    assert rig.unreachable == ["bob"]
    assert "event=no_candidates to=bob" in caplog.text


def test_the_window_is_a_second() -> None:
    assert OFFER_WINDOW == 1.0
