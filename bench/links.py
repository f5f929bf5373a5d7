"""Parley and Chromium on the same constrained links, in the same run (issue 13).

    python -m bench links        # needs root (network namespaces), ~1 minute a link
    PARLEY_BENCH_LINKS=none,600,250,loss5,outage10,450+outage2 python -m bench links
    PARLEY_BENCH_LOGS=/tmp/links python -m bench links    # keep each link's logs
    PARLEY_BENCH_DUMP=/tmp/broken python -m bench links   # the first unreadable frames, PNG

One topology a link (tests/faults/netns.py): the server (and the Chromium pair's
signaling page, bench/_chromium.py) in ``srv``; a Parley pair ``a`` -> ``b``; a
Chromium pair ``ca`` -> ``cb``. The senders' uplinks (``a``, ``ca``) are shaped with
tbf (300 ms buffer), lose packets at random in the router, or have their cable pulled
for a while (an outage), the same for both pairs. Both send the same hard clip
(bench/_clip.py, each frame stamped with its number), read by Parley through PyAV as
its camera, by Chromium through ``--use-file-for-fake-video-capture``. The pairs run one
after the other (first Parley, then Chromium, each alone on the 2 cores), each settling
before it is measured (bench/_pairs.py).

Per pair, over the window, from the frame stamps read at both ends (bench/_frames.py,
the same for both pairs): frames arrived a second, glass-to-glass p50 / p95 (capture to
arrival of the same frame), freezes (gaps over 500 ms) a minute and the time frozen;
audio intact (Parley: audio frames decoded against the packets due, received or lost;
Chromium: 1 - ``concealedSamples`` / ``totalSamplesReceived``) and audio packets lost;
what the
sender offered the link (the shaper's counters, for both pairs: sent plus dropped).
Parley: the lost and reconnecting callbacks (false ones: outside an outage), the
pause / resume events. Chromium: getStats ``framesDecoded`` a second (the fps the
ratio uses, as before), its own freeze count, ``bytesSent``, target, size. After an
outage: the first intact frame (its stamp read) after the cable is back, the time until
2 s run at 90 % of the window's intact frame rate, and (Parley) when the lost /
restored callbacks came. A frame whose stamp cannot be read is not intact: a decoder
fed a frame whose reference was lost puts out garbage there (Parley's "intact fps").
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any

from tests.faults.harness import Lab
from tests.faults.netns import unavailable_reason
from tests.faults.shaping import shape_uplink

from bench._clip import clip
from bench._pairs import SECONDS, Link, chromium_pair, parley_pair

LINKS = os.environ.get(
    "PARLEY_BENCH_LINKS", "none,2000,600,250,150,loss2,loss5,loss10,outage10,450+outage2")
"""Comma-separated: ``none`` (unconstrained), a tbf rate in kbit/s, ``loss<percent>``,
``outage<seconds>``, or a tbf rate and an outage (``450+outage2``)."""
LOGS = os.environ.get("PARLEY_BENCH_LOGS")
"""A folder to keep each link's logs in (the agents', the server's), for post-mortems;
by default they go with a temporary folder."""


def links(spec: str = LINKS) -> list[Link]:
    """The links of ``spec``."""
    out = []
    for item in (s.strip() for s in spec.split(",") if s.strip()):
        kbit = loss = outage = None
        names = []
        for part in item.split("+"):
            if part == "none":
                names.append("unconstrained")
            elif part.startswith("loss"):
                loss = float(part[4:])
                names.append(f"loss_{part[4:]}pct")
            elif part.startswith("outage"):
                outage = float(part[6:])
                names.append(f"outage_{part[6:]}s")
            else:
                kbit = int(part)
                names.append(f"tbf_{part}k")
        out.append(Link("+".join(names), kbit, loss, outage))
    return out


def _folder() -> contextlib.AbstractContextManager[str]:
    if LOGS is None:
        return tempfile.TemporaryDirectory(prefix="parley-links-", ignore_cleanup_errors=True)
    os.makedirs(LOGS, exist_ok=True)
    return contextlib.nullcontext(tempfile.mkdtemp(prefix="links-", dir=LOGS))


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a is not None and b else None


async def one_link(link: Link, video: Path) -> dict[str, Any]:
    with _folder() as tmp:
        lab = Lab(Path(tmp))
        try:
            net = lab.net(["srv", "a", "b", "ca", "cb"])
            if link.kbit is not None:
                for host in ("a", "ca"):
                    shape_uplink(net, host, link.kbit)
            load = round(os.getloadavg()[0], 2)
            parley = await parley_pair(lab, net, link, video)
            chromium = await chromium_pair(lab, net, link, video)
            load_after = round(os.getloadavg()[0], 2)
        finally:
            await lab.close()
    result: dict[str, Any] = {
        "parley": parley, "chromium": chromium, "load_average": [load, load_after],
        "fps_ratio": _ratio(parley["fps"], chromium["fps_decoded"]),
        "g2g_p95_ratio": _ratio(parley["g2g_p95_ms"], chromium["g2g_p95_ms"]),
    }
    if link.kbit is not None:
        result["offered_over_link"] = {
            "parley": round(parley["offered_kbit_s"] / link.kbit, 2),
            "chromium": round(chromium["offered_kbit_s"] / link.kbit, 2)}
    return result


async def run() -> dict[str, Any]:
    video = clip()
    results: dict[str, Any] = {}
    for link in links():
        results[link.name] = await one_link(link, video)
        print(f"   {link.name}: {results[link.name]}", flush=True)
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
