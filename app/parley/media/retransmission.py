"""Retransmission policy, pure (no aiortc, no clock of its own): :class:`NackLimiter`
for a receiver, :class:`RetransmitBudget` for a sender. :mod:`.rtx` puts them into
aiortc; see there for why and where.

Both log their counters every :data:`LOG_EVERY` seconds, as the diagnosis of lossy links
needs them (docs/performance.md, *Retransmission on lossy links*): the sender
(``retransmissions: N sent, M refused ...``) splits its refusals into duplicates and
over budget and says how often its recent packets were asked for; the receiver
(``nacks: ...``, :class:`NackStats`) how many NACKed packets came back, after how many
NACKs, the time from the first NACK to the arrival (p50/p90/max), the give-ups, and
those given up on that arrived after all (given up too soon).
"""

from __future__ import annotations

import logging
from collections import Counter

logger = logging.getLogger(__name__)

MAX_NACKS = 3
"""Times one missing packet is NACKed before the receiver gives up on it."""
PLI_SPACING = 1.0
"""Seconds between two PLIs a receiver sends for one stream."""
BUDGET_SHARE = 0.2
"""Retransmissions may use this share of the target rate."""
BUDGET_BURST = 0.5
"""... saved up over at most this many seconds."""
PACKET_BYTES = 1200
"""What one retransmission is counted as (aiortc's packets are at most 1300 bytes)."""
DEFAULT_RTT = 0.1
"""Seconds, until receiver reports measured one."""
MIN_RTT = 0.02
"""The least spacing of two NACKs of one packet, whatever RTT the reports measure.
(50 ms was tried, 2026-12-01: at 5 % and 10 % loss in `make bench ARGS=links` it changed
neither the give-ups nor the intact frame rate, and doubled the glass-to-glass median at
10 %, the jitter buffer waiting longer for each lost packet; kept at 20 ms. Round seven
measured the time from a first NACK to its retransmission's arrival, once they did
arrive: 1 ms median, 1–2 ms p90 at 5 % loss on a loaded 2-core machine, so a spacing
taken from it would sit at this floor.)"""
DEDUP_MIN = 0.01
"""The least window in which a sender takes a second request for one packet as a
duplicate of the first. It must stay under the receiver's :data:`MIN_RTT` spacing: with
both at one value, a re-NACK sent one spacing later, whose first NACK took longer to reach
the sender than it did, fell inside the window and was refused (22 of 144 requests at 5 %
loss in `make bench ARGS=links`), and the packet was given up on."""
LOG_EVERY = 5.0
"""Seconds between two diagnostic log lines of a sender's or receiver's counters."""


class NackLimiter:
    """A receiver's NACK policy for one stream: bounded, spaced by RTT, then a PLI."""

    def __init__(self, max_nacks: int = MAX_NACKS, pli_spacing: float = PLI_SPACING) -> None:
        self.max_nacks = max_nacks
        self.pli_spacing = pli_spacing
        self._sent: dict[int, tuple[int, float, float]] = {}
        """seq -> (times NACKed, last NACK, first NACK)"""
        self._given_up: set[int] = set()
        self.stats = NackStats()
        self.abandoned: list[int] = []
        """Packets given up on since the receiver last took them (to fill their hole)."""
        self._last_pli = -1e9
        self._logged = -1e9
        self.nacks_sent = 0
        self.plis_sent = 0
        self.recovered = 0
        """NACKed packets that arrived (retransmitted), since the start."""
        self.given_up = 0
        """Packets given up on (each filled, and a keyframe asked for), since the start."""

    @property
    def waiting(self) -> bool:
        """Some missing packet may still be NACKed (or given up on) later."""
        return bool(self._sent)

    def filter(self, missing: list[int], now: float, rtt: float) -> tuple[list[int], bool]:
        """Of the packets aiortc counts missing, those to NACK now; and whether to
        send a PLI (a packet was given up on, and the last PLI is old enough)."""
        if now - self._logged >= LOG_EVERY:
            self._logged = now
            logger.info("nacks: %d sent, %d plis, %d missing now, rtt %.0f ms; %s",
                        self.nacks_sent, self.plis_sent, len(missing), rtt * 1000,
                        self.stats.report())
        current = set(missing)
        for seq in [s for s in self._sent if s not in current]:
            del self._sent[seq]  # arrived, or aiortc stopped tracking it
        self._given_up &= current
        for seq in missing:
            if seq not in self._given_up and seq not in self._sent:
                self._sent[seq] = (0, -1e9, -1e9)
        return self.due(now, rtt)

    def arrived(self, seq: int, now: float) -> None:
        """A packet (or its retransmission) arrived."""
        entry = self._sent.pop(seq, None)
        if entry is not None and entry[0] > 0:
            self.recovered += 1
            self.stats.recovered(entry[0], now - entry[2])
        elif entry is None:
            self.stats.late(seq, now)

    def due(self, now: float, rtt: float) -> tuple[list[int], bool]:
        """The tracked packets to NACK (again) now, and whether to send a PLI. aiortc
        only NACKs when a new gap appears; at a low packet rate that may be seconds,
        so the receiver also asks this a round trip after each NACK."""
        spacing = max(rtt, MIN_RTT)
        to_nack, gave_up = [], False
        for seq, (times, last, first) in list(self._sent.items()):
            if now - last < spacing:
                continue
            if times >= self.max_nacks:  # the last retransmission had its round trip
                del self._sent[seq]
                self._given_up.add(seq)
                self.abandoned.append(seq)
                self.given_up += 1
                self.stats.gave_up(seq, first)
                gave_up = True
                continue
            self._sent[seq] = (times + 1, now, now if times == 0 else first)
            to_nack.append(seq)
        self.nacks_sent += len(to_nack)
        return to_nack, gave_up and self.pli_allowed(now)

    def pli_allowed(self, now: float) -> bool:
        """Whether a PLI may go now (and count it as sent if so)."""
        if now - self._last_pli < self.pli_spacing:
            return False
        self._last_pli = now
        self.plis_sent += 1
        return True


class RetransmitBudget:
    """A sender's retransmission policy: de-duplicated within an RTT, capped at a share
    of the target rate (a token bucket of bytes)."""

    def __init__(self, share: float = BUDGET_SHARE, burst: float = BUDGET_BURST) -> None:
        self.share = share
        self.burst = burst
        self._last: dict[int, float] = {}
        self._tokens = 0.0
        self._filled_at: float | None = None
        self.allowed = 0
        self.refused = 0
        self.duplicates = 0
        """Of :attr:`refused`: requests within the duplicate window."""
        self.over_budget = 0
        """Of :attr:`refused`: requests the token bucket had no room for."""
        self.requests: Counter[int] = Counter()
        """Recent requests per sequence number (diagnostics: how often each is asked)."""

    def admit(self, lost: list[int], now: float, rtt: float, target: int) -> list[int]:
        """The requested sequence numbers to retransmit now."""
        rate = self.share * target / 8  # bytes per second
        if self._filled_at is not None:
            self._tokens = min(rate * self.burst, self._tokens + rate * (now - self._filled_at))
        else:
            self._tokens = rate * self.burst
        self._filled_at = now
        spacing = max(rtt, DEDUP_MIN)
        for seq in [s for s, t in self._last.items() if now - t >= spacing]:
            del self._last[seq]
        admitted = []
        for seq in lost:
            self.requests[seq] += 1
            if seq in self._last:
                self.refused += 1
                self.duplicates += 1
                continue  # a duplicate: its retransmission is still on its way
            if self._tokens < PACKET_BYTES:
                self.refused += 1
                self.over_budget += 1
                continue
            self._tokens -= PACKET_BYTES
            self._last[seq] = now
            admitted.append(seq)
        self.allowed += len(admitted)
        if len(self.requests) > 2 * KEEP:
            self.requests = Counter(dict(list(self.requests.items())[-KEEP:]))
        return admitted

    def report(self) -> str:
        """The refusals split, and how many times the recent packets were asked for."""
        asked = Counter(min(n, 4) for n in self.requests.values())
        return (f"{self.duplicates} duplicate, {self.over_budget} over budget; packets asked "
                f"1x {asked[1]}, 2x {asked[2]}, 3x {asked[3]}, 4x+ {asked[4]}")


KEEP = 256
"""Recent packets whose diagnostics a sender or receiver keeps."""


class NackStats:
    """A receiver's diagnostics of its NACKs, reset at each :meth:`report`: per recovered
    packet, the time from its first NACK to its arrival and how many NACKs it took; the
    packets given up on, and those of them that arrived after all (given up too soon)."""

    def __init__(self) -> None:
        self.by_nacks: Counter[int] = Counter()
        self.delays: list[float] = []
        self.given_up = 0
        self.arrived_late = 0
        self.late_delays: list[float] = []
        self._abandoned: dict[int, float] = {}  # seq -> its first NACK

    def recovered(self, nacks: int, delay: float) -> None:
        self.by_nacks[nacks] += 1
        self.delays.append(delay)

    def gave_up(self, seq: int, first_nack: float) -> None:
        self.given_up += 1
        self._abandoned[seq] = first_nack
        if len(self._abandoned) > KEEP:
            del self._abandoned[next(iter(self._abandoned))]

    def late(self, seq: int, now: float) -> None:
        first = self._abandoned.pop(seq, None)
        if first is not None:
            self.arrived_late += 1
            self.late_delays.append(now - first)

    def report(self) -> str:
        def ms(values: list[float]) -> str:
            if not values:
                return "-"
            ordered = sorted(values)
            pick = [ordered[int(q * (len(ordered) - 1))] for q in (0.5, 0.9)] + [ordered[-1]]
            return "/".join(f"{v * 1000:.0f}" for v in pick)
        line = (f"recovered {sum(self.by_nacks.values())} (after 1/2/3+ nacks "
                f"{self.by_nacks[1]}/{self.by_nacks[2]}/"
                f"{sum(n for k, n in self.by_nacks.items() if k >= 3)}), first nack to "
                f"arrival p50/p90/max {ms(self.delays)} ms; given up {self.given_up}, "
                f"{self.arrived_late} arrived later ({ms(self.late_delays)} ms)")
        self.by_nacks.clear()
        self.delays.clear()
        self.late_delays.clear()
        self.given_up = self.arrived_late = 0
        return line


def nearest_timestamp(timestamps: dict[int, int], seq: int) -> int | None:
    """The timestamp of the closest packet before ``seq`` (losses come in bursts)."""
    for back in range(1, 129):
        timestamp = timestamps.get((seq - back) & 0xFFFF)
        if timestamp is not None:
            return timestamp
    return None
