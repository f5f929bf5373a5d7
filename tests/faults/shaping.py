"""Constrained links on the fault rig (tests/faults/netns.py): a host's uplink shaped
with ``tc tbf`` (a home upload: a rate and a 300 ms buffer), random loss with
``iptables -m statistic`` in the router namespace, and what the shaper saw.

Only addresses inside the rig's own namespaces are ever touched; the namespaces (and
with them every qdisc and rule here) go when the topology is destroyed.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass

from tests.faults.netns import NetnsError, Topology

BUFFER_MS = 300
"""tbf's queue, as latency: what a home router's upload buffer typically holds."""


def _run(cmd: list[str]) -> str:
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
    if done.returncode != 0:
        raise NetnsError(f"{' '.join(cmd)}: {done.stderr.strip()}")
    return done.stdout


def shape_uplink(net: Topology, host: str, kbit: int, buffer_ms: int = BUFFER_MS) -> None:
    """Shape everything ``host`` sends to ``kbit`` kbit/s (tbf, ``buffer_ms`` queue)."""
    burst = max(2048, kbit * 1000 // 8 // 50)  # 20 ms worth, at least a few packets
    _run([*net.exec_prefix(host), "tc", "qdisc", "replace", "dev", "eth0", "root", "tbf",
          "rate", f"{kbit}kbit", "burst", str(burst), "latency", f"{buffer_ms}ms"])


def unshape(net: Topology, host: str) -> None:
    _run([*net.exec_prefix(host), "tc", "qdisc", "del", "dev", "eth0", "root"])


def random_loss(net: Topology, host: str, percent: float, *, end: bool = False) -> None:
    """Drop ``percent`` % of what the router forwards from ``host``, at random (``end``:
    take that rule away again)."""
    _run(["ip", "netns", "exec", net.router, "iptables", "-D" if end else "-A", "FORWARD",
          "-s", net.addr(host), "-m", "statistic", "--mode", "random", "--probability",
          f"{percent / 100:.4f}", "-j", "DROP"])


@dataclass(frozen=True)
class Shaped:
    """What a host's shaper counted: sent by the link, dropped at its queue."""

    sent_bytes: int
    sent_packets: int
    dropped_packets: int

    @property
    def offered_bytes(self) -> int:
        """What the host tried to send: sent, plus the drops at the mean packet size."""
        mean = self.sent_bytes / self.sent_packets if self.sent_packets else 0
        return int(self.sent_bytes + self.dropped_packets * mean)

    def __sub__(self, other: Shaped) -> Shaped:
        return Shaped(self.sent_bytes - other.sent_bytes,
                      self.sent_packets - other.sent_packets,
                      self.dropped_packets - other.dropped_packets)


def shaper_counts(net: Topology, host: str) -> Shaped:
    """The root qdisc's counters on ``host``'s uplink."""
    out = json.loads(_run([*net.exec_prefix(host), "tc", "-s", "-j", "qdisc", "show",
                           "dev", "eth0", "root"]))
    q = out[0]
    return Shaped(int(q["bytes"]), int(q["packets"]), int(q.get("drops", 0)))


def tx_bytes(net: Topology, host: str) -> int:
    """Bytes ``host`` has sent on its cable (after any shaper)."""
    out = json.loads(_run([*net.exec_prefix(host), "ip", "-s", "-j", "link", "show",
                           "eth0"]))
    return int(out[0]["stats64"]["tx"]["bytes"])
