"""Whose media still arrives through the SFU: :class:`FeedWatch`, the liveness rules of
docs/sfu.md (*Liveness under the SFU*), apart from the connections that feed them
(:class:`~parley.media.sfu.SfuMedia`)."""

from __future__ import annotations

import logging
from collections.abc import Callable

logger = logging.getLogger("parley.media.sfu")

SILENCE = 2.5
"""Seconds without a frame from a participant heard before after which its media counts
as stopped here (reconnecting; everyone's: this side lost its media). Audio never stops
on its own through the SFU: muted audio is silence and DTX still sends a packet every
400 ms, and paused video sends black frames."""
RESTART_GRACE = 5.0
"""Seconds after an SFU restart (the node died, the call moved) in which silence is not
judged: everyone republishes then (issue 17: within 3 s), and that is no participant's
outage."""


class FeedWatch:
    """Each remote participant's media through the SFU, flowing or stopped.

    A participant heard (a first frame arrived) is stopped while either reason holds: the
    SFU says it no longer receives that participant's published media (``sfu_feed``), or
    no frame of it arrived here for :data:`SILENCE`; it is restored when neither does.

    Args:
        local_id: This participant's id (for the logs).
        reconnecting: Called with a participant's id when its media stopped.
        restored: Called with a participant's id when its media flows again.
    """

    def __init__(self, local_id: str, reconnecting: Callable[[str], None],
                 restored: Callable[[str], None]) -> None:
        self._local_id = local_id
        self._reconnecting = reconnecting
        self._restored = restored
        self.heard: set[str] = set()
        """Participants a frame arrived from."""
        self._last: dict[str, float] = {}
        """When a frame from each participant heard last arrived (monotonic)."""
        self._silent: set[str] = set()
        """Participants heard whose frames stopped for :data:`SILENCE`."""
        self._feed_down: set[str] = set()
        """Participants whose published media the SFU says it no longer receives."""
        self._judge_after = 0.0
        """Silence is not judged before this (monotonic): an SFU restart's grace."""

    def frame(self, pid: str, now: float) -> bool:
        """A frame from ``pid`` arrived at ``now``; whether it is the first heard of it."""
        self._last[pid] = now
        if pid in self._silent:
            self._set_down(pid, self._silent, False)
        if pid in self.heard:
            return False
        self.heard.add(pid)
        return True

    def feed(self, pid: str, flowing: bool) -> None:
        """The SFU's word on ``pid``'s published media (``sfu_feed``)."""
        self._set_down(pid, self._feed_down, not flowing)

    def forget(self, pid: str) -> None:
        """``pid`` left the call: nothing more is said of it until it is heard again."""
        self.heard.discard(pid)
        self._silent.discard(pid)
        self._feed_down.discard(pid)

    def grace(self, now: float) -> None:
        """An SFU restart at ``now``: silence is not judged for :data:`RESTART_GRACE`."""
        self._judge_after = now + RESTART_GRACE

    def judge(self, now: float) -> None:
        """Mark stopped every participant heard whose frames stopped for :data:`SILENCE`."""
        if now < self._judge_after:
            return
        for pid in list(self.heard - self._silent):
            if now - max(self._last.get(pid, now), self._judge_after) > SILENCE:
                logger.info("%s: no media from %s for %.1f s", self._local_id, pid, SILENCE)
                self._set_down(pid, self._silent, True)

    def _set_down(self, pid: str, reason: set[str], down: bool) -> None:
        """Mark ``pid``'s media down (or up) for one reason; it is reconnecting while
        either says so (the SFU's word or our own silence), restored when neither does."""
        was = pid in self._silent or pid in self._feed_down
        (reason.add if down else reason.discard)(pid)
        now = pid in self._silent or pid in self._feed_down
        if now and not was and pid in self.heard:
            self._reconnecting(pid)
        elif was and not now and pid in self.heard:
            self._restored(pid)
