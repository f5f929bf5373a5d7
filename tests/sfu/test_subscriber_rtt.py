"""The subscriber's NACKs are spaced by a measured round trip: a receive-only connection
measures none of its own (aiortc takes it from the reports on what a connection sends),
so it used aiortc's default 100 ms, and on a 300 ms queue each lost packet was asked for
three times before its retransmission could arrive (docs/sfu.md). Through a real Janus,
every subscriber connection's receivers get the publisher's round trip to the same node
(loopback here: a few milliseconds, not 100)."""

from __future__ import annotations

import gc

import pytest
from aiortc import RTCPeerConnection

from parley.media.retransmission import DEFAULT_RTT
from parley.media.rtt import rtt_of
from parley.sdk import CallSession, SessionSettings
from tests.sdk.test_media_call import wait_until
from tests.sfu.conftest import SfuServer

pytestmark = pytest.mark.slow


def _connections(direction: str) -> list[RTCPeerConnection]:
    """The open peer connections of this process whose every m-line is ``direction``
    (the SDK's SFU publishers are sendonly, its subscribers recvonly)."""
    return [pc for pc in gc.get_objects()
            if isinstance(pc, RTCPeerConnection) and pc.connectionState == "connected"
            and pc.getTransceivers()
            and all(t.currentDirection == direction for t in pc.getTransceivers())]


async def test_each_subscriber_spaces_its_nacks_by_the_publisher_s_round_trip(
        sfu_server: SfuServer) -> None:
    ada, bob = CallSession(), CallSession()
    for session, name in ((ada, "Ada"), (bob, "Bob")):
        await session.join_session("sfu-rtt", SessionSettings(name, fake_media=True),
                                   server=sfu_server.server.url)
    try:
        def measured() -> bool:
            subscribers = _connections("recvonly")
            return len(subscribers) == 2 and all(
                rtt_of(r) != DEFAULT_RTT for pc in subscribers for r in pc.getReceivers())
        await wait_until(measured, timeout=15)
        publishers = _connections("sendonly")
        lent = {rtt_of(r) for pc in _connections("recvonly") for r in pc.getReceivers()}
        own = {rtt_of(s) for pc in publishers for s in pc.getSenders()}
        print(f"\nsubscribers' round trips {sorted(lent)}, publishers' {sorted(own)} (s)")
        assert all(rtt < DEFAULT_RTT / 2 for rtt in lent), lent  # loopback: measured, small
    finally:
        await bob.leave_session()
        await ada.leave_session()
