"""Peer liveness that never needs media: :class:`Heartbeat`, a ping/pong on the data
channel every Parley peer connection carries (docs/protocol.md, *Peer heartbeat*).

Each side pings every ``interval`` (0.5 s) and answers every ping at once with a
pong echoing its ``t``. No pong for the timeout means the peer is dead: the floor
(2 s) on a healthy link, TCP's RTO on a congested one (smoothed RTT + 4 x its
variation, :class:`~parley.protocol.rto.RtoEstimator`), so a bloated buffer that still
delivers is not taken for a dead peer. The channel is
unordered without retransmissions, so a late ping is never queued behind a lost one.

On a lossy link that still delivers, pings and pongs are lost at random, and a run of
them can outlast the floor: at 10 % loss each way a ping goes unanswered 19 % of the
time, and four in a row (the 2 s floor) happen about once in 800 pings, so a call of a
few minutes saw its peer "reconnecting" with the link up (issue 13, ``bench links``,
10 % loss, round seven). So the heartbeat also measures its own pings' loss: a ping counts
lost once a pong for a later one arrives (never during a silence, which would lengthen
the timeout while a dead link is being detected), over the last :data:`LOSS_WINDOW`
pings. The timeout then covers a run of unanswered pings whose chance is under
:data:`FALSE_ALARM` at that loss (``interval x log(FALSE_ALARM) / log(loss)``, plus the
round trip): 2.8 s at 19 %, the floor up to 10 %. A healthy link keeps the floor.

Each ping also says whether this side's camera video to the peer is paused for want
of bandwidth (``"slow": true``, :mod:`.rtx`); the receiving side reports a change
through ``on_remote_slow``. Repeated in every ping, so a lost one costs nothing.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

from parley.protocol.rto import RtoEstimator

logger = logging.getLogger(__name__)

CHANNEL_LABEL = "parley-heartbeat"
CHANNEL_ID = 0
"""The channel is negotiated out of band (both sides create it with this id), so that
neither needs to wait for the other to open it."""
INTERVAL = 0.5
TIMEOUT = 2.0
LOSS_WINDOW = 40
"""Pings (20 s of them) the heartbeat's own loss is measured over ..."""
LOSS_SAMPLES = 10
"""... once at least this many are known (answered, or lost before a later answer)."""
FALSE_ALARM = 1e-4
"""The chance, at the measured loss, of a run of unanswered pings as long as the timeout."""


class Channel(Protocol):
    """What the heartbeat needs of an RTCDataChannel (aiortc's, or a test's)."""

    @property
    def readyState(self) -> str: ...  # noqa: N802 - the WebRTC name
    def send(self, data: str) -> None: ...


class Heartbeat:
    """The heartbeat of one peer connection.

    Args:
        channel: The negotiated data channel; feed its messages to :meth:`received`
            and call :meth:`start` when it opens.
        on_alive: The first pong arrived.
        on_dead: No pong for the timeout (called once; the heartbeat stops).
        interval: Seconds between pings.
        timeout: Seconds without a pong after which the peer is dead (the floor of the
            adaptive timeout).
    """

    def __init__(self, channel: Channel, on_alive: Callable[[], None],
                 on_dead: Callable[[], None], interval: float = INTERVAL,
                 timeout: float = TIMEOUT, clock: Callable[[], float] = time.monotonic,
                 on_remote_slow: Callable[[bool], None] | None = None) -> None:
        self._channel = channel
        self._on_alive = on_alive
        self._on_dead = on_dead
        self.interval = interval
        self.rto = RtoEstimator(floor=timeout, ceiling=max(timeout, 5 * timeout))
        """The round-trip estimator the timeout comes from."""
        self._clock = clock
        self._on_remote_slow = on_remote_slow
        self.video_slow = False
        """Our camera video to this peer is paused for want of bandwidth (sent in pings)."""
        self.remote_slow = False
        """The peer's camera video to us is paused for want of bandwidth."""
        self.alive = False
        """A pong arrived and the timeout has not passed since the last one."""
        self.dead = False
        self.last_pong: float | None = None
        self._pinger: asyncio.TimerHandle | None = None
        self._deadline: asyncio.TimerHandle | None = None
        self._unanswered: dict[float, None] = {}  # pings sent, no pong yet, oldest first
        self._outcomes: deque[bool] = deque(maxlen=LOSS_WINDOW)  # True: a lost ping

    @property
    def floor(self) -> float:
        return self.rto.floor

    @property
    def srtt(self) -> float | None:
        """Smoothed round-trip time of the pings, seconds."""
        return self.rto.srtt

    @property
    def loss(self) -> float:
        """The share of recent pings that got no pong (0 until enough are known)."""
        if len(self._outcomes) < LOSS_SAMPLES:
            return 0.0
        return sum(self._outcomes) / len(self._outcomes)

    @property
    def timeout(self) -> float:
        """The current timeout: the floor, or SRTT + 4 x RTTVAR if longer, or what a
        lossy link's runs of lost pings need (capped at five times the floor)."""
        timeout, loss = self.rto.timeout, self.loss
        if 0 < loss < 1:
            run = self.interval * math.log(FALSE_ALARM) / math.log(loss) + (self.srtt or 0)
            timeout = max(timeout, min(run, self.rto.ceiling))
        return timeout

    def start(self) -> None:
        """The channel is open: ping now and every interval; the deadline starts now."""
        if self.dead or self._pinger is not None:
            return
        self._arm_deadline()
        self._ping()

    def stop(self) -> None:
        for handle in (self._pinger, self._deadline):
            if handle is not None:
                handle.cancel()
        self._pinger = self._deadline = None

    def received(self, message: Any) -> None:
        """A message on the channel: answer pings, note pongs; ignore anything else."""
        try:
            body = json.loads(message)
            kind, t = body["type"], body.get("t")
        except (TypeError, ValueError, KeyError):
            logger.debug("heartbeat: ignored %r", message)
            return
        if kind == "ping":
            self._send({"type": "pong", "t": t})
            slow = body.get("slow") is True
            if slow != self.remote_slow:
                self.remote_slow = slow
                if self._on_remote_slow is not None:
                    self._on_remote_slow(slow)
        elif kind == "pong" and not self.dead:
            now = self._clock()
            if isinstance(t, int | float) and 0 <= now - t < 60:
                self.rto.sample(now - t)
                self._answered(float(t))
            self.last_pong = now
            self._arm_deadline()
            if not self.alive:
                self.alive = True
                self._on_alive()

    def _answered(self, t: float) -> None:
        """The pong of the ping sent at ``t``: the pings before it still unanswered are
        lost (a pong for one of them later is not counted)."""
        if t not in self._unanswered:
            return  # a duplicate, a ping counted lost already, or a test's own t
        for sent in list(self._unanswered):
            del self._unanswered[sent]
            self._outcomes.append(sent != t)
            if sent == t:
                break

    def _send(self, body: dict[str, Any]) -> None:
        if self._channel.readyState != "open":
            return
        try:
            self._channel.send(json.dumps(body))
        except Exception as exc:  # the channel closed under us: the deadline decides
            logger.debug("heartbeat: send failed: %r", exc)

    def _ping(self) -> None:
        ping: dict[str, Any] = {"type": "ping", "t": self._clock()}
        if self.video_slow:
            ping["slow"] = True
        self._unanswered[ping["t"]] = None
        while len(self._unanswered) > LOSS_WINDOW:  # a long silence: keep the latest
            del self._unanswered[next(iter(self._unanswered))]
        self._send(ping)
        self._pinger = asyncio.get_running_loop().call_later(self.interval, self._ping)

    def _arm_deadline(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline = asyncio.get_running_loop().call_later(self.timeout, self._expire)

    def _expire(self) -> None:
        self._deadline = None
        if self.dead:
            return
        self.dead = True
        self.alive = False
        self.stop()
        logger.info("heartbeat: no pong for %.1f s", self.timeout)
        self._on_dead()
