"""A browser guest (Chromium, the page parley-server serves) in a call with desktop
(SDK) participants: media both ways whoever offers, odd offers, a receive-only and a
silent guest, a cut signaling link, leaving.

Participant ids follow the joining order (conftest.ordered_ids): whoever joins first
has the lower id, is the impolite side, and offers the pair's connection.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from playwright.async_api import BrowserContext

from parley.server import CallServer
from tests.browser.conftest import page_url
from tests.browser.support import STOP_SENDING, Desktop, Guest, Proxy, until

pytestmark = pytest.mark.slow


async def call(server: CallServer, guest: Guest, desktop: Desktop, guest_first: bool,
               query: str = "", **join: str) -> tuple[str, str]:
    """The guest and one desktop in room "r"; returns (guest id, desktop id)."""
    await guest.open(page_url(server, "r", query))
    if guest_first:
        gid = await guest.join("Gus", **join)
        did = await desktop.join(server.url, "r")
    else:
        did = await desktop.join(server.url, "r")
        gid = await guest.join("Gus", **join)
    await until(lambda: guest.connected_to(did), what="the guest's peer connected")
    await until(lambda: desktop.peer_state(gid) == "connected", what="the desktop's peer")
    return gid, did


async def both_ways(guest: Guest, desktop: Desktop, gid: str, did: str) -> None:
    await until(lambda: guest.video_moves(did), what="moving video in the guest's page")
    await until(lambda: guest.hears(did), what="the desktop's audio in the page")
    await until(lambda: desktop.sees_moving_video(gid), what="the guest's moving video")
    await until(lambda: desktop.hears(gid), what="the guest's audio at the desktop")


@pytest.mark.parametrize("guest_first", [True, False], ids=["guest-offers", "guest-answers"])
async def test_guest_and_desktop_exchange_moving_video_and_audible_audio(
        server: CallServer, guest: Guest, desktops: Callable[[str], Desktop],
        guest_first: bool) -> None:
    desktop = desktops("Ada")
    gid, did = await call(server, guest, desktop, guest_first)
    assert (await guest.peer(did))["polite"] is not guest_first
    await both_ways(guest, desktop, gid, did)
    assert [p.name for p in desktop.session.participants if not p.is_local] == ["Gus"]
    assert await guest.page.inner_text(f'figure[data-pid="{did}"] .name') == "Ada"
    assert desktop.status() == ["on_session_joined"] and guest.errors == []


async def test_a_guest_offering_video_before_audio(
        server: CallServer, guest: Guest, desktops: Callable[[str], Desktop]) -> None:
    desktop = desktops("Ada")
    gid, did = await call(server, guest, desktop, True, "?mlines=camera,audio,screen")
    await both_ways(guest, desktop, gid, did)
    assert desktop.names(gid).count("on_participant_reconnecting") == 0


async def test_a_guest_offering_no_audio_gets_video_only(
        server: CallServer, guest: Guest, desktops: Callable[[str], Desktop]) -> None:
    desktop = desktops("Ada")
    gid, did = await call(server, guest, desktop, True, "?mlines=camera")
    await until(lambda: guest.video_moves(did), what="moving video in the guest's page")
    await until(lambda: desktop.sees_moving_video(gid), what="the guest's moving video")
    stats = await guest.inbound(did)
    assert stats["audioPackets"] == 0  # it asked for no audio, and gets none
    assert desktop.session.audio_level(gid) == 0.0


@pytest.mark.parametrize("guest_first", [
    True, pytest.param(False, marks=pytest.mark.long)], ids=["guest-offers", "guest-answers"])
async def test_a_receive_only_guest_gets_everything_and_sends_nothing(
        server: CallServer, guest: Guest, desktops: Callable[[str], Desktop],
        guest_first: bool) -> None:
    desktop = desktops("Ada")
    gid, did = await call(server, guest, desktop, guest_first, camera="none",
                          microphone="none")
    await until(lambda: guest.video_moves(did), what="moving video in the guest's page")
    await until(lambda: guest.hears(did), what="the desktop's audio in the page")
    assert desktop.lumas.get(gid) is None and desktop.session.audio_level(gid) == 0.0
    assert desktop.names(gid) == ["on_participant_joined"] or guest_first
    # a guest without a microphone says so: the desktop shows the mic-off badge
    await until(lambda: any(p.id == gid and p.no_microphone and not p.audio_muted
                            for p in desktop.session.participants), what="no_microphone")
    generation = desktop.generation(gid)
    quiet_until = time.monotonic() + 3.0  # past the heartbeat timeout, nothing received
    await until(lambda: time.monotonic() > quiet_until, what="the quiet")
    assert desktop.peer_state(gid) == "connected" and desktop.generation(gid) == generation
    assert "on_participant_reconnecting" not in desktop.names(gid)


async def silent_guest(server: CallServer, guest: Guest, desktop: Desktop,
                       seconds: float) -> None:
    gid, did = await call(server, guest, desktop, False)
    await both_ways(guest, desktop, gid, did)
    generation = desktop.generation(gid)
    await guest.page.evaluate(STOP_SENDING)  # replaceTrack(null) on every sender
    stopped = time.monotonic()
    await until(lambda: "on_media_stalled" in desktop.names(gid), what="a stall noticed")
    await until(lambda: time.monotonic() - stopped > seconds, timeout=seconds + 5,
                what=f"{seconds} s of silence")
    # a quality signal, and nothing else anywhere: no lost, no rebuild, no closed
    assert desktop.status() == ["on_session_joined"]
    assert [n for n in desktop.names(gid) if n != "on_media_stalled"] == [
        "on_participant_joined", "on_media_flowing"]
    assert desktop.peer_state(gid) == "connected" and desktop.generation(gid) == generation
    peer = await guest.peer(did)
    assert peer["state"] == "connected" and peer["generation"] == generation
    assert not await guest.visible("#overlay")
    assert await guest.page.evaluate("window.parley.call.signaling.state") == "joined"
    assert await guest.visible("#call")


async def test_a_guest_that_stops_sending_stays_in_the_call(
        server: CallServer, guest: Guest, desktops: Callable[[str], Desktop]) -> None:
    await silent_guest(server, guest, desktops("Ada"), seconds=4.0)


@pytest.mark.long
async def test_a_guest_that_stops_sending_for_10_s_stays_in_the_call(
        server: CallServer, guest: Guest, desktops: Callable[[str], Desktop]) -> None:
    await silent_guest(server, guest, desktops("Ada"), seconds=10.0)


async def test_a_cut_signaling_link_shows_the_overlay_and_resumes_with_the_same_id(
        server: CallServer, guest: Guest, desktops: Callable[[str], Desktop]) -> None:
    proxy = Proxy(server.port)
    await proxy.start()
    try:
        desktop = desktops("Ada")
        did = await desktop.join(server.url, "r")
        await guest.open(page_url(server, "r", port=proxy.port))
        gid = await guest.join("Gus")
        await until(lambda: guest.connected_to(did), what="the guest's peer connected")
        assert not await guest.visible("#overlay")
        proxy.cut()
        cut_at = time.monotonic()
        await until(lambda: guest.visible("#overlay"), what="the Reconnecting overlay")
        shown_after = time.monotonic() - cut_at
        assert await guest.page.inner_text("#overlay") == "Reconnecting…"
        await until(lambda: "on_participant_reconnecting" in desktop.names(gid), timeout=8,
                    what="the server noticed the guest's link died")
        proxy.restore()
        await until(lambda: guest.hidden("#overlay"), what="the overlay gone")
        assert await guest.page.evaluate("window.parley.call.id") == gid
        await until(lambda: "on_participant_restored" in desktop.names(gid),
                    what="the guest restored at the desktop")
        assert "on_participant_left" not in desktop.names(gid)
        assert desktop.names(gid).count("on_participant_joined") == 1
        assert shown_after < 2.5  # the page's heartbeat timeout is 1.5 s
        # media never needed the signaling link: the connection was kept
        assert (await guest.peer(did))["generation"] == 0
        await until(lambda: guest.video_moves(did), what="video still moving")
    finally:
        await proxy.stop()


async def test_the_guest_leaving_is_on_participant_left(
        server: CallServer, guest: Guest, desktops: Callable[[str], Desktop]) -> None:
    desktop = desktops("Ada")
    gid, _ = await call(server, guest, desktop, False)
    await guest.page.click("#leave")
    await until(lambda: "on_participant_left" in desktop.names(gid), what="left at the desktop")
    assert await guest.page.inner_text("#ended-title") == "You left the call"
    assert [p.id for p in desktop.session.participants] == [desktop.id]
    assert desktop.status() == ["on_session_joined"]


@pytest.mark.long
async def test_two_guests_call_each_other_and_a_desktop(
        server: CallServer, browser: BrowserContext, guest: Guest,
        desktops: Callable[[str], Desktop]) -> None:
    """The page against itself too: each side of a browser pair, trickling both ways."""
    other = Guest(await browser.new_page())
    await guest.open(page_url(server, "r"))
    await other.open(page_url(server, "r", "?mlines=camera,audio"))
    first = await guest.join("Gus")
    second = await other.join("Val")
    desktop = desktops("Ada")
    did = await desktop.join(server.url, "r")
    for page, pid in ((guest, second), (other, first), (guest, did), (other, did)):
        await until(lambda g=page, p=pid: g.connected_to(p), what=f"connected to {pid}")
        await until(lambda g=page, p=pid: g.video_moves(p), what=f"video from {pid}")
    await until(lambda: desktop.sees_moving_video(first) and desktop.sees_moving_video(second),
                what="the desktop sees both guests")
    assert guest.errors == [] and other.errors == []
    await other.page.close()
