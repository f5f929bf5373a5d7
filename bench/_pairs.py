"""The two pairs bench/links.py runs on each link, and the schedule they share.

Each pair: set up, wait for video, settle (:data:`SETTLE`), measure a window
(:data:`SECONDS`); on a link with an outage, then pull the sender's cable for the
outage, put it back and watch :data:`AFTER` seconds more. What each pair reports is
from the frame stamps of its two ends (bench/_frames.py, the same arithmetic for both)
and from its own counters (Parley's callbacks and SDK stats; Chromium's getStats).
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tests.faults.harness import AgentProc, Lab, status
from tests.faults.netns import Topology
from tests.faults.shaping import random_loss, shaper_counts, tx_bytes

from bench import _stamp
from bench._frames import FREEZE, Stamped, Window, back_to, first_after

SETTLE = float(os.environ.get("PARLEY_BENCH_SETTLE", "5"))
SECONDS = float(os.environ.get("PARLEY_BENCH_SECONDS", "15"))
AFTER = float(os.environ.get("PARLEY_BENCH_AFTER", "15"))
"""Seconds watched after an outage ends."""
RELAY_PORT = 8790


@dataclass(frozen=True)
class Link:
    name: str
    kbit: int | None
    """tbf rate of both senders' uplinks (300 ms buffer), None: not shaped."""
    loss: float | None
    """Random loss (%) of what the router forwards from the senders."""
    outage: float | None
    """Seconds the sender's cable is pulled after the measured window."""


@dataclass
class Marks:
    """When the schedule did what, on the wall clock (the stamps') and the monotonic one
    (the agents' events)."""

    start: float = 0.0
    end: float = 0.0
    cut: float | None = None
    restored: float | None = None
    last: float = 0.0
    mono_start: float = 0.0
    mono_end: float = 0.0
    mono_cut: float = 0.0
    mono_restored: float = 0.0


class Offered:
    """What a sender put on its uplink over a window (bytes): the shaper's count, sent
    plus dropped, or the cable's when unshaped."""

    def __init__(self, net: Topology, host: str, shaped: bool) -> None:
        self.net, self.host, self.shaped = net, host, shaped
        self._start = self._now()
        self._t0 = time.monotonic()

    def _now(self) -> int:
        if self.shaped:
            return shaper_counts(self.net, self.host).offered_bytes
        return tx_bytes(self.net, self.host)

    def kbit_s(self) -> float:
        return (self._now() - self._start) * 8 / 1000 / (time.monotonic() - self._t0)


async def _window(marks: Marks) -> None:
    marks.start, marks.mono_start = time.time(), time.monotonic()
    await asyncio.sleep(SECONDS)  # the measured window, not synchronisation
    marks.end, marks.mono_end = time.time(), time.monotonic()


async def _outage(net: Topology, host: str, link: Link, marks: Marks) -> None:
    if link.outage is not None:
        net.cut(host)
        marks.cut, marks.mono_cut = time.time(), time.monotonic()
        await asyncio.sleep(link.outage)  # the outage's length
        net.restore(host)
        marks.restored, marks.mono_restored = time.time(), time.monotonic()
        await asyncio.sleep(AFTER)  # watching the recovery
    marks.last = time.time()


def video(captured: Stamped, received: Stamped, marks: Marks) -> dict[str, Any]:
    """The window's figures, and after an outage how the video came back."""
    window = Window.of(captured, received, marks.start, marks.end)
    out = asdict(window)
    if marks.restored is not None:
        out["after_outage"] = {
            "first_frame_s": first_after(received, marks.restored),
            "back_to_90pct_s": back_to(received, marks.restored, window.intact_fps),
            "window": asdict(Window.of(captured, received, marks.restored, marks.last)),
        }
    return out


# ---------------------------------------------------------------- Parley


def _parley_stamps(a: AgentProc, b: AgentProc, a_id: str) -> tuple[Stamped, Stamped]:
    captured = [(int(n), t) for e in a.matching("stamps") for n, t in e["local"]]
    received = [(int(n), t) for e in b.matching("stamps")
                for n, t in e["remote"].get(a_id, [])]
    return captured, received


def _audio(before: dict[str, Any], after: dict[str, Any], a_id: str) -> dict[str, Any]:
    """Audio intact: frames decoded against the packets that were due (received plus
    lost: 20 ms each), all from the same stats snapshots (which lag by up to a stats
    period, the same at both ends of the window)."""
    (f0, r0, l0), (f1, r1, l1) = (r["audio"].get(a_id, [0, 0, 0]) for r in (before, after))
    packets = (r1 - r0) + (l1 - l0)
    return {"audio_intact": round(min(1.0, (f1 - f0) / packets), 3) if packets > 0 else 0.0,
            "audio_packets_lost": l1 - l0,
            "audio_loss": round((l1 - l0) / packets, 3) if packets > 0 else None}


def _callbacks(a: AgentProc, b: AgentProc, a_id: str, marks: Marks) -> dict[str, Any]:
    """The lost/restored callbacks: all of them, the false ones (outside the outage and
    the 10 s after it), and after an outage when each came."""
    lost = [e["t"] for agent in (a, b) for e in agent.matching("on_connection_lost")]
    reconnecting = [e["t"] for e in b.matching("on_participant_reconnecting",
                                               where=lambda e: e["pid"] == a_id)]

    def false(times: list[float]) -> int:
        if marks.cut is None:
            return len(times)
        return sum(1 for t in times if not marks.mono_cut <= t <= marks.mono_restored + 10)

    out: dict[str, Any] = {"lost": len(lost), "false_lost": false(lost),
                           "false_reconnecting": false(reconnecting)}
    if marks.cut is not None:
        def first(agent: AgentProc, ev: str, after: float, **kw: Any) -> float | None:
            found = agent.matching(ev, after, **kw)
            return round(found[0]["t"] - after, 2) if found else None

        about_a = {"where": lambda e: e["pid"] == a_id}
        out["outage"] = {
            "a_lost_after_cut_s": first(a, "on_connection_lost", marks.mono_cut),
            "a_restored_after_s": first(a, "on_connection_restored", marks.mono_restored),
            "b_saw_a_reconnecting_after_cut_s": first(
                b, "on_participant_reconnecting", marks.mono_cut, **about_a),
            "b_saw_a_restored_after_s": first(b, "on_participant_restored",
                                              marks.mono_restored, **about_a),
        }
    return out


async def parley_pair(lab: Lab, net: Topology, link: Link, clip: Path) -> dict[str, Any]:
    server = lab.server(net)
    await server.start()
    a, b = lab.agent("a", net), lab.agent("b", net)
    common = ["--server", server.url, "--session", "links", "--reconnect-timeout", "30",
              "--idle-timeout", "0", "--media"]
    await a.start_module("bench._stamp_agent", *common, "--name", "a",
                         "--camera", f"file:{clip}")
    await b.start_module("bench._stamp_agent", *common, "--name", "b",
                         "--video-gap", str(FREEZE))
    a_id = await a.joined()
    await b.joined()
    await b.wait("video", timeout=30, where=lambda e: e["pid"] == a_id)
    if link.loss is not None:
        random_loss(net, "a", link.loss)
    await asyncio.sleep(SETTLE)  # the call settles before it is measured
    marks = Marks()
    before = await b.report()
    offered = Offered(net, "a", link.kbit is not None)
    await _window(marks)
    offered_kbit = offered.kbit_s()
    after = await b.report()
    await _outage(net, "a", link, marks)
    for agent in (a, b):
        await agent.exit()
    await server.stop()
    captured, received = _parley_stamps(a, b, a_id)
    return {
        **video(captured, received, marks),
        **_audio(before, after, a_id),
        "offered_kbit_s": round(offered_kbit),
        **_callbacks(a, b, a_id, marks),
        "status_a": status(a), "status_b": status(b),
        # b's on_video_paused_for_bandwidth / _resumed_ about a, from the window on: the
        # tile's "Video paused: slow connection"
        "paused": len(b.matching("on_video_paused_for_bandwidth", marks.mono_start,
                                 lambda e: e["pid"] == a_id)),
        "resumed": len(b.matching("on_video_resumed_for_bandwidth", marks.mono_start,
                                  lambda e: e["pid"] == a_id)),
        "paused_at_end": _paused(b, a_id),
    }


def _paused(b: AgentProc, a_id: str) -> bool:
    last = b.matching(("on_video_paused_for_bandwidth", "on_video_resumed_for_bandwidth"),
                      where=lambda e: e["pid"] == a_id)
    return bool(last) and last[-1]["ev"] == "on_video_paused_for_bandwidth"


# ---------------------------------------------------------------- Chromium


def _at(agent: AgentProc, t: float) -> dict[str, Any]:
    """The last stats line ``agent`` printed at or before ``t``."""
    return [e for e in agent.matching("stats") if e["t"] <= t][-1]


def _page_stamps(page: AgentProc) -> Stamped:
    out = []
    for e in page.matching("stats"):
        for raw, ms in e.get("stamps", []):
            found = _stamp.number(int(raw)) if raw >= 0 else None
            out.append((-1 if found is None else found, ms / 1000))
    return out


def _page_audio(r0: dict[str, Any], r1: dict[str, Any]) -> dict[str, Any]:
    a0, a1 = r0.get("audio") or {}, r1.get("audio") or {}
    samples = (a1.get("totalSamplesReceived") or 0) - (a0.get("totalSamplesReceived") or 0)
    concealed = (a1.get("concealedSamples") or 0) - (a0.get("concealedSamples") or 0)
    lost = (a1.get("packetsLost") or 0) - (a0.get("packetsLost") or 0)
    packets = (a1.get("packetsReceived") or 0) - (a0.get("packetsReceived") or 0) + lost
    return {"audio_intact": round(1 - concealed / samples, 3) if samples > 0 else 0.0,
            "audio_packets_lost": lost,
            "audio_loss": round(lost / packets, 3) if packets > 0 else None}


async def chromium_pair(lab: Lab, net: Topology, link: Link, clip: Path) -> dict[str, Any]:
    relay = lab.agent("relay", net, host="srv")
    await relay.start_module("bench._chromium", "relay", "--host", net.addr("srv"),
                             "--port", str(RELAY_PORT))
    url = (await relay.wait_any("ready", timeout=20))["url"]
    send, receive = lab.agent("csend", net, host="ca"), lab.agent("crecv", net, host="cb")
    await send.start_module("bench._chromium", "page", "--url", url, "--role", "send",
                            "--profile", str(lab.tmp / "chromium-send"), "--clip", str(clip))
    await receive.start_module("bench._chromium", "page", "--url", url, "--role", "receive",
                               "--profile", str(lab.tmp / "chromium-receive"))
    await receive.wait("stats", timeout=40,
                       where=lambda e: (e.get("in") or {}).get("framesDecoded", 0) > 0)
    if link.loss is not None:
        random_loss(net, "ca", link.loss)
    await asyncio.sleep(SETTLE)  # the call settles before it is measured
    marks = Marks()
    offered = Offered(net, "ca", link.kbit is not None)
    await _window(marks)
    offered_kbit = offered.kbit_s()
    await _outage(net, "ca", link, marks)
    await asyncio.sleep(1.2)  # the last stamps (they come with each stats line)
    r0, r1 = _at(receive, marks.mono_start), _at(receive, marks.mono_end)
    s0, s1 = _at(send, marks.mono_start), _at(send, marks.mono_end)
    seconds, sent_s = r1["t"] - r0["t"], s1["t"] - s0["t"]
    got0, got1 = r0["in"], r1["in"]
    result = {
        **video(_page_stamps(send), _page_stamps(receive), marks),
        **_page_audio(r0, r1),
        "fps_decoded": round((got1["framesDecoded"] - got0["framesDecoded"]) / seconds, 1),
        "fps_received": round((got1["framesReceived"] - got0["framesReceived"]) / seconds, 1),
        # Chromium's own freeze rule: a gap of max(3 x the mean, mean + 150 ms)
        "own_freezes": got1["freezeCount"] - got0["freezeCount"],
        "own_frozen_s": round(got1["totalFreezesDuration"] - got0["totalFreezesDuration"], 1),
        "offered_kbit_s": round(offered_kbit),
        "sent_kbit_s": round((s1["out"]["bytesSent"] - s0["out"]["bytesSent"]) * 8 / 1000
                             / sent_s),
        "target_kbit_s": round((s1["out"].get("targetBitrate") or 0) / 1000),
        "size": f"{s1['out']['width']}x{s1['out']['height']}",
        "limitation": s1["out"].get("limitation"),
        "states": sorted({str(e.get("state")) for e in receive.matching("stats",
                                                                         marks.mono_start)}),
    }
    for agent in (send, receive, relay):
        agent.send("exit")
    for agent in (send, receive, relay):
        await agent.wait("left", timeout=20)
    return result
