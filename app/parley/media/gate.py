"""What remote participants' signals must pass before their peer sees them, and what
leaves with ours: :class:`SignalGate` (docs/security.md, *What the client promises*).

Incoming, from the call server:

- Only participants of the room's roster are answered. Anything else (an offer from
  an id the roster does not know, a departed participant's late signals, our own id)
  is dropped with a log line, never answered.
- At most one offer per participant per :data:`OFFER_WINDOW`. Further offers within
  the window are *coalesced*: the latest one waits and is answered when the window
  ends; those it replaced are never answered. That is what a negotiation chain does
  with offers it cannot serve yet (LiveKit's transports keep one "renegotiate" flag,
  Chromium chains operations rather than fail them): a legitimate offerer that
  offered twice in quick succession (a connection that died at once, a glare) only
  cares about its latest offer, since each one supersedes the one before, and it
  gets its answer at most a second late instead of after its own retry timeout;
  refusing it would cost a legitimate peer a full retry round and gain nothing
  against a flood, which costs the same either way (one stored message). The
  trickled candidates that follow a waiting offer wait with it.
- Remote candidates, in an offer's or answer's SDP or trickled, pass
  :class:`~parley.media.candidates.RemoteCandidates`: at most 20 addresses per
  connection, never loopback (unless the call and its TURN server are on this
  machine), link-local, multicast.

Outgoing, when host addresses are kept private: only relay and server-reflexive
candidates leave (:func:`~parley.media.candidates.without_host_candidates`); when that
leaves an offer or answer without any candidate, it is said (a log line, and
``on_no_candidates`` for that participant) rather than left to fail silently.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from parley.media.candidates import (
    REMOTE_CANDIDATE_LIMIT,
    RemoteCandidates,
    is_host_candidate,
    without_host_candidates,
)
from parley.protocol.messages import Answer, Candidate, Offer

logger = logging.getLogger(__name__)

Signal = Offer | Answer | Candidate

OFFER_WINDOW = 1.0
"""Seconds between two offers of one participant that are answered."""
_GENERATIONS_KEPT = 2
"""Connections per participant whose candidate counts are kept (the current one and
the one being negotiated)."""
_HELD_CANDIDATES = 2 * REMOTE_CANDIDATE_LIMIT
"""Trickled candidates kept for an offer that waits (more could not be admitted)."""
_LOG_EVERY = 100
_STRANGERS_KEPT = 256
"""Unknown senders whose drops are counted (a lying server could invent any number)."""
"""A repeated drop is logged the first time and then every this many times."""


@dataclass
class _Remote:
    """What the gate keeps per remote participant."""

    last_offer: float = -1e9
    pending: Offer | None = None
    held: list[Candidate] = field(default_factory=list)
    timer: asyncio.TimerHandle | None = None
    candidates: dict[int, RemoteCandidates] = field(default_factory=dict)
    offers_answered: int = 0
    offers_coalesced: int = 0
    candidates_dropped: int = 0
    told_no_candidates: bool = False


@dataclass(frozen=True)
class GateCounts:
    """What the gate did with one participant's signals (diagnostics, benchmarks)."""

    offers_answered: int
    """Offers handed on to be answered."""
    offers_coalesced: int
    """Offers replaced by a later one within the window (never answered)."""
    candidates_dropped: int
    """Remote candidates not given to ICE (unsafe addresses, beyond the cap)."""


class SignalGate:
    """Screens one call's media signals in both directions.

    Args:
        is_member: Whether a participant id is in the room's roster (not ourselves).
        deliver: Hands a screened remote signal to the media mesh.
        send: Hands one of our signals to the call server.
        allow_loopback: Loopback candidates are allowed (the call and its TURN server are
            on this machine; never to a privileged port).
        hide_host_addresses: Send relay and server-reflexive candidates only.
        on_no_candidates: A participant is sent an offer or answer without any candidate
            (host addresses hidden, and no STUN/TURN candidate was gathered).
        window: Seconds between two answered offers of one participant.
    """

    def __init__(self, *, is_member: Callable[[str], bool], deliver: Callable[[Signal], None],
                 send: Callable[[Signal], None], allow_loopback: bool,
                 hide_host_addresses: bool, on_no_candidates: Callable[[str], None],
                 window: float = OFFER_WINDOW) -> None:
        self.allow_loopback = allow_loopback
        self.hide_host_addresses = hide_host_addresses
        self._is_member = is_member
        self._deliver = deliver
        self._send = send
        self._on_no_candidates = on_no_candidates
        self._window = window
        self._remotes: dict[str, _Remote] = {}
        self._strangers: dict[str, int] = {}
        self._closed = False

    def counts(self, pid: str) -> GateCounts:
        remote = self._remotes.get(pid, _Remote())
        return GateCounts(remote.offers_answered, remote.offers_coalesced,
                          remote.candidates_dropped)

    # ------------------------------------------------------------ incoming

    def incoming(self, msg: Signal) -> None:
        """A signal relayed by the call server (``msg.sender`` stamped by it)."""
        pid = msg.sender
        if self._closed or pid is None:
            return
        if not self._is_member(pid):
            self._stranger(pid, msg)
            return
        remote = self._remotes.setdefault(pid, _Remote())
        if isinstance(msg, Offer):
            self._offer(pid, remote, msg)
        elif isinstance(msg, Answer):
            self._pass(remote, msg)
        elif remote.pending is not None and msg.generation >= remote.pending.generation:
            if len(remote.held) < _HELD_CANDIDATES:
                remote.held.append(msg)  # it belongs to the offer that waits
        else:
            self._pass(remote, msg)

    def _stranger(self, pid: str, msg: Signal) -> None:
        if pid not in self._strangers and len(self._strangers) >= _STRANGERS_KEPT:
            self._strangers.clear()  # counts only pace the log: forgetting them is safe
        seen = self._strangers[pid] = self._strangers.get(pid, 0) + 1
        if seen % _LOG_EVERY == 1:
            logger.warning("event=signal_dropped reason=not_in_roster from=%s type=%s count=%d",
                           pid, msg.TYPE, seen)

    def _offer(self, pid: str, remote: _Remote, msg: Offer) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        if remote.pending is None and now - remote.last_offer >= self._window:
            remote.last_offer = now
            self._pass(remote, msg)
            return
        if remote.pending is not None:
            if msg.generation < remote.pending.generation:
                remote.offers_coalesced += 1  # older than the one waiting: never answered
                return
            remote.offers_coalesced += 1
            if remote.offers_coalesced % _LOG_EVERY == 1:
                logger.info("event=offers_coalesced from=%s count=%d", pid,
                            remote.offers_coalesced)
            if msg.generation > remote.pending.generation:
                remote.held.clear()
        remote.pending = msg
        if remote.timer is None:
            delay = max(0.0, remote.last_offer + self._window - now)
            remote.timer = loop.call_later(delay, self._release, pid)

    def _release(self, pid: str) -> None:
        remote = self._remotes.get(pid)
        if remote is None or self._closed:
            return
        offer, held = remote.pending, remote.held
        remote.timer, remote.pending, remote.held = None, None, []
        if offer is None:
            return
        remote.last_offer = asyncio.get_running_loop().time()
        self._pass(remote, offer)
        for candidate in held:
            self._pass(remote, candidate)

    def _pass(self, remote: _Remote, msg: Signal) -> None:
        screen = self._screen(remote, msg.generation)
        if isinstance(msg, Candidate):
            if msg.candidate:
                reason = screen.admit_line(msg.candidate)
                if reason is not None:
                    remote.candidates_dropped += 1
                    logger.debug("candidate from %s dropped: %s", msg.sender, reason)
                    return
        else:
            sdp, dropped = screen.filter_sdp(msg.sdp)
            if dropped:
                remote.candidates_dropped += len(dropped)
                logger.info("event=candidates_dropped from=%s gen=%d count=%d first=%r",
                            msg.sender, msg.generation, len(dropped), dropped[:3])
            msg = replace(msg, sdp=sdp)
            if isinstance(msg, Offer):
                remote.offers_answered += 1
        self._deliver(msg)

    def _screen(self, remote: _Remote, generation: int) -> RemoteCandidates:
        screen = remote.candidates.get(generation)
        if screen is None:
            screen = remote.candidates[generation] = RemoteCandidates(self.allow_loopback)
            for old in sorted(remote.candidates)[:-_GENERATIONS_KEPT]:
                del remote.candidates[old]
        return screen

    def forget(self, pid: str) -> None:
        """``pid`` left the room: whatever waits from it is dropped."""
        remote = self._remotes.pop(pid, None)
        if remote is not None and remote.timer is not None:
            remote.timer.cancel()
        self._strangers.pop(pid, None)

    def close(self) -> None:
        """Nothing is delivered afterwards. Idempotent."""
        self._closed = True
        for pid in list(self._remotes):
            self.forget(pid)

    # ------------------------------------------------------------ outgoing

    def outgoing(self, msg: Signal) -> None:
        """One of our signals, on its way to ``msg.to``."""
        if self.hide_host_addresses:
            if isinstance(msg, Candidate):
                if msg.candidate and is_host_candidate(msg.candidate):
                    return
            else:
                sdp, kept = without_host_candidates(msg.sdp)
                msg = replace(msg, sdp=sdp)
                self._check_candidates(msg.to, kept)
        self._send(msg)

    def _check_candidates(self, pid: str | None, kept: int) -> None:
        if pid is None:
            return
        remote = self._remotes.setdefault(pid, _Remote())
        if kept:
            remote.told_no_candidates = False
            return
        if remote.told_no_candidates:
            return
        remote.told_no_candidates = True
        logger.warning("event=no_candidates to=%s reason=host addresses are kept private and "
                       "no STUN/TURN server gave a relay or server-reflexive candidate: only "
                       "a participant that shares its own addresses can reach this one", pid)
        self._on_no_candidates(pid)
