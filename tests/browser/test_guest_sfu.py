"""A browser guest in a call through the SFU (parley-server --sfu always in front of a
real Janus, Debian's package): it publishes once and receives everybody through one
subscriber connection, so it sees and hears two SDK participants and they receive its
video and audio; it makes no peer connection of its own to anyone."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext

from parley.server import CallServer, ServerConfig
from tests.browser.conftest import page_url
from tests.browser.support import Desktop, Guest, Proxy, until
from tests.sfu.conftest import running_sfu_server
from tests.sfu.janus import Janus, running_janus

pytestmark = pytest.mark.slow

# What the guest's subscriber connection received from one participant (its m-lines
# are the ones the server's last sfu_offer named for that participant).
_RECEIVED = """async (id) => {
    const media = window.parley.call.media;
    if (!media.subscriber) return null;
    const mids = new Set([...media.streams.values()]
        .filter(s => s.participant_id === id).map(s => String(s.mid)));
    const found = {audioEnergy: 0, framesDecoded: 0};
    (await media.subscriber.getStats()).forEach(s => {
      if (s.type !== "inbound-rtp" || !mids.has(String(s.mid))) return;
      if (s.kind === "audio") found.audioEnergy += s.totalAudioEnergy || 0;
      if (s.kind === "video") found.framesDecoded += s.framesDecoded || 0;
    });
    return found;
}"""


@pytest.fixture
async def janus(tmp_path: Path) -> AsyncIterator[Janus]:
    async with running_janus(tmp_path / "janus") as node:
        yield node


@pytest.fixture
async def sfu_server(tmp_path: Path, janus: Janus) -> AsyncIterator[CallServer]:
    server = CallServer(ServerConfig(port=0, state_dir=tmp_path / "state", sfu="always",
                                     janus_urls=(janus.http_url,),
                                     janus_api_secret=janus.api_secret,
                                     janus_admin_key=janus.admin_key))
    await server.start()
    yield server
    if server.running:
        await server.stop()


async def received(guest: Guest, pid: str) -> dict[str, float]:
    found: dict[str, float] = await guest.page.evaluate(_RECEIVED, pid) or {}
    return found


async def tile_gone(guest: Guest, pid: str) -> bool:
    return int(await guest.page.locator(f'figure[data-pid="{pid}"]').count()) == 0


async def louder(guest: Guest, pid: str, before: float) -> bool:
    """Audio energy from ``pid`` grew past ``before`` (decoded and played out)."""
    return (await received(guest, pid)).get("audioEnergy", 0.0) > before + 1e-4


async def test_a_guest_through_the_sfu_sees_and_hears_two_participants_and_is_seen(
        sfu_server: CallServer, guest: Guest, desktops: Callable[[str], Desktop]) -> None:
    ada, bob = desktops("Ada"), desktops("Bob")
    dids = [await ada.join(sfu_server.url, "big"), await bob.join(sfu_server.url, "big")]
    await guest.open(page_url(sfu_server, "big"))
    gid = await guest.join("Gus")
    assert await guest.page.evaluate("window.parley.call.media.mode") == "sfu"
    for did in dids:
        # the first keyframe comes by Janus's 3 s keyframe request at the latest; the rest
        # of the timeout is for a loaded machine (several engineers' tests on 2 cores)
        await until(lambda d=did: guest.video_moves(d), timeout=30,
                    what=f"moving video from {did} in the page")
    for desktop in (ada, bob):
        await until(lambda d=desktop: d.sees_moving_video(gid), timeout=30,
                    what=f"the guest's moving video at {desktop.name}")
        await until(lambda d=desktop: d.hears(gid), what=f"the guest's audio at {desktop.name}")
    for did in dids:
        first = await received(guest, did)
        await until(lambda d=did, f=first: louder(guest, d, f["audioEnergy"]),
                    what=f"audio from {did} played in the page")
    # everything went through the server's SFU: no peer connection to anyone
    assert await guest.page.evaluate("window.parley.call.peers.size") == 0
    assert await guest.page.evaluate(
        "window.parley.call.media.subscriber.getTransceivers().length") >= 4
    assert await guest.page.is_disabled("#share")
    assert ada.status() == bob.status() == ["on_session_joined"]
    assert [p.name for p in ada.session.participants if not p.is_local] == ["Bob", "Gus"]
    assert guest.errors == []


@pytest.mark.long  # ~12 s with Janus's start; the call above is the one make test runs
async def test_through_the_sfu_a_guest_turns_its_camera_off_and_on_and_sees_a_leaver_go(
        sfu_server: CallServer, guest: Guest, desktops: Callable[[str], Desktop]) -> None:
    ada, bob = desktops("Ada"), desktops("Bob")
    aid, bid = await ada.join(sfu_server.url, "big"), await bob.join(sfu_server.url, "big")
    await guest.open(page_url(sfu_server, "big"))
    gid = await guest.join("Gus")
    await until(lambda: ada.sees_moving_video(gid), timeout=30, what="the guest's video")
    # camera off stops the device; on again replaces the publisher's track: no renegotiation
    await guest.page.click("#camera-toggle")
    await until(lambda: any(p.id == gid and p.video_paused for p in ada.session.participants),
                what="the guest's camera off at Ada")
    ada.lumas.pop(gid, None)
    await guest.page.click("#camera-toggle")
    await until(lambda: ada.sees_moving_video(gid), timeout=10, what="the guest's video again")
    # Bob leaves: his tile goes; Janus renegotiates the guest's subscriber, Ada's video plays on
    await until(lambda: guest.video_moves(bid), timeout=30, what="Bob's video in the page")
    await bob.session.leave_session()
    await until(lambda: tile_gone(guest, bid), what="Bob's tile gone")
    await until(lambda: guest.video_moves(aid), timeout=10, what="Ada's video plays on")
    assert guest.errors == []


@pytest.mark.long  # ~15 s: the cut, the server noticing it, the resume
async def test_through_the_sfu_a_guest_whose_signaling_link_is_cut_resumes_and_keeps_its_media(
        sfu_server: CallServer, guest: Guest, desktops: Callable[[str], Desktop]) -> None:
    proxy = Proxy(sfu_server.port)
    await proxy.start()
    try:
        ada = desktops("Ada")
        aid = await ada.join(sfu_server.url, "big")
        await guest.open(page_url(sfu_server, "big", port=proxy.port))
        gid = await guest.join("Gus")
        await until(lambda: guest.video_moves(aid), timeout=30, what="Ada's video")
        await until(lambda: ada.sees_moving_video(gid), timeout=30, what="the guest's video")
        proxy.cut()
        await until(lambda: guest.visible("#overlay"), what="the Reconnecting overlay")
        await until(lambda: "on_participant_reconnecting" in ada.names(gid), timeout=8,
                    what="the server noticed the guest's link died")
        proxy.restore()
        await until(lambda: guest.hidden("#overlay"), what="resumed")
        assert await guest.page.evaluate("window.parley.call.id") == gid
        await until(lambda: "on_participant_restored" in ada.names(gid), what="restored")
        # the SFU kept both connections: the media never needed the signaling link
        ada.lumas.pop(gid, None)
        await until(lambda: guest.video_moves(aid), what="Ada's video still moving")
        await until(lambda: ada.sees_moving_video(gid), what="the guest's video still moving")
        assert ada.names(gid).count("on_participant_joined") == 1
        assert "on_participant_left" not in ada.names(gid)
        assert guest.errors == []
    finally:
        await proxy.stop()


_SFU_SENDING = """async (on) => {
    const media = window.parley.call.media, local = window.parley.local;
    for (const role of ["audio", "camera"])
      await media.senders[role].replaceTrack(on ? local.track(role) : null);
}"""


async def shown_reconnecting(guest: Guest, pid: str) -> bool:
    badge = guest.page.locator(f'figure[data-pid="{pid}"] .badge.reconnecting')
    return int(await badge.count()) > 0


@pytest.mark.long  # ~7 s: make test keeps the guest's SFU cases to the first one
async def test_through_the_sfu_a_guest_shows_a_participant_whose_media_stopped_reconnecting(
        sfu_server: CallServer, guest: Guest, browser: BrowserContext) -> None:
    """The other guest stops sending (its link to the server is fine): Janus stops
    receiving its media, the server says sfu_feed flowing false, and the tile shows it
    reconnecting, as the desktop does; sending again clears it."""
    other = Guest(await browser.new_page())
    await guest.open(page_url(sfu_server, "big"))
    await guest.join("Gus")
    await other.open(page_url(sfu_server, "big"))
    oid = await other.join("Olga")
    await until(lambda: guest.video_moves(oid), timeout=30, what="Olga's video")
    assert not await shown_reconnecting(guest, oid)
    await other.page.evaluate(_SFU_SENDING, False)
    await until(lambda: shown_reconnecting(guest, oid), timeout=10,
                what="Olga shown reconnecting")
    await other.page.evaluate(_SFU_SENDING, True)
    await until(lambda: guest_clear(guest, oid), timeout=10, what="Olga restored")
    assert guest.errors == other.errors == []


async def guest_clear(guest: Guest, pid: str) -> bool:
    return not await shown_reconnecting(guest, pid)


@pytest.mark.long  # ~8 s
async def test_through_the_sfu_a_guest_shows_someone_reconnecting_whose_media_stops_reaching_it(
        tmp_path: Path, janus: Janus, guest: Guest,
        desktops: Callable[[str], Desktop]) -> None:
    """Janus stops relaying to the guest alone (its subscriber paused; Ada still
    publishes, so no sfu_feed says anything): after 2.5 s without a packet from Ada the
    guest's own watch shows her reconnecting, and her media coming back clears it."""
    async with running_sfu_server(tmp_path, [janus]) as rig:
        ada = desktops("Ada")
        aid = await ada.join(rig.server.url, "big")
        await guest.open(page_url(rig.server, "big"))
        gid = await guest.join("Gus")
        await until(lambda: guest.video_moves(aid), timeout=30, what="Ada's video")
        assert not await shown_reconnecting(guest, aid)
        sfu = rig.hub.sfu
        assert sfu.hold("big", gid, True)
        await until(lambda: shown_reconnecting(guest, aid), timeout=10,
                    what="Ada shown reconnecting")
        assert sfu.hold("big", gid, False)
        await until(lambda: guest_clear(guest, aid), timeout=10, what="Ada restored")
        # the guest's own media flowed all along: Ada never saw it reconnecting
        assert "on_participant_reconnecting" not in ada.names(gid)
        assert guest.errors == []
        await ada.session.leave_session()  # before its server stops
