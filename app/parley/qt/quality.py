"""Network quality per participant: good, fair or poor, from the session's stats.

``QualityFeed`` reads ``session.stats()`` once a second while a call is on and
announces each participant's :class:`NetworkQuality` when it changes. The grading
is :func:`grade`: round-trip time, packet loss and - when their camera is on - the
frame rate received.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from parley.sdk import CallSession, SessionState

POLL_MS = 1000


class Quality(Enum):
    GOOD = "good"
    FAIR = "fair"
    POOR = "poor"


# (fair from, poor from): round trip in ms, loss as a fraction, and frames per second
# under which video counts as fair / poor (Zoom and Meet grade on about these lines).
RTT_MS = (200.0, 400.0)
LOSS = (0.03, 0.10)
FPS = (20.0, 10.0)


@dataclass(frozen=True)
class NetworkQuality:
    """One participant's link as this client receives it."""

    quality: Quality
    rtt_ms: float | None
    packet_loss: float
    fps: float
    video_counted: bool
    """Whether the frame rate was graded (not while their camera is off or starting)."""
    path: str = ""
    """The media path, "Path: relay over TCP (local relay, remote host)" ("" unknown)."""

    def describe(self) -> str:
        """The plain-text tooltip line: "Network: good - RTT 12 ms, loss 0.0 %, 30 fps",
        and the path on a second line when known."""
        rtt = "RTT unknown" if self.rtt_ms is None else f"RTT {self.rtt_ms:.0f} ms"
        fps = f", {self.fps:.0f} fps" if self.video_counted else ""
        path = f"\n{self.path}" if self.path else ""
        return (f"Network: {self.quality.value} — {rtt}, loss {self.packet_loss * 100:.1f} %"
                f"{fps}{path}")


def grade(stats: Any, video_on: bool) -> NetworkQuality | None:
    """The quality of one participant's ``PeerStats`` (``video_on``: their camera is on);
    None while their media has not connected yet (or they send none: nothing to grade)."""
    if stats.state in ("connecting", "closed"):
        return None
    rtt, loss, fps = stats.rtt_ms, float(stats.packet_loss), float(stats.fps)
    counted = video_on and stats.state == "connected" and stats.bitrate_kbps > 0
    level = 0
    for value, (fair, poor) in ((rtt, RTT_MS), (loss, LOSS)):
        if value is not None:
            level = max(level, 2 if value >= poor else 1 if value >= fair else 0)
    if counted:
        level = max(level, 2 if fps < FPS[1] else 1 if fps < FPS[0] else 0)
    if stats.state == "reconnecting":
        level = 2
    path = getattr(stats, "path", None)
    return NetworkQuality((Quality.GOOD, Quality.FAIR, Quality.POOR)[level], rtt, loss, fps,
                          counted, path.describe() if path is not None else "")


class QualityFeed(QObject):
    """``qualityChanged(participant_id, NetworkQuality)`` whenever a grade or its numbers
    change; polls only while the session is in a call."""

    qualityChanged = Signal(str, object)  # NetworkQuality, or None: nothing to show

    def __init__(self, session: CallSession, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self._last: dict[str, NetworkQuality | None] = {}
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self.poll)

    def start(self) -> None:
        self._last.clear()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        self._last.clear()

    def current(self, participant_id: str) -> NetworkQuality | None:
        return self._last.get(participant_id)

    def poll(self) -> None:
        """Read the stats now and announce what changed."""
        session = self._session
        if session.state not in (SessionState.JOINED, SessionState.RECONNECTING):
            return
        people = {p.id: p for p in session.participants}
        for pid, stats in session.stats().items():
            participant = people.get(pid)
            if participant is None:
                continue
            quality = grade(stats, video_on=not participant.video_paused)
            if pid not in self._last or self._last[pid] != quality:
                self._last[pid] = quality
                self.qualityChanged.emit(pid, quality)
