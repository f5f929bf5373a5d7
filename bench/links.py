"""A Parley pair on constrained links (issue 13): the fault rig's namespaces, one
participant's uplink shaped with tbf (300 ms buffer) or its packets dropped at random
in the router, a synthetic 640x480@30 camera.

    python -m bench links        # needs root (network namespaces), ~3 minutes

Per link: the frame rate b receives from a, what a offers against the link rate, and
the lost callbacks either side saw (false lost: the link always delivers). Not yet
here: the Chromium pair baseline, glass-to-glass and freezes (docs/performance.md).
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.faults.harness import Lab, start_call, status
from tests.faults.netns import unavailable_reason
from tests.faults.shaping import random_loss, shape_uplink, shaper_counts, tx_bytes

SETTLE = float(os.environ.get("PARLEY_BENCH_SETTLE", "5"))
SECONDS = float(os.environ.get("PARLEY_BENCH_SECONDS", "15"))
SHAPED = (2000, 600, 250, 150)
"""kbit/s."""
LOSSES = (2.0, 5.0, 10.0)
"""Percent."""


async def one_link(kbit: int | None, loss: float | None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="parley-links-") as tmp:
        lab = Lab(Path(tmp))
        try:
            net = lab.net(["srv", "a", "b"])
            if kbit is not None:
                shape_uplink(net, "a", kbit)
            _server, (a, b) = await start_call(lab, net, ["a", "b"], media=True)
            await b.wait("video", timeout=30, where=lambda e: e["pid"] == a.pid)
            if loss is not None:
                random_loss(net, "a", loss)
            await asyncio.sleep(SETTLE)
            frames0 = (await b.report())["frames"].get(a.pid, 0)
            bytes0, t0 = tx_bytes(net, "a"), time.monotonic()
            shaped0 = shaper_counts(net, "a") if kbit is not None else None
            await asyncio.sleep(SECONDS)
            seconds = time.monotonic() - t0
            frames = (await b.report())["frames"].get(a.pid, 0) - frames0
            if shaped0 is not None:
                offered = (shaper_counts(net, "a") - shaped0).offered_bytes
            else:
                offered = tx_bytes(net, "a") - bytes0
            offered_kbit = offered * 8 / 1000 / seconds
            result: dict[str, Any] = {
                "fps_received": round(frames / seconds, 1),
                "offered_kbit_s": round(offered_kbit),
                "lost_a": status(a).count("on_connection_lost"),
                "lost_b": status(b).count("on_connection_lost"),
            }
            if kbit is not None:
                result["offered_over_link"] = round(offered_kbit / kbit, 2)
            return result
        finally:
            await lab.close()


async def run() -> dict[str, Any]:
    results: dict[str, Any] = {}
    for kbit in SHAPED:
        results[f"tbf_{kbit}k"] = await one_link(kbit, None)
    for loss in LOSSES:
        results[f"loss_{loss:g}pct"] = await one_link(None, loss)
    results["load_average"] = round(os.getloadavg()[0], 2)
    results["seconds_measured_each"] = SECONDS
    return results


def main() -> dict[str, Any]:
    reason = unavailable_reason()
    if reason is not None:
        return {"skipped": reason}
    return asyncio.run(run())


if __name__ == "__main__":
    for key, value in main().items():
        print(f"{key}: {value}")
