"""A Parley pair on a link that loses packets at random (issue 13): what a loses comes
back by retransmission, so b's picture is not rebuilt from keyframes. Behaviours, not
figures (bench/links.py has those: intact frames a second against Chromium's)."""

from __future__ import annotations

import asyncio

from tests.faults.harness import Lab, start_call, status
from tests.faults.shaping import random_loss

RECOVERED = 5
"""Packets b must get back: at 5 % loss of ~50 a second, about 4 s of the link ..."""
PATIENCE = 30.0
"""... watched for at most this long (random loss can be sparse for a while)."""


async def test_packets_lost_at_random_come_back_by_retransmission(lab: Lab) -> None:
    """a's camera and screen m-lines share RTX's payload type: each retransmission
    must still reach b's camera receiver (aiortc alone dropped every one of them, and
    b showed broken frames until the next keyframe)."""
    net = lab.net(["srv", "a", "b"])
    _server, (a, b) = await start_call(lab, net, ["a", "b"], media=True)
    await b.wait("video", timeout=20, where=lambda e: e["pid"] == a.pid)
    before = (await b.report())["retransmission"]
    random_loss(net, "a", 5.0)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + PATIENCE
    while True:  # b's counters, until enough was lost and asked for (or PATIENCE ends)
        after = (await b.report())["retransmission"]
        got = {k: after[k] - before.get(k, 0) for k in after}
        if got["recovered"] + got["given_up"] >= RECOVERED or loop.time() > deadline:
            break
        await asyncio.sleep(0.25)  # the next look at the counters, not a synchronisation
    print(f"5 % loss: b {got}")
    assert got["nacks"] > 0, got  # the link did lose some of a's packets
    assert got["recovered"] >= 3, got  # and they came back
    assert 2 * got["given_up"] <= got["recovered"], got  # a give-up is the exception
    assert status(a) == ["on_session_joined"] and status(b) == ["on_session_joined"]
