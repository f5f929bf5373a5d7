"""A browser guest in a call that moves live from the mesh to the SFU (parley-server
--sfu auto with mesh_max 2 in front of a real Janus): the guest follows media_mode
make-before-break, so it still sees and hears the others through Janus afterwards and
is seen and heard, with nobody left or joined on either side."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from parley.sdk.settings import SessionType
from parley.server import ServerConfig
from tests.browser.conftest import page_url
from tests.browser.support import Desktop, Guest, Proxy, until
from tests.browser.test_guest_sfu import louder, received
from tests.sfu.conftest import SfuServer, running_sfu_server
from tests.sfu.janus import Janus, running_janus
from tests.sfu.test_sfu_call import janus_room_state

pytestmark = pytest.mark.slow

ROOM = "grows"


@pytest.fixture
async def janus(tmp_path: Path) -> AsyncIterator[Janus]:
    async with running_janus(tmp_path / "janus") as node:
        yield node


@pytest.fixture
async def auto_server(tmp_path: Path, janus: Janus) -> AsyncIterator[SfuServer]:
    async with running_sfu_server(tmp_path, [janus], sfu="auto", mesh_max=2) as rig:
        yield rig


# long (make faults), not make test: it fails about 1 run in 5 here (round eleven, 1 of 5;
# and once in CI): after the move one desktop's decoder rejects every frame of the
# guest's video through Janus ("Invalid data found", 54 in 30 s) and never sees it move.
# A real fault of the guest-through-Janus path, not of the test; docs/sfu.md, open points.
@pytest.mark.long
async def test_a_guest_follows_its_call_from_the_mesh_to_the_sfu_make_before_break(
        auto_server: SfuServer, guest: Guest, desktops: Callable[[str], Desktop]) -> None:
    console: list[str] = []
    guest.page.on("console", lambda message: console.append(message.text))
    ada, bob = desktops("Ada"), desktops("Bob")
    aid = await ada.join(auto_server.server.url, ROOM)
    await guest.open(page_url(auto_server.server, ROOM))
    gid = await guest.join("Gus")
    assert await guest.page.evaluate("window.parley.call.media.mode") == "mesh"
    await until(lambda: guest.video_moves(aid), timeout=30, what="Ada's video (mesh)")
    await until(lambda: ada.sees_moving_video(gid), timeout=30, what="the guest's video (mesh)")

    bid = await bob.join(auto_server.server.url, ROOM)  # the third: the call moves
    assert auto_server.hub.sfu.modes.of(ROOM) == "sfu"
    await until(lambda: guest.page.evaluate("window.parley.call.media.mode === 'sfu'"),
                what="the guest moving to the SFU")
    # Ada handed over on her first frame through Janus, not by the move's deadline (Bob,
    # the newcomer whose join moved the call, is received on the SFU path only)
    await until(lambda: f"parley: {aid} handed over to sfu" in console, timeout=30,
                what="Ada handed over")
    assert not any("moved without" in line for line in console), console
    for pid in (aid, bid):
        await until(lambda p=pid: guest.video_moves(p), timeout=15, what=f"{pid}'s video")
        first = await received(guest, pid)  # from the SFU's subscriber connection
        await until(lambda p=pid, f=first: louder(guest, p, f.get("audioEnergy", 0.0)),
                    what=f"audio from {pid} through the SFU")
    for desktop in (ada, bob):
        desktop.lumas.pop(gid, None)
        await until(lambda d=desktop: d.sees_moving_video(gid), timeout=30,
                    what=f"the guest's video at {desktop.name} after the move")
        await until(lambda d=desktop: d.hears(gid), what=f"the guest at {desktop.name}")
    assert ada.names(gid).count("on_participant_joined") == 1
    assert "on_participant_left" not in ada.names(gid) + bob.names(gid)
    assert ada.status() == bob.status() == ["on_session_joined"]
    names = await guest.page.evaluate(
        "[...window.parley.call.participants.values()].map(p => p.name).sort()")
    assert names == ["Ada", "Bob", "Gus"]
    assert guest.errors == []


@pytest.fixture
async def auto3_server(tmp_path: Path, janus: Janus) -> AsyncIterator[SfuServer]:
    config = ServerConfig(port=0, state_dir=tmp_path / "state3", departure_timeout=5.0,
                          sfu="auto", mesh_max=3, janus_urls=(janus.http_url,),
                          janus_api_secret=janus.api_secret,
                          janus_admin_key=janus.admin_key)
    rig = SfuServer(config)
    await rig.server.start()
    try:
        yield rig
    finally:
        if rig.server.running:
            await rig.server.stop()


async def destroyed(janus: Janus, room: int) -> bool:
    """Janus says the room is gone."""
    return not (await janus_room_state(janus, room))[0]


@pytest.mark.long  # 25-40 s here: the move up, the move back and two 10 s retirements
async def test_a_guest_follows_its_call_back_to_the_mesh_and_leaves_the_sfu(
        auto3_server: SfuServer, janus: Janus, guest: Guest,
        desktops: Callable[[str], Desktop]) -> None:
    console: list[str] = []
    guest.page.on("console", lambda message: console.append(message.text))
    ada, bob, cy = desktops("Ada"), desktops("Bob"), desktops("Cy")
    await guest.open(page_url(auto3_server.server, ROOM))
    gid = await guest.join("Gus")
    aid = await ada.join(auto3_server.server.url, ROOM)
    for desktop in (bob, cy):  # audio only: they are there to make the call big
        await desktop.join(auto3_server.server.url, ROOM, session_type=SessionType.AUDIO)
    sfu = auto3_server.hub.sfu
    assert sfu.modes.of(ROOM) == "sfu"
    room = await until(lambda: sfu.janus_room(ROOM), what="the Janus room")
    await until(lambda: guest.page.evaluate("window.parley.call.media.mode === 'sfu'"),
                what="the guest on the SFU")
    await until(lambda: guest.video_moves(aid), timeout=30, what="Ada's video (SFU)")
    # the old mesh stops after its grace: no peer connection left, everything via Janus
    await until(lambda: guest.page.evaluate("window.parley.call.route.retiring.size === 0"),
                timeout=15, what="the mesh retired")
    assert await guest.page.evaluate("window.parley.call.peers.size") == 0
    await until(lambda: guest.video_moves(aid), timeout=10, what="Ada's video after the mesh")

    await cy.session.leave_session()
    await bob.session.leave_session()  # two left: back to the mesh
    assert sfu.modes.of(ROOM) == "mesh"
    await until(lambda: guest.page.evaluate("window.parley.call.media.mode === 'mesh'"),
                what="the guest back on the mesh")
    await until(lambda: f"parley: {aid} handed over to mesh" in console, timeout=30,
                what="Ada handed over to the mesh")
    await until(lambda: guest.connected_to(aid), timeout=15, what="the guest's peer to Ada")
    await until(lambda: guest.video_moves(aid), timeout=15, what="Ada's video (mesh)")
    ada.lumas.pop(gid, None)
    await until(lambda: ada.sees_moving_video(gid), timeout=30, what="the guest at Ada (mesh)")
    # both retired their SFU path and said sfu_leave: the server freed both SFU sides,
    # the last one destroying the Janus room (without the guest's, the room would stay)
    await until(lambda: guest.page.evaluate("window.parley.call.route.retiring.size === 0"),
                timeout=15, what="the SFU path retired")
    await until(lambda: sfu.janus_room(ROOM) is None, timeout=10,
                what="every SFU side freed (sfu_leave)")
    assert await destroyed(janus, room)
    assert "on_participant_left" not in ada.names(gid)
    assert ada.names(gid).count("on_participant_joined") == 1
    assert guest.errors == []


@pytest.mark.long  # the cut, the server noticing it, the resume and the move
async def test_a_guest_resuming_into_a_call_that_moved_follows_its_welcome(
        auto_server: SfuServer, guest: Guest, desktops: Callable[[str], Desktop]) -> None:
    """The guest's link is cut while the call moves to the SFU (its seat holds, so the
    third's join moves it): the media_mode never reaches it, and its resume's welcome
    says sfu, so it moves then."""
    proxy = Proxy(auto_server.server.port)
    await proxy.start()
    try:
        ada, bob = desktops("Ada"), desktops("Bob")
        aid = await ada.join(auto_server.server.url, ROOM)
        await guest.open(page_url(auto_server.server, ROOM, port=proxy.port))
        gid = await guest.join("Gus")
        await until(lambda: guest.video_moves(aid), timeout=30, what="Ada's video (mesh)")
        proxy.cut()
        await until(lambda: guest.visible("#overlay"), what="the Reconnecting overlay")
        bid = await bob.join(auto_server.server.url, ROOM)
        assert auto_server.hub.sfu.modes.of(ROOM) == "sfu"
        assert await guest.page.evaluate("window.parley.call.media.mode") == "mesh"
        proxy.restore()
        await until(lambda: guest.hidden("#overlay"), timeout=15, what="resumed")
        await until(lambda: guest.page.evaluate("window.parley.call.media.mode === 'sfu'"),
                    what="the guest on the SFU after its resume")
        for pid in (aid, bid):
            await until(lambda p=pid: guest.video_moves(p), timeout=30,
                        what=f"{pid}'s video through the SFU")
        for desktop in (ada, bob):
            desktop.lumas.pop(gid, None)
            await until(lambda d=desktop: d.sees_moving_video(gid), timeout=30,
                        what=f"the guest's video at {desktop.name}")
        assert "on_participant_left" not in ada.names(gid) + bob.names(gid)
        assert ada.names(gid).count("on_participant_joined") == 1
        assert guest.errors == []
    finally:
        await proxy.stop()
