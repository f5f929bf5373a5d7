"""The guest page itself: how parley-server serves it, its controls against a desktop
participant (mute, camera off, hand, screen share by renegotiation or not), its
badges, and protocol errors shown as words."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiohttp
import pytest

from parley.protocol.grants import mint_identity, mint_invite
from parley.sdk import ParticipantEventListener
from parley.server import CallServer, ServerConfig
from parley.web import ASSETS, STATIC_DIR
from tests.browser.conftest import page_url
from tests.browser.support import Desktop, Guest, until

pytestmark = pytest.mark.slow
SECRET = b"s" * 40


async def test_the_page_and_its_files_are_served_with_a_strict_policy(
        server: CallServer) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(page_url(server, "stand-up.1")) as page:
            assert page.status == 200
            assert page.headers["Content-Type"] == "text/html; charset=utf-8"
            assert page.headers["Cache-Control"] == "no-store"  # its URL holds the token
            assert page.headers["Referrer-Policy"] == "no-referrer"
            policy = page.headers["Content-Security-Policy"]
            assert "script-src 'self'" in policy and "default-src 'none'" in policy
            assert f"ws://127.0.0.1:{server.port}" in policy
            assert '<script type="module" src="../web/app.js">' in await page.text()
        for name, kind in ASSETS.items():
            async with http.get(f"http://127.0.0.1:{server.port}/web/{name}") as asset:
                assert asset.status == 200, name
                assert asset.headers["Content-Type"] == f"{kind}; charset=utf-8"
                assert await asset.read() == (STATIC_DIR / name).read_bytes()
        for path in ("/join/bad%20name", "/join/" + "x" * 65, "/web/__init__.py",
                     "/web/..%2F__init__.py", "/web/index.html"):
            async with http.get(f"http://127.0.0.1:{server.port}{path}") as missing:
                assert missing.status == 404, path
    # every module the page imports is one the server serves
    for module in STATIC_DIR.glob("*.js"):
        assert module.name in ASSETS
        for line in module.read_text().splitlines():
            if line.startswith("import ") and " from " in line:
                assert line.split('"')[1].removeprefix("./") in ASSETS, line


@pytest.fixture
async def secured(tmp_path: Path, ordered_ids: None) -> AsyncIterator[CallServer]:
    srv = CallServer(ServerConfig(port=0, state_dir=tmp_path / "secured", secret=SECRET))
    await srv.start()
    yield srv
    await srv.stop()


async def test_protocol_errors_are_shown_as_words(secured: CallServer, guest: Guest) -> None:
    await guest.open(page_url(secured, "r"))  # no token in the link
    await guest.page.fill("#name", "Gus")
    await guest.page.click("#join-button")
    await guest.page.wait_for_selector("#join-error:not([hidden])")
    assert await guest.page.inner_text("#join-error") == (
        "This call needs an invitation. Open the link you were sent.")
    await guest.open(page_url(secured, "r", "?token=" + mint_invite(SECRET, "other", 60)))
    assert "token" not in guest.page.url  # the token left the address bar
    await guest.page.click("#join-button")
    await until(lambda: guest.page.inner_text("#join-error"),
                what="an error for the wrong room")
    assert await guest.page.inner_text("#join-error") == "This invitation is for another call."
    await guest.open(page_url(secured, "r", "?token=" + mint_invite(SECRET, "r", 60)))
    await guest.join("Gus")
    assert await guest.page.inner_text("figure.local .name") == "Gus (you)"


async def test_controls_reach_the_desktop_and_its_flags_show_as_badges(
        server: CallServer, guest: Guest, desktops: Callable[[str], Desktop]) -> None:
    desktop = desktops("Ada")
    did = await desktop.join(server.url, "r")
    await guest.open(page_url(server, "r"))
    gid = await guest.join("Gus")
    for button, event in (("#mute", "on_audio_muted"), ("#camera-toggle", "on_video_paused"),
                          ("#hand", "on_hand_raised")):
        await guest.page.click(button)
        await until(lambda e=event: e in desktop.names(gid), what=event)
    assert await guest.page.inner_text("#mute") == "Unmute"
    assert await guest.page.evaluate("window.parley.local.camera") is None  # light off
    desktop.session.mute_audio()
    desktop.session.raise_hand()
    tile = f'figure[data-pid="{did}"] figcaption'

    async def badges() -> list[str]:
        return await guest.page.locator(f"{tile} .badge").all_inner_texts()

    await until(lambda: badges(), what="Ada's badges")
    await until(lambda: _has(badges(), "Muted", "Hand raised"), what="Ada muted, hand up")
    assert "Reconnecting…" not in await badges()


@pytest.mark.parametrize("query", ["", "?mlines=audio,camera"],
                         ids=["screen-m-line", "renegotiated"])
async def test_the_guest_shares_a_screen(server: CallServer, guest: Guest,
                                         desktops: Callable[[str], Desktop],
                                         query: str) -> None:
    await guest.open(page_url(server, "r", query))
    gid = await guest.join("Gus")  # first: it offers, with or without a screen m-line
    desktop = desktops("Ada")
    await desktop.join(server.url, "r")
    screens: list[str] = []
    desktop.session.add_video_sink(
        lambda pid, frame: screens.append(pid) if frame.track == "screen" else None)
    await until(lambda: desktop.peer_state(gid) == "connected", what="connected")
    await guest.page.click("#share")
    await until(lambda: "on_screen_share_started" in desktop.names(gid) or screens,
                what="the share announced")
    await until(lambda: screens.count(gid) >= 5, what="frames of the guest's screen")
    assert desktop.generation(gid) == 0  # on the same connection, renegotiated or not
    assert await guest.page.inner_text("#share") == "Stop sharing"


async def _has(texts: object, *wanted: str) -> bool:
    found = await texts  # type: ignore[misc]
    return all(w in found for w in wanted)


async def test_a_guest_without_a_grant_waits_for_the_host_who_lets_it_in(
        tmp_path: Path, ordered_ids: None, guest: Guest,
        desktops: Callable[[str], Desktop]) -> None:
    srv = CallServer(ServerConfig(port=0, state_dir=tmp_path / "lobby", secret=SECRET,
                                  lobby=True))
    await srv.start()
    try:
        host = desktops("Ada")
        asked: list[str] = []
        host.session.add_participant_event_listener(ParticipantEventListener(
            on_join_request=lambda request: asked.append(request.id)))
        await host.join(srv.url, "r", token=mint_identity(SECRET, "r", "ada", "Ada", 60,
                                                          host=True))
        await guest.open(page_url(srv, "r"))  # no token: it asks to join
        await guest.page.fill("#name", "Gus")
        await guest.page.click("#join-button")
        await until(lambda: asked, what="the knock at the host")
        # the host hears the knock before the page has read its lobby_waiting: wait for it
        waiting = "Waiting for the host to let you in…"
        await until(lambda: guest.page.evaluate(
            "t => document.querySelector('#join-button').innerText === t", waiting),
            what="the waiting text")
        assert host.session.admit(asked[0])
        await guest.page.wait_for_selector("#call:not([hidden])")
        gid = await guest.page.evaluate("window.parley.call.id")
        await until(lambda: guest.connected_to(host.id), what="the admitted guest connected")
        assert [p.guest for p in host.session.participants if p.id == gid] == [True]
    finally:
        await srv.stop()
