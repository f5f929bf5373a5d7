"""Replay what a receiver's estimator was fed, with the loop's or the kernel's arrival times.

    python -m bench.remb_replay <agent log> <capture.pcap>    # not part of `python -m bench`

The evidence behind ``media/arrival.py`` (issue 13). Inputs, from one
``python -m bench links`` run:

- the receiving agent's log with ``PARLEY_REMB_LOG=1`` (``PARLEY_BENCH_LOGS=<dir>``
  keeps it): a ``remb pkt`` line per video packet fed to the estimator, with the arrival
  time it was given, the abs-send-time and the payload size;
- a packet capture in the receiver's namespace over the same minutes, e.g.
  ``ip netns exec pf<pid>x<n>-b tcpdump -U -i eth0 -s 96 -w b.pcap udp`` (Debian's
  ``tcpdump``; the namespaces are tests/faults/netns.py's). Its times are the kernel's.
  SRTP leaves the RTP header and its extensions in the clear.

Each logged packet is matched to its captured copy by SSRC and abs-send-time. Printed:
how far the arrival time the estimator got was from the kernel's (percentiles, ms),
and aiortc's ``RemoteBitrateEstimator`` (unchanged) run over the same packets twice,
with the arrival times as logged and with the kernel's: the estimate every 2 s, its
least, and how many REMBs it sent while its detector said *overusing*.
"""

from __future__ import annotations

import collections
import re
import statistics
import struct
import sys
from pathlib import Path
from typing import Any

from aiortc.rate import RemoteBitrateEstimator

NTP_EPOCH_MS = 2_208_988_800_000
"""aiortc's clock counts ms from 1900; a capture's, from 1970."""
PACKET = re.compile(r"remb pkt ssrc=(\d+) arr=(\d+) ast=(\d+) size=(\d+)")


def captured(path: Path) -> list[tuple[float, int, int]]:
    """(kernel ms since 1900, SSRC, abs-send-time) of each RTP packet of a pcap that
    carries a 3-byte one-byte header extension (abs-send-time)."""
    out = []
    data = path.read_bytes()
    nano = struct.unpack("<I", data[:4])[0] == 0xA1B23C4D
    link = 14 if struct.unpack("<I", data[20:24])[0] == 1 else 16  # Ethernet, or cooked
    at = 24
    while at + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack("<IIII", data[at:at + 16])
        frame = data[at + 16:at + 16 + incl]
        at += 16 + incl
        ip = frame[link:]
        if len(ip) < 28 or ip[9] != 17:
            continue
        rtp = ip[(ip[0] & 15) * 4 + 8:]
        if len(rtp) < 16 or rtp[0] >> 6 != 2 or not rtp[0] & 0x10 or 64 <= rtp[1] & 0x7F <= 95:
            continue
        ssrc = struct.unpack(">I", rtp[8:12])[0]
        at_ext = 12 + 4 * (rtp[0] & 15)
        profile, words = struct.unpack(">HH", rtp[at_ext:at_ext + 4])
        i, end = at_ext + 4, min(len(rtp), at_ext + 4 + 4 * words)
        while profile == 0xBEDE and i < end:
            if rtp[i] == 0:
                i += 1
                continue
            length = (rtp[i] & 15) + 1
            if length == 3:
                ms = (sec + frac / (1e9 if nano else 1e6)) * 1000 + NTP_EPOCH_MS
                out.append((ms, ssrc, int.from_bytes(rtp[i + 1:i + 4], "big")))
                break
            i += 1 + length
    return out


def joined(log: Path, pcap: Path) -> list[dict[str, Any]]:
    """The logged packets, each with its kernel time."""
    logged = [tuple(map(int, m.groups())) for m in map(PACKET.search, log.open(errors="replace"))
              if m]
    kernel: dict[tuple[int, int], list[float]] = collections.defaultdict(list)
    for ms, ssrc, ast in captured(pcap):
        kernel[(ssrc, ast)].append(ms)
    rows = []
    for ssrc, arrival, ast, size in logged:
        times = kernel.get((ssrc, ast))
        if times:
            rows.append({"ssrc": ssrc, "loop": arrival, "kernel": times.pop(0), "ast": ast,
                         "size": size})
    return rows


def replay(rows: list[dict[str, Any]], key: str) -> str:
    est = RemoteBitrateEstimator()
    start, next_at, seen, overusing, least = rows[0]["kernel"], 0.0, [], 0, None
    for row in sorted(rows, key=lambda r: r[key]):
        out = est.add(int(row[key]), row["ast"], row["size"], row["ssrc"])
        if out is None:
            continue
        least = out[0] if least is None else min(least, out[0])
        overusing += est.detector.state().name == "OVERUSING"
        if (row[key] - start) / 1000 >= next_at:
            seen.append(f"{(row[key] - start) / 1000:4.1f}s {out[0] // 1000}k")
            next_at += 2
    return f"{' '.join(seen)} | least {(least or 0) // 1000}k, overusing REMBs {overusing}"


def report(log: str, pcap: str) -> None:
    rows = joined(Path(log), Path(pcap))
    if len(rows) < 2:
        print("no packets matched")
        return
    late = [r["loop"] - r["kernel"] for r in rows]
    lags = statistics.quantiles(late, n=100)
    print(f"{len(rows)} packets; arrival time given - kernel's (ms): p50 {lags[49]:.1f} "
          f"p90 {lags[89]:.1f} p99 {lags[98]:.1f} max {max(late):.1f}")
    print("as given:", replay(rows, "loop"))
    print("kernel's:", replay(rows, "kernel"))


if __name__ == "__main__":
    report(*sys.argv[1:3])
