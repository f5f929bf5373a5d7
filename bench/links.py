"""Parley and Chromium on the same constrained links, in the same run (issue 13).

    python -m bench links        # needs root (network namespaces), ~1 minute a link
    PARLEY_BENCH_LINKS=none,600,250,loss5 python -m bench links
    PARLEY_BENCH_LOGS=/tmp/links python -m bench links    # keep each link's logs

One topology a link (tests/faults/netns.py): the server (and the Chromium pair's
signaling page, bench/_chromium.py) in ``srv``; a Parley pair ``a`` -> ``b``; a
Chromium pair ``ca`` -> ``cb``. The senders' uplinks (``a``, ``ca``) are shaped with
tbf (300 ms buffer) or lose packets at random in the router, the same for both pairs.
Both send the same hard clip (bench/_chromium.py :func:`~bench._chromium.clip`, read
by Parley through PyAV as its camera, by Chromium through
``--use-file-for-fake-video-capture``). The pairs run one after the other (first Parley,
then Chromium, each alone on the 2 cores), each settling before it is measured.

Per pair: received fps (Parley: frames its video sink got; Chromium: getStats
``framesDecoded`` and ``framesReceived`` over the same window), freezes and the time
frozen (Parley: gaps of more than 500 ms between frames; Chromium: its own
``freezeCount`` / ``totalFreezesDuration``, a gap of max(3 x the mean, mean + 150 ms)),
what the sender offered the link (the shaper's counters, for both pairs: sent plus
dropped), Chromium's own ``bytesSent`` and target bitrate, and the lost callbacks Parley
saw. Per link: the Parley / Chromium fps ratio.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.faults.harness import AgentProc, Lab, status
from tests.faults.netns import Topology, unavailable_reason
from tests.faults.shaping import random_loss, shape_uplink, shaper_counts, tx_bytes

from bench._chromium import clip

SETTLE = float(os.environ.get("PARLEY_BENCH_SETTLE", "5"))
SECONDS = float(os.environ.get("PARLEY_BENCH_SECONDS", "15"))
LINKS = os.environ.get("PARLEY_BENCH_LINKS", "none,2000,600,250,150,loss2,loss5,loss10")
"""Comma-separated: ``none`` (unconstrained), a tbf rate in kbit/s, ``loss<percent>``."""
LOGS = os.environ.get("PARLEY_BENCH_LOGS")
"""A folder to keep each link's logs in (the agents', the server's), for post-mortems;
by default they go with a temporary folder."""
FREEZE = 0.5
"""Seconds between two received frames that count as a freeze."""
RELAY_PORT = 8790


def links(spec: str = LINKS) -> list[tuple[str, int | None, float | None]]:
    """(name, kbit/s or None, loss % or None) per link of ``spec``."""
    out: list[tuple[str, int | None, float | None]] = []
    for item in (s.strip() for s in spec.split(",") if s.strip()):
        if item == "none":
            out.append(("unconstrained", None, None))
        elif item.startswith("loss"):
            out.append((f"loss_{item[4:]}pct", None, float(item[4:])))
        else:
            out.append((f"tbf_{item}k", int(item), None))
    return out


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


async def parley_pair(lab: Lab, net: Topology, kbit: int | None, loss: float | None,
                      video: Path) -> dict[str, Any]:
    server = lab.server(net)
    await server.start()
    a, b = lab.agent("a", net), lab.agent("b", net)
    common = ["--server", server.url, "--session", "links", "--reconnect-timeout", "30",
              "--idle-timeout", "0", "--media"]
    await a.start_module("tests.faults.agent", *common, "--name", "a",
                         "--camera", f"file:{video}")
    await b.start_module("tests.faults.agent", *common, "--name", "b",
                         "--video-gap", str(FREEZE))
    a_id = await a.joined()
    await b.joined()
    await b.wait("video", timeout=30, where=lambda e: e["pid"] == a_id)
    if loss is not None:
        random_loss(net, "a", loss)
    await asyncio.sleep(SETTLE)
    frames0, t0 = (await b.report())["frames"].get(a_id, 0), time.monotonic()
    offered = Offered(net, "a", kbit is not None)
    await asyncio.sleep(SECONDS)
    frames = (await b.report())["frames"].get(a_id, 0) - frames0
    seconds = time.monotonic() - t0
    freezes = [e for e in b.matching("video", t0, lambda e: e["pid"] == a_id)
               if e["gap"] is not None]
    frozen = sum(e["gap"] for e in freezes)
    if frames == 0:  # one freeze as long as the window (no frame ended it)
        freezes, frozen = [{}], seconds
    result = {
        "fps": round(frames / seconds, 1),
        "freezes": len(freezes),
        "frozen_s": round(frozen, 1),
        "offered_kbit_s": round(offered.kbit_s()),
        "lost": status(a).count("on_connection_lost") + status(b).count("on_connection_lost"),
        # b's on_video_paused_for_bandwidth / _resumed_ about a, in the window: the
        # tile's "Video paused: slow connection"
        "paused": len(b.matching("on_video_paused_for_bandwidth", t0, lambda e: e["pid"] == a_id)),
        "resumed": len(b.matching("on_video_resumed_for_bandwidth", t0,
                                  lambda e: e["pid"] == a_id)),
        "paused_at_end": _paused(b, a_id),
    }
    for agent in (a, b):
        await agent.exit()
    await server.stop()
    return result


def _paused(b: AgentProc, a_id: str) -> bool:
    last = b.matching(("on_video_paused_for_bandwidth", "on_video_resumed_for_bandwidth"),
                      where=lambda e: e["pid"] == a_id)
    return bool(last) and last[-1]["ev"] == "on_video_paused_for_bandwidth"


def _at(agent: AgentProc, t: float) -> dict[str, Any]:
    """The last stats line ``agent`` printed at or before ``t``."""
    return [e for e in agent.matching("stats") if e["t"] <= t][-1]


async def chromium_pair(lab: Lab, net: Topology, kbit: int | None, loss: float | None,
                        video: Path) -> dict[str, Any]:
    relay = lab.agent("relay", net, host="srv")
    await relay.start_module("bench._chromium", "relay", "--host", net.addr("srv"),
                             "--port", str(RELAY_PORT))
    url = (await relay.wait_any("ready", timeout=20))["url"]
    send, receive = lab.agent("csend", net, host="ca"), lab.agent("crecv", net, host="cb")
    await send.start_module("bench._chromium", "page", "--url", url, "--role", "send",
                            "--profile", str(lab.tmp / "chromium-send"), "--clip", str(video))
    await receive.start_module("bench._chromium", "page", "--url", url, "--role", "receive",
                               "--profile", str(lab.tmp / "chromium-receive"))
    await receive.wait("stats", timeout=40,
                       where=lambda e: (e.get("in") or {}).get("framesDecoded", 0) > 0)
    if loss is not None:
        random_loss(net, "ca", loss)
    await asyncio.sleep(SETTLE)
    t0 = time.monotonic()
    offered = Offered(net, "ca", kbit is not None)
    await asyncio.sleep(SECONDS)
    offered_kbit = offered.kbit_s()
    t1 = time.monotonic()
    r0, r1 = _at(receive, t0), _at(receive, t1)
    s0, s1 = _at(send, t0), _at(send, t1)
    seconds = r1["t"] - r0["t"]
    got0, got1 = r0["in"], r1["in"]
    sent_s = s1["t"] - s0["t"]
    result = {
        "fps": round((got1["framesDecoded"] - got0["framesDecoded"]) / seconds, 1),
        "fps_received": round((got1["framesReceived"] - got0["framesReceived"]) / seconds, 1),
        "freezes": got1["freezeCount"] - got0["freezeCount"],  # Chromium's own rule
        "frozen_s": round(got1["totalFreezesDuration"] - got0["totalFreezesDuration"], 1),
        "offered_kbit_s": round(offered_kbit),
        "sent_kbit_s": round((s1["out"]["bytesSent"] - s0["out"]["bytesSent"]) * 8 / 1000
                             / sent_s),
        "target_kbit_s": round((s1["out"].get("targetBitrate") or 0) / 1000),
        "size": f"{s1['out']['width']}x{s1['out']['height']}",
        "limitation": s1["out"].get("limitation"),
    }
    for agent in (send, receive, relay):
        agent.send("exit")
    for agent in (send, receive, relay):
        await agent.wait("left", timeout=20)
    return result


def _folder() -> contextlib.AbstractContextManager[str]:
    if LOGS is None:
        return tempfile.TemporaryDirectory(prefix="parley-links-", ignore_cleanup_errors=True)
    os.makedirs(LOGS, exist_ok=True)
    return contextlib.nullcontext(tempfile.mkdtemp(prefix="links-", dir=LOGS))


async def one_link(kbit: int | None, loss: float | None, video: Path) -> dict[str, Any]:
    with _folder() as tmp:
        lab = Lab(Path(tmp))
        try:
            net = lab.net(["srv", "a", "b", "ca", "cb"])
            if kbit is not None:
                for host in ("a", "ca"):
                    shape_uplink(net, host, kbit)
            load = round(os.getloadavg()[0], 2)
            parley = await parley_pair(lab, net, kbit, loss, video)
            chromium = await chromium_pair(lab, net, kbit, loss, video)
        finally:
            await lab.close()
    result: dict[str, Any] = {"parley": parley, "chromium": chromium, "load_average": load,
                              "fps_ratio": round(parley["fps"] / chromium["fps"], 2)
                              if chromium["fps"] else None}
    if kbit is not None:
        result["offered_over_link"] = {"parley": round(parley["offered_kbit_s"] / kbit, 2),
                                       "chromium": round(chromium["offered_kbit_s"] / kbit, 2)}
    return result


async def run() -> dict[str, Any]:
    video = clip()
    results: dict[str, Any] = {}
    for name, kbit, loss in links():
        results[name] = await one_link(kbit, loss, video)
        print(f"   {name}: {results[name]}", flush=True)
    results["seconds_measured_each"] = SECONDS
    results["clip"] = video.name
    return results


def main() -> dict[str, Any]:
    reason = unavailable_reason()
    if reason is not None:
        return {"skipped": reason}
    return asyncio.run(run())


if __name__ == "__main__":
    for key, value in main().items():
        print(f"{key}: {value}")
