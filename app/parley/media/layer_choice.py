"""Which layer of each remote participant's camera this subscriber receives through the
SFU (issue 17): :class:`LayerChoice`, pure, and :class:`LinkEstimate`, the subscriber
link's loss-based estimate. :class:`~parley.media.sfu.SfuMedia` asks the server for the
layers chosen (``sfu_layer``, docs/protocol.md *Layers*).

Each publisher sends its camera twice (:mod:`.shared`: the full ladder, and a low layer
of 320x240 at most). A participant gets the **full** layer when:

- it is the dominant speaker (unless its tile is hidden), or
- its tile is larger than the low layer: either side at least :data:`UP_SCALE` x the
  low layer's (400x300); it goes back to low once both sides are no larger than the low
  layer's (:data:`DOWN_SCALE`): between the two it keeps what it has, so a tile resized
  around the threshold does not flap;
- or nobody said how it is shown (the SDK without a UI: the best picture).

A hidden tile (0x0) gets the low layer. Then the link: everyone's audio and low layer
are counted first (:data:`AUDIO_COST`, :data:`LOW_COST`), and the participants wanting
the full layer get it in order (the dominant speaker, then by tile area) while the sum
fits the estimate; one not yet on the full layer must fit in :data:`UP_MARGIN` of it.
Any participant changes layer at most once per :data:`HOLD` seconds (each change costs
the SFU a keyframe request and the picture a keyframe's wait); its first choice is at
once. One the link moved down tries the full layer again only after
:data:`PROBE_AFTER` seconds (however the estimate grows meanwhile); a try the link
moves down again within :data:`PROBE_FAILED` seconds doubles the wait, up to
:data:`PROBE_MAX` (the mesh's layers do the same, :mod:`.layering`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from parley.media.layering import Layer
from parley.media.sendside import HIGH_LOSS, INCREASE, LOW_LOSS

LOW_SIZE = (320, 240)
"""The low layer's largest picture (:data:`~parley.media.layering.LOW_RUNGS`)."""
UP_SCALE = 1.25
"""A tile at least this many times the low layer's width or height wants the full layer."""
DOWN_SCALE = 1.0
"""A tile no larger than this many times the low layer's on both sides goes back to low."""
HOLD = 2.0
"""Seconds between two changes of one participant's layer."""
FULL_COST = 500_000
"""Bit/s one full layer is counted at (the ladder's top rung needs 400 kbit/s)."""
LOW_COST = 170_000
"""Bit/s one low layer is counted at (:data:`~parley.media.layering.LOW_MAX`)."""
AUDIO_COST = 40_000
"""Bit/s one participant's audio is counted at (Opus and its packet overhead)."""
UP_MARGIN = 0.8
"""A participant moves up to the full layer only if the sum then fits this share of the
estimate (it stays on it while the sum fits the whole estimate)."""
PROBE_AFTER = 10.0
"""Seconds on the low layer, after the link moved a participant down, before it tries
the full one again ..."""
PROBE_FAILED = 3 * HOLD
"""... a try is failed when the link moves it down again within this many seconds ..."""
PROBE_MAX = 80.0
"""... which doubles the wait, up to this."""


@dataclass(frozen=True)
class View:
    """How the UI shows one remote participant."""

    width: int
    """The tile's width on screen, pixels (0: not shown)."""
    height: int
    """The tile's height on screen, pixels (0: not shown)."""

    @property
    def hidden(self) -> bool:
        return self.width <= 0 or self.height <= 0

    @property
    def scale(self) -> float:
        """The tile's size against the low layer's: the larger of the two sides' ratios."""
        return max(self.width / LOW_SIZE[0], self.height / LOW_SIZE[1])


class Views:
    """What the UI says of how it shows each remote participant (shared by the call's
    media paths: a move or an SFU restart keeps it)."""

    def __init__(self) -> None:
        self.sizes: dict[str, View] = {}
        """How each participant is shown; absent: nobody said."""
        self.dominant: str | None = None
        """The dominant speaker (the full layer, link permitting)."""

    def set(self, pid: str, width: int, height: int) -> None:
        """``pid``'s tile is ``width`` x ``height`` pixels now (0 x 0: not shown)."""
        self.sizes[pid] = View(max(0, int(width)), max(0, int(height)))

    def clear(self, pid: str) -> None:
        """Forget how ``pid`` is shown (it left, or the UI no longer says)."""
        self.sizes.pop(pid, None)


class LayerChoice:
    """The layer this subscriber receives of each remote participant's camera.

    Args:
        views: How the UI shows each participant (read at every :meth:`decide`).
    """

    def __init__(self, views: Views | None = None) -> None:
        self.views = views if views is not None else Views()
        self.layers: dict[str, Layer] = {}
        """The layer chosen for each participant (the last :meth:`decide`)."""
        self._changed_at: dict[str, float] = {}
        self._probe: dict[str, float] = {}
        """Participants the link moved down: seconds before their next try of the full
        layer."""

    def forget(self, pid: str) -> None:
        """``pid`` left the call (its next choice is at once)."""
        self.layers.pop(pid, None)
        self._changed_at.pop(pid, None)
        self._probe.pop(pid, None)

    def reset(self) -> None:
        """Choose everyone afresh, at once (the SFU side was recreated)."""
        self.layers.clear()
        self._changed_at.clear()

    def cost(self) -> int:
        """Bit/s of what is chosen now (audio and one layer per participant)."""
        return sum(AUDIO_COST + (FULL_COST if layer is Layer.FULL else LOW_COST)
                   for layer in self.layers.values())

    def decide(self, pids: Iterable[str], estimate: float | None, now: float
               ) -> dict[str, Layer]:
        """Choose for everyone in ``pids`` (``estimate``: the link's, bit/s; None: no
        limit known); returns the participants whose layer changed (or was chosen for
        the first time), with their new layer. ``now``: monotonic seconds."""
        pids = list(pids)
        wanted = {pid: self._wanted(pid) for pid in pids}
        by_view = dict(wanted)
        if estimate is not None:
            self._fit(wanted, estimate)
        changes = {}
        freed = 0  # full layers given up in this decision: taking one is no probe
        for pid in sorted(wanted, key=lambda p: wanted[p] is Layer.FULL):  # downs first
            layer, current = wanted[pid], self.layers.get(pid)
            if current is layer:
                continue
            held = now - self._changed_at.get(pid, -math.inf)
            if current is not None and held < HOLD:
                continue
            if layer is Layer.FULL and current is Layer.LOW and held < self._probe.get(pid, 0):
                if freed <= 0:
                    continue  # the link moved it down: not tried again yet
                freed -= 1
            freed += current is Layer.FULL
            if layer is Layer.LOW and by_view[pid] is Layer.FULL:  # the link moves it down
                failed = pid in self._probe and held < PROBE_FAILED
                self._probe[pid] = min(PROBE_MAX, 2 * self._probe[pid]) if failed \
                    else PROBE_AFTER
            elif layer is Layer.LOW:
                self._probe.pop(pid, None)  # down for its tile: the link has no say now
            self.layers[pid], self._changed_at[pid] = layer, now
            changes[pid] = layer
        return changes

    def _wanted(self, pid: str) -> Layer:
        view = self.views.sizes.get(pid)
        if view is None:
            return Layer.FULL
        if view.hidden:
            return Layer.LOW
        if pid == self.views.dominant or view.scale >= UP_SCALE:
            return Layer.FULL
        if view.scale <= DOWN_SCALE:
            return Layer.LOW
        return self.layers.get(pid, Layer.LOW)  # between the thresholds: as it is

    def _priority(self, pid: str) -> tuple[int, int]:
        view = self.views.sizes.get(pid)
        area = LOW_SIZE[0] * LOW_SIZE[1] * 4 if view is None else view.width * view.height
        return (0 if pid == self.views.dominant else 1, -area)

    def _fit(self, wanted: dict[str, Layer], estimate: float) -> None:
        spent = len(wanted) * (AUDIO_COST + LOW_COST)
        for pid in sorted((p for p, layer in wanted.items() if layer is Layer.FULL),
                          key=self._priority):
            limit = estimate if self.layers.get(pid) is Layer.FULL else UP_MARGIN * estimate
            if spent + FULL_COST - LOW_COST <= limit:
                spent += FULL_COST - LOW_COST
            else:
                wanted[pid] = Layer.LOW


MIN_PACKETS = 50
"""An interval with fewer packets says nothing (its loss is noise)."""


class LinkEstimate:
    """The subscriber link's estimate from its receive statistics: None (no limit
    known) until loss shows the link short; then loss-based, as libwebrtc's."""

    def __init__(self) -> None:
        self.estimate: float | None = None
        """Bit/s, or None: no limit known."""
        self._last: tuple[float, int, int] | None = None

    def update(self, now: float, received: int, lost: int, carried: float,
               repaired: int = 0) -> float | None:
        """A sample of the subscriber connection's counters: ``received`` and ``lost``
        packets so far (every inbound stream), ``carried``: the bit/s of what it
        receives now; ``repaired``: packets so far that the link lost and that
        ``received`` counts all the same (retransmitted, or filled in when given up on).
        The loss judged is the link's, before repair, as libwebrtc's receiver reports:
        after repair a link too short for what it carries shows almost none. Returns
        :attr:`estimate`."""
        received, lost = received - repaired, lost + repaired
        last, self._last = self._last, (now, received, lost)
        if last is None:
            return self.estimate
        dt, got, missed = now - last[0], received - last[1], max(0, lost - last[2])
        if dt <= 0 or got + missed < MIN_PACKETS:
            self._last = last  # keep counting from the last interval that says something
            return self.estimate
        loss = missed / (got + missed)
        if loss > HIGH_LOSS:  # libwebrtc's loss-based rule, as media/sendside.py's
            cut = carried * (1 - 0.5 * loss)
            self.estimate = cut if self.estimate is None else min(self.estimate, cut)
        elif loss < LOW_LOSS and self.estimate is not None:
            self.estimate *= INCREASE ** dt
        return self.estimate
