"""The camera layers through the SFU, in one run: what a subscriber receives of one
publisher on her full and on her low layer, what the low layer adds to her uplink, and
how long a layer switch takes. Ada (synthetic 640x480@30 camera) and Bob (audio only:
he only watches) are CallSessions in this process, through a real call server with
``--sfu always`` in front of a real Janus (Debian's, the shipped configuration).

    python -m bench sfu_layers                 # make bench ARGS=sfu_layers
    PARLEY_BENCH_SECONDS=10 PARLEY_LAYER_SWITCHES=6 python -m bench sfu_layers

Figures:
- ``subscriber_kbps_full`` / ``_low``: everything Bob's subscriber connection receives
  (Ada's audio and one layer of her camera, RTP and RTCP over its transport), kbit/s,
  over a window with her tile large and one with it small; ``low_over_full``: their
  ratio (what a small tile saves);
- ``uplink_kbps_full_layer`` / ``_low_layer`` / ``_audio``: what Ada's publisher sends
  per stream (RTP bytes), over both windows; ``low_layer_share_of_uplink``;
- ``switch_down_ms`` / ``switch_up_ms``: from the UI saying the tile's new size
  (``set_participant_view``) to Bob's first frame of the other size (median, longest),
  each change 4 s after the last, past the choice's 2 s hold.

The RTCPeerConnections are found by kind (the one that sends two video streams is
Ada's publisher; the one that receives video is Bob's subscriber), through aiortc's
public getStats, not the SDK's internals.
"""

from __future__ import annotations

import asyncio
import gc
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from aiortc import RTCPeerConnection
from aiortc.stats import RTCOutboundRtpStreamStats, RTCTransportStats
from tests.sfu.janus import running_janus

from parley.media.frames import VideoFrame
from parley.sdk import CallSession, SessionSettings
from parley.sdk.settings import SessionType
from parley.server import CallServer, ServerConfig

SECONDS = float(os.environ.get("PARLEY_BENCH_SECONDS", "10"))
SWITCHES = int(os.environ.get("PARLEY_LAYER_SWITCHES", "6"))
LARGE, SMALL = (960, 720), (240, 180)
GAP = 4.0
"""Seconds between two changes of the tile (the choice holds a layer 2 s)."""
ROOM = "bench-layers"


def connections() -> list[RTCPeerConnection]:
    return [o for o in gc.get_objects()
            if isinstance(o, RTCPeerConnection) and o.connectionState != "closed"]


def publisher() -> RTCPeerConnection:
    return next(pc for pc in connections()
                if sum(t.kind == "video" and t.currentDirection == "sendonly"
                       for t in pc.getTransceivers()) == 2)


def subscriber() -> RTCPeerConnection:
    return next(pc for pc in connections()
                if any(t.kind == "video" and t.currentDirection == "recvonly"
                       for t in pc.getTransceivers()))


async def counters() -> dict[str, int]:
    """Bytes so far: Bob's subscriber transport in; Ada's publisher out, per stream."""
    out: dict[str, int] = {}
    for stats in (await subscriber().getStats()).values():
        if isinstance(stats, RTCTransportStats):
            out["subscriber"] = out.get("subscriber", 0) + stats.bytesReceived
    videos = [t for t in publisher().getTransceivers() if t.kind == "video"]
    audio = [t for t in publisher().getTransceivers() if t.kind == "audio"]
    # the camera's full layer is offered first, its low layer second (media/sfu.py)
    for key, transceiver in (("full", videos[0]), ("low", videos[1]), ("audio", audio[0])):
        for stats in (await transceiver.sender.getStats()).values():
            if isinstance(stats, RTCOutboundRtpStreamStats):
                out[key] = out.get(key, 0) + stats.bytesSent
    return out


class FirstFrames:
    """When Bob's first frame of each size after a change arrived."""

    def __init__(self, pid: str) -> None:
        self.pid = pid
        self.sizes: list[tuple[float, int, int]] = []
        self.changed = asyncio.Event()

    def sink(self, pid: str, frame: VideoFrame) -> None:
        if pid == self.pid:
            self.sizes.append((time.monotonic(), frame.width, frame.height))
            self.changed.set()

    async def first(self, since: float, small: bool, timeout: float = 10.0) -> float:
        async with asyncio.timeout(timeout):
            while True:
                for at, width, _ in self.sizes:
                    if at >= since and (width <= 320) == small:
                        return at
                self.changed.clear()
                await self.changed.wait()


async def window(bob: CallSession, ada_id: str, size: tuple[int, int]) -> dict[str, float]:
    bob.set_participant_view(ada_id, *size)
    await asyncio.sleep(GAP)  # settle on the layer: a benchmark's window, not a sync
    before, started = await counters(), time.monotonic()
    await asyncio.sleep(SECONDS)  # the measured window
    after, seconds = await counters(), time.monotonic() - started
    return {k: (after.get(k, 0) - before.get(k, 0)) * 8 / 1000 / seconds for k in after}


async def run() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        async with running_janus(Path(tmp) / "janus") as janus:
            config = ServerConfig(port=0, state_dir=Path(tmp) / "state", sfu="always",
                                  janus_urls=(janus.http_url,),
                                  janus_api_secret=janus.api_secret)
            async with CallServer(config) as server:
                ada, bob = CallSession(), CallSession()
                await ada.join_session(ROOM, SessionSettings(
                    "Ada", fake_media=True, start_audio_muted=True), server=server.url)
                await bob.join_session(ROOM, SessionSettings(
                    "Bob", fake_media=True, session_type=SessionType.AUDIO),
                    server=server.url)
                try:
                    assert ada.local_participant is not None
                    return await measure(ada.local_participant.id, bob)
                finally:
                    await bob.leave_session()
                    await ada.leave_session()


async def measure(ada_id: str, bob: CallSession) -> dict[str, Any]:
    frames = FirstFrames(ada_id)
    bob.add_video_sink(frames.sink)
    await frames.first(0.0, small=False, timeout=30)
    full = await window(bob, ada_id, LARGE)
    low = await window(bob, ada_id, SMALL)
    down, up = [], []
    for i in range(SWITCHES):
        small = i % 2 == 0
        asked = time.monotonic()
        bob.set_participant_view(ada_id, *(SMALL if small else LARGE))
        (down if small else up).append((await frames.first(asked, small) - asked) * 1000)
        await asyncio.sleep(GAP)  # past the choice's hold: a pace, not a sync
    uplink = {k: (full.get(k, 0) + low.get(k, 0)) / 2 for k in ("full", "low", "audio")}
    return {
        "subscriber_kbps_full": round(full["subscriber"], 1),
        "subscriber_kbps_low": round(low["subscriber"], 1),
        "low_over_full": round(low["subscriber"] / full["subscriber"], 3),
        "uplink_kbps_full_layer": round(uplink["full"], 1),
        "uplink_kbps_low_layer": round(uplink["low"], 1),
        "uplink_kbps_audio": round(uplink["audio"], 1),
        "low_layer_share_of_uplink": round(uplink["low"] / max(1e-9, sum(uplink.values())), 3),
        "switch_down_ms": [round(statistics.median(down)), round(max(down))],
        "switch_up_ms": [round(statistics.median(up)), round(max(up))],
        "load_average": os.getloadavg()[0],
    }


def main() -> dict[str, Any]:
    return asyncio.run(run())
