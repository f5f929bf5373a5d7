"""A browser guest in an SFU call whose Janus node is killed (SIGKILL): the server moves
the call to the other node and says sfu_restart; the guest publishes again and
subscribes afresh, so it sees the desktop participant again and is seen, with nobody
left or joined."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.browser.conftest import page_url
from tests.browser.support import Desktop, Guest, until
from tests.sfu.conftest import SfuServer
from tests.sfu.janus import Janus
from tests.sfu.test_sfu_call import janus_room_state

pytestmark = pytest.mark.slow

ROOM = "failover"


async def on_node(janus: Janus, room: int | None, publishers: int) -> bool:
    return room is not None and await janus_room_state(janus, room) == (True, publishers)


async def test_a_guest_publishes_again_when_its_janus_node_dies(
        two_node_server: SfuServer, nodes: tuple[Janus, Janus], guest: Guest,
        desktops: Callable[[str], Desktop]) -> None:
    a, b = nodes
    sfu = two_node_server.hub.sfu
    ada = desktops("Ada")
    aid = await ada.join(two_node_server.server.url, ROOM)
    await guest.open(page_url(two_node_server.server, ROOM))
    gid = await guest.join("Gus")
    await until(lambda: guest.video_moves(aid), timeout=30, what="Ada's video")
    await until(lambda: ada.sees_moving_video(gid), timeout=30, what="the guest's video")
    assert sfu.janus_node(ROOM) == a.http_url

    a.process.kill()
    await until(lambda: sfu.janus_node(ROOM) == b.http_url, timeout=5, what="moved to b")
    # the guest published again on node b (Ada's SDK too): two publishers there
    await until(lambda: on_node(b, sfu.janus_room(ROOM), 2), timeout=15,
                what="both published on node b")
    ada.lumas.pop(gid, None)
    await until(lambda: ada.sees_moving_video(gid), timeout=15, what="the guest's video again")
    await until(lambda: guest.video_moves(aid), timeout=15, what="Ada's video again")
    assert ada.names(gid).count("on_participant_joined") == 1
    assert "on_participant_left" not in ada.names(gid)
    assert ada.status() == ["on_session_joined"]
    assert guest.errors == []
