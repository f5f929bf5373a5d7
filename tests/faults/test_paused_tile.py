"""What the desktop app's tile shows when a participant's uplink is too slow for video
(issue 13): the real window (tests/faults/tile_probe.py) in one namespace, a participant
whose uplink is shaped below the video floor in another, the real server in a third.
Nothing is faked: the sender's own ladder pauses, its heartbeat says so, the SDK's
flag changes and the tile shows "Video paused: slow connection"; once the link is
unshaped the sender probes again and the notice goes by itself.

Long (about 40 s): ``make faults``. ``PARLEY_TILE_SHOT=path.png`` also keeps the
window's picture while the notice shows (docs/screenshots/video-paused-slow-dark.png).
"""

from __future__ import annotations

import os
import shutil
import time

import pytest

from parley.ui.messages import VIDEO_PAUSED_SLOW_TEXT
from tests.faults.harness import Lab
from tests.faults.shaping import shape_uplink, unshape

pytestmark = [pytest.mark.long, pytest.mark.timeout(150)]


async def test_a_slow_uplink_pauses_the_tile_with_its_notice_and_it_comes_back(
        lab: Lab) -> None:
    net = lab.net(["srv", "grace", "ada"])
    shape_uplink(net, "grace", 90)  # video's floor is 60 kbit/s once audio is through
    server = lab.server(net)
    await server.start()
    grace = lab.agent("grace", net)
    await grace.start(server.url, "call", media=True)
    ada = lab.agent("ada", net)
    await ada.start_module("tests.faults.tile_probe", "--server", server.url,
                           "--session", "call", "--name", "Ada Lovelace")
    grace_id = await grace.joined()
    await ada.joined(timeout=30)

    def shown(notice: str) -> object:
        return lambda e: e["pid"] == grace_id and e["notice"] == notice

    await ada.wait("tile", timeout=20, where=shown(""))
    paused_at = await ada.wait("tile", timeout=40, where=shown(VIDEO_PAUSED_SLOW_TEXT))
    tile = ada.matching("tile", paused_at, shown(VIDEO_PAUSED_SLOW_TEXT))[0]
    assert tile["name"] == "grace" and tile["badges"] == ["slow"] and tile["avatar"]
    shot = lab.tmp / "paused.png"
    asked = time.monotonic()
    ada.send(f"shot {shot}")
    await ada.wait("shot", after=asked, timeout=10)
    assert shot.stat().st_size > 0
    if os.environ.get("PARLEY_TILE_SHOT"):
        shutil.copy(shot, os.environ["PARLEY_TILE_SHOT"])
    unshape(net, "grace")
    await ada.wait("tile", after=paused_at, timeout=30,
                   where=lambda e: e["pid"] == grace_id and e["notice"] == ""
                   and "slow" not in e["badges"])
    asked = time.monotonic()
    ada.send("exit")
    await ada.wait("left", after=asked, timeout=15)
