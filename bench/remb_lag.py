"""Does a starved receiver's event loop look like a queue to aiortc's REMB? (issue 13)

    python -m bench remb_lag
    PARLEY_BENCH_SECONDS=30 python -m bench remb_lag

aiortc stamps a packet's arrival when its loop gets to the packet
(``RTCDtlsTransport`` reads ``clock.current_ms()`` after the datagram has waited in
the socket and in aioice's queue), and its receiver-side estimator
(``aiortc.rate.RemoteBitrateEstimator``, the one ``RTCRtpReceiver`` feeds) reads the
growth of arrival-minus-send as queueing. This drives that estimator, unchanged, with
one video stream on a link that never queues (constant 20 ms delay, the sender well
under the link) and arrival stamps as a loop would take them:

- ``idle``: the stamp is the arrival;
- ``stalls_<ms>``: the loop is held at random times (``STALLS`` a second, each lasting
  an exponential time of mean <ms>, as a process on a 2-core machine at load 10-30 is);
  a packet that arrives while the loop is held is stamped when it is let go, plus a
  per-packet cost of 0.3 ms for those that queued behind it;
- ``<n>ms_every_packet``: no stalls, but every packet holds the loop that long;
- ``queue``: no stalls, but a real bottleneck (the sender at 400 kbit/s into 250 kbit/s),
  to show the estimator does see a real queue.

Per case: the REMB after 5, 10 and 20 s and its minimum after the first estimate, and
the overuse verdicts a second. The same seed for every case.
"""

from __future__ import annotations

import os
import random
from typing import Any

from aiortc.rate import RemoteBitrateEstimator

SECONDS = float(os.environ.get("PARLEY_BENCH_SECONDS", "30"))
STALLS = 8.0
"""Loop stalls a second in the ``stalls_*`` cases."""
COST_MS = 0.3
"""What each packet that waited behind a stall adds to the next one's stamp."""
FPS = 15
PACKET = 1100
DELAY_MS = 20.0


def _abs_send_time(ms: float) -> int:
    """RFC abs-send-time: 6.18 fixed-point seconds, 24 bits (what aiortc's sender sets)."""
    return int(ms / 1000 * (1 << 18)) & 0xFFFFFF


def _sends(rate: int, seconds: float) -> list[tuple[float, int]]:
    """(send time ms, bytes): a frame every 1/FPS s, its packets back to back."""
    out = []
    per_frame = int(rate / 8 / FPS)
    for n in range(int(seconds * FPS)):
        t = n * 1000 / FPS
        left = per_frame
        while left > 0:
            size = min(PACKET, left)
            out.append((t, size))
            left -= size
    return out


def _held(seconds: float, mean_ms: float, rng: random.Random,
          per_second: float) -> list[tuple[float, float]]:
    """(start ms, end ms) of the loop's stalls."""
    out, t = [], 0.0
    while t < seconds * 1000:
        t += rng.expovariate(per_second / 1000)
        length = rng.expovariate(1 / mean_ms)
        out.append((t, t + length))
        t += length
    return out


def run_case(rate: int, link: int | None, stall_ms: float, seed: int = 1,
             stalls_a_second: float = STALLS, cost_ms: float = COST_MS,
             cost_always: bool = False) -> dict[str, Any]:
    """Feed the estimator one case; its REMB over time. ``cost_always``: every packet
    takes the loop ``cost_ms``, not only those that queued behind a stall."""
    rng = random.Random(seed)
    stalls = _held(SECONDS, stall_ms, rng, stalls_a_second) if stall_ms else []
    estimator = RemoteBitrateEstimator()
    link_free = 0.0
    loop_free = 0.0
    stall = 0
    estimates: list[tuple[float, int]] = []
    for sent, size in _sends(rate, SECONDS):
        if link is None:
            arrived = sent + DELAY_MS
        else:  # a FIFO bottleneck
            link_free = max(link_free, sent) + size * 8 / link * 1000
            arrived = link_free + DELAY_MS
        while stall < len(stalls) and stalls[stall][1] < arrived:
            stall += 1
        stamp = arrived
        if stall < len(stalls) and stalls[stall][0] <= arrived:
            stamp = stalls[stall][1]
        if stamp < loop_free:  # queued behind earlier packets the loop is working off
            stamp = loop_free
        loop_free = stamp + cost_ms if cost_always or stamp > arrived else stamp
        remb = estimator.add(arrival_time_ms=int(stamp), abs_send_time=_abs_send_time(sent),
                             payload_size=size, ssrc=1)
        if remb is not None:
            estimates.append((stamp / 1000, remb[0]))

    def at(second: float) -> int | None:
        before = [bitrate for t, bitrate in estimates if t <= second]
        return before[-1] if before else None

    return {"remb_5s": at(5), "remb_10s": at(10), "remb_20s": at(20),
            "remb_end": at(SECONDS), "remb_min": min((b for _, b in estimates), default=None),
            "decreases": sum(1 for (_, a), (_, b) in zip(estimates, estimates[1:], strict=False)
                             if b < 0.95 * a)}


def main() -> dict[str, Any]:
    result: dict[str, Any] = {"sender_bps": 200_000}
    result["idle"] = run_case(200_000, None, 0)
    for mean in (10, 30, 60, 100, 200):
        result[f"stalls_{mean}ms"] = run_case(200_000, None, mean)
        result[f"stalls_{mean}ms_20_a_second"] = run_case(200_000, None, mean,
                                                          stalls_a_second=20)
    result["stalls_100ms_2ms_a_packet"] = run_case(200_000, None, 100, cost_ms=2.0)
    result["4ms_every_packet"] = run_case(200_000, None, 0, cost_ms=4.0, cost_always=True)
    result["queue_400k_into_250k"] = run_case(400_000, 250_000, 0)
    return result
