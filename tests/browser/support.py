"""Browser guests for tests: Debian's Chromium driven by Playwright, a desktop (SDK)
participant that records what it sees and hears, and a TCP proxy that can cut a
guest's link to the call server.

Chromium is /usr/bin/chromium (``make test`` installs Debian's package); Playwright
never downloads a browser. Its flags give fake camera and microphone, grant every
permission, and keep it off the network (this machine has none).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import numpy as np
from playwright.async_api import BrowserContext, Page, Playwright, async_playwright

from parley.media.frames import VideoFrame
from parley.sdk import (
    CallSession,
    ParticipantEventListener,
    SessionSettings,
    SessionStatusListener,
)

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]


async def until(check: Callable[[], Any], timeout: float = 15.0, what: str = "",
                every: float = 0.1) -> Any:
    """Poll ``check`` (sync or async) until it returns something truthy; its value."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or check}")
        await asyncio.sleep(every)  # polling the page: there is no event to wait on


@contextlib.asynccontextmanager
async def chromium(user_data_dir: Path) -> AsyncIterator[BrowserContext]:
    """A fresh Chromium profile (its own --user-data-dir) under Playwright."""
    assert CHROMIUM.exists(), "Debian's chromium is missing: make test installs it"
    playwright: Playwright
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(user_data_dir), executable_path=str(CHROMIUM), headless=True, args=FLAGS,
            viewport={"width": 1280, "height": 720})
        try:
            yield context
        finally:
            await context.close()


# What the page's own objects say (window.parley is the page controller, app.js)
_PEERS = """() => [...window.parley.call.peers.values()].map(p => ({
    id: p.remoteId, state: p.state, generation: p.generation, polite: p.polite,
    signaling: p.pc && p.pc.signalingState}))"""
_FRAME_SUM = """(id) => {
    const video = document.querySelector(`figure[data-pid="${id}"][data-role="camera"] video`);
    if (!video || video.readyState < 2 || !video.videoWidth) return null;
    const canvas = document.createElement("canvas");
    canvas.width = 64; canvas.height = 48;
    const context = canvas.getContext("2d");
    context.drawImage(video, 0, 0, 64, 48);
    const pixels = context.getImageData(0, 0, 64, 48).data;
    let sum = 0;
    for (let i = 0; i < pixels.length; i += 4) {
      sum += pixels[i] * 3 + pixels[i + 1] * 5 + pixels[i + 2] * 7;
    }
    return [sum, video.videoWidth, video.videoHeight];
}"""
_INBOUND = """async (id) => {
    const peer = window.parley.call.peers.get(id);
    if (!peer || !peer.pc) return null;
    const found = {audioEnergy: 0, framesDecoded: 0, audioPackets: 0, videoPackets: 0};
    (await peer.pc.getStats()).forEach(s => {
      if (s.type !== "inbound-rtp") return;
      if (s.kind === "audio") { found.audioEnergy += s.totalAudioEnergy || 0;
                                found.audioPackets += s.packetsReceived || 0; }
      if (s.kind === "video") { found.framesDecoded += s.framesDecoded || 0;
                                found.videoPackets += s.packetsReceived || 0; }
    });
    return found;
}"""
_DEVICES_CHOSEN = """() => {
    const local = window.parley.local, value = (id) => document.getElementById(id).value;
    return !local.camera === (value("camera") === "none")
        && !local.audio === (value("microphone") === "none");
}"""
STOP_SENDING = """async () => {
    for (const peer of window.parley.call.peers.values())
      for (const sender of peer.pc.getSenders()) await sender.replaceTrack(null);
}"""


class Guest:
    """The guest page in one browser tab."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.errors: list[str] = []
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    async def open(self, url: str) -> None:
        await self.page.goto(url)
        await until(lambda: self.page.evaluate(
            "document.querySelector('#camera').options.length > 0"), what="devices listed")

    async def join(self, name: str, camera: str | None = None,
                   microphone: str | None = None) -> str:
        """Join (``"none"`` picks no device); returns the guest's participant id."""
        await self.page.fill("#name", name)
        for select, value in (("#camera", camera), ("#microphone", microphone)):
            if value is not None:
                await self.page.select_option(select, value)
        if camera is not None or microphone is not None:
            await until(lambda: self.page.evaluate(_DEVICES_CHOSEN),
                        what="the devices follow the choice")
        await self.page.click("#join-button")
        await self.page.wait_for_selector("#call:not([hidden])", timeout=10_000)
        pid: str = await self.page.evaluate("window.parley.call.id")
        return pid

    async def peers(self) -> list[dict[str, Any]]:
        peers: list[dict[str, Any]] = await self.page.evaluate(_PEERS)
        return peers

    async def peer(self, pid: str) -> dict[str, Any]:
        return next(p for p in await self.peers() if p["id"] == pid)

    async def connected_to(self, pid: str) -> bool:
        return any(p["id"] == pid and p["state"] == "connected" for p in await self.peers())

    async def inbound(self, pid: str) -> dict[str, float]:
        stats: dict[str, float] = await self.page.evaluate(_INBOUND, pid)
        return stats

    async def video_moves(self, pid: str, samples: int = 4) -> bool:
        """The tile of ``pid`` shows frames that change over ``samples`` x 150 ms."""
        seen = set()
        for _ in range(samples):
            frame = await self.page.evaluate(_FRAME_SUM, pid)
            if frame is None:
                return False
            seen.add(frame[0])
            await asyncio.sleep(0.15)  # sampling a moving picture: the interval is the point
        return len(seen) >= 2

    async def hears(self, pid: str) -> bool:
        """Audio energy from ``pid`` grows (its audio is decoded and played out)."""
        first = await self.inbound(pid)
        await asyncio.sleep(0.5)  # energy is a running total: compare two readings
        second = await self.inbound(pid)
        return bool(first and second and second["audioEnergy"] > first["audioEnergy"] + 1e-4)

    async def visible(self, selector: str) -> bool:
        return await self.page.is_visible(selector)

    async def hidden(self, selector: str) -> bool:
        return await self.page.is_hidden(selector)


class Desktop:
    """A desktop participant: a CallSession with synthetic media, and what it got."""

    STATUS = ("on_session_joined", "on_session_left", "on_session_timed_out",
              "on_connection_lost", "on_connection_restored", "on_connection_closed")
    PARTICIPANT = ("on_participant_joined", "on_participant_left",
                   "on_participant_reconnecting", "on_participant_restored",
                   "on_media_stalled", "on_media_flowing", "on_audio_muted",
                   "on_video_paused", "on_hand_raised", "on_screen_share_started")

    def __init__(self, name: str) -> None:
        self.name = name
        self.session = CallSession()
        self.events: list[tuple[str, str | None, float]] = []
        """(callback, participant id or None, when)."""
        self.lumas: dict[str, list[float]] = {}
        self.last_frame: dict[str, np.ndarray[Any, Any]] = {}
        self.session.add_session_status_listener(SessionStatusListener(
            **{n: self._hook(n) for n in self.STATUS}))
        self.session.add_participant_event_listener(ParticipantEventListener(
            **{n: self._hook(n) for n in self.PARTICIPANT}))
        self.session.add_video_sink(self._frame)

    def _hook(self, name: str) -> Callable[..., None]:
        def fire(*args: Any) -> None:
            pid = getattr(args[0], "id", None) if args else None
            self.events.append((name, pid, time.monotonic()))
        return fire

    def _frame(self, pid: str, frame: VideoFrame) -> None:
        if frame.track != "camera" or pid == self.id:
            return
        luma = frame.frame.to_ndarray(format="gray")[::8, ::8].astype(np.float32)
        previous = self.last_frame.get(pid)
        if previous is not None and previous.shape == luma.shape:
            self.lumas.setdefault(pid, []).append(float(np.mean(np.abs(luma - previous))))
        self.last_frame[pid] = luma

    async def join(self, url: str, room: str, token: str | None = None, **options: Any) -> str:
        await self.session.join_session(room, SessionSettings(self.name, fake_media=True,
                                                              **options), server=url,
                                        token=token)
        return self.id

    @property
    def id(self) -> str:
        local = self.session.local_participant
        return local.id if local else ""

    def names(self, pid: str | None = None) -> list[str]:
        return [n for n, who, _ in self.events if pid is None or who == pid]

    def status(self) -> list[str]:
        return [n for n, _, _ in self.events if n in self.STATUS]

    def sees_moving_video(self, pid: str) -> bool:
        """Frames from ``pid`` that change (the fake camera's moving picture)."""
        return sum(1 for d in self.lumas.get(pid, [])[-20:] if d > 0.5) >= 5

    def hears(self, pid: str) -> bool:
        return self.session.audio_level(pid) > 0.01

    def generation(self, pid: str) -> int:
        return int(self.session.stats()[pid].generation)

    def peer_state(self, pid: str) -> str:
        return str(self.session.stats()[pid].state)


class Proxy:
    """A TCP proxy in front of the call server; :meth:`cut` makes every link through it
    silent (nothing is closed: only heartbeats can tell) and refuses new ones."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self.cut_off = False
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._pumps: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    def cut(self) -> None:
        self.cut_off = True

    def restore(self) -> None:
        """Forward again; the links that were silenced are closed (they are stale)."""
        self.cut_off = False
        for writer in list(self._writers):
            writer.close()
        self._writers.clear()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.cut_off:
            writer.close()
            return
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        pair = {writer, up_writer}
        self._writers |= pair
        for source, sink in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.ensure_future(self._pump(source, sink))
            self._pumps.add(task)
            task.add_done_callback(self._pumps.discard)

    async def _pump(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while data := await source.read(65536):
                if not self.cut_off:
                    sink.write(data)
                    await sink.drain()
        sink.close()

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.close()
        for task in list(self._pumps):
            task.cancel()
        await asyncio.gather(*self._pumps, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
