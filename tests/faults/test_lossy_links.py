"""A Parley pair on a link that loses packets at random (issue 13): what a loses comes
back by retransmission, so b's picture is not rebuilt from keyframes. Behaviours, not
figures (bench/links.py has those: intact frames a second against Chromium's)."""

from __future__ import annotations

import asyncio

from tests.faults.harness import Lab, start_call, status
from tests.faults.shaping import random_loss

WINDOW = 4.0
"""Seconds of 5 % loss watched: about 10 packets of a's video lost at ~50 a second."""


async def test_packets_lost_at_random_come_back_by_retransmission(lab: Lab) -> None:
    """a's camera and screen m-lines share RTX's payload type: each retransmission
    must still reach b's camera receiver (aiortc alone dropped every one of them, and
    b showed broken frames until the next keyframe)."""
    net = lab.net(["srv", "a", "b"])
    _server, (a, b) = await start_call(lab, net, ["a", "b"], media=True)
    await b.wait("video", timeout=20, where=lambda e: e["pid"] == a.pid)
    before = (await b.report())["retransmission"]
    random_loss(net, "a", 5.0)
    await asyncio.sleep(WINDOW)
    after = (await b.report())["retransmission"]
    got = {k: after[k] - before.get(k, 0) for k in after}
    print(f"5 % loss, {WINDOW:.0f} s: b {got}")
    assert got["nacks"] > 0, got  # the link did lose some of a's packets
    assert got["recovered"] >= 3, got  # and they came back
    assert 2 * got["given_up"] <= got["recovered"], got  # a give-up is the exception
    assert status(a) == ["on_session_joined"] and status(b) == ["on_session_joined"]
