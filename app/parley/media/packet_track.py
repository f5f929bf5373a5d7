"""The reading end of a shared encoder (:mod:`.shared` for video, :mod:`.shared_audio`
for the microphone): each peer's RTCRtpSender reads pre-encoded ``av.Packet``s from one
of these, or, once its sender negotiated another codec (:meth:`PacketTrack.use_frames`),
raw frames it encodes itself."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable
from typing import Any, Generic, Protocol, TypeVar

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av.frame import Frame

from parley.media.switch import SubscriberTrack, SwitchableTrack

logger = logging.getLogger(__name__)

IDLE = 2.0
"""Seconds since its sender last read a track after which it counts as not read."""


class SharedSource(Protocol):
    """What a :class:`PacketTrack` needs of its shared encoder."""

    name: str
    source: SwitchableTrack
    clock: Callable[[], float]

    def drop(self, track: Any) -> None: ...


class PacketTrack(MediaStreamTrack):
    """Packets pushed by a shared encoder, read by one sender.

    Args:
        shared: The encoder; told when this track stops reading its packets.
        depth: At most this many packets wait (None: no bound here; the subclass
            decides what a sender that fell behind loses).
    """

    codec = ""
    """The codec its packets are in (for the log line of a sender that is not on it)."""

    def __init__(self, shared: SharedSource, depth: int | None = None) -> None:
        super().__init__()
        self._shared = shared
        self._packets: deque[av.Packet[Any]] = deque(maxlen=depth)
        self._ready = asyncio.Event()
        self._frames: SubscriberTrack | None = None
        self._waiting_in_recv = False
        self._read_at = -1e9

    def active(self, now: float) -> bool:
        """Its sender reads it (one that never started, its m-line rejected, has no say
        in the shared encoder's settings)."""
        return self._waiting_in_recv or now - self._read_at < IDLE

    def use_frames(self) -> None:
        """Send raw frames from now on (the sender encodes them itself)."""
        if self._frames is None:
            logger.info("%s: a sender not on %s encodes its own copy", self._shared.name,
                        self.codec)
            self._frames = self._shared.source.subscribe()
            self._shared.drop(self)
            self._ready.set()

    def _starving(self) -> None:
        """Called when the sender finds no packet and waits (a subclass may ask for
        a keyframe then)."""

    async def recv(self) -> av.Packet[Any] | Frame:
        self._read_at = self._shared.clock()
        while True:
            if self._frames is not None:
                return await self._frames.recv()
            if self._packets:
                return self._packets.popleft()
            if self.readyState != "live":
                raise MediaStreamError
            self._starving()
            self._ready.clear()
            self._waiting_in_recv = True
            try:
                await self._ready.wait()
            finally:
                self._waiting_in_recv = False

    def stop(self) -> None:
        if self.readyState == "live":
            super().stop()
            self._ready.set()
            if self._frames is not None:
                self._frames.stop()
            self._shared.drop(self)


T = TypeVar("T", bound=PacketTrack)


class SharedPump(Generic[T]):
    """What both shared encoders do around their encoding: the source, the readers,
    and the one task that reads the source while anybody reads them.

    Args:
        source: The local track, encoded once.
        clock: Monotonic seconds.
    """

    def __init__(self, source: SwitchableTrack, clock: Callable[[], float]) -> None:
        self.source = source
        self.name = f"{source.name}-shared"
        self.clock = clock
        """Monotonic seconds."""
        self._tracks: set[T] = set()
        self._reader: SubscriberTrack | None = None
        self._task: asyncio.Task[None] | None = None

    def _add(self, track: T) -> T:
        """Count ``track`` as a reader, and start reading the source for the first."""
        self._tracks.add(track)
        if self._task is None:
            self._reader = self.source.subscribe()
            self._task = asyncio.get_running_loop().create_task(self._pump(), name=self.name)
        return track

    async def _pump(self) -> None:
        raise NotImplementedError

    def drop(self, track: T) -> None:
        self._tracks.discard(track)

    def readers(self) -> list[T]:
        """The readers that read now (:meth:`PacketTrack.active`)."""
        now = self.clock()
        return [track for track in self._tracks if track.active(now)]

    async def close(self) -> None:
        """Stop reading and every reader. Idempotent."""
        for track in list(self._tracks):
            track.stop()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._reader is not None:
            self._reader.stop()
            self._reader = None
