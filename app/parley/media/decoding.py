"""The receive side's decoders: audio decoded on the loop, video frames handed back with
one callback each.

Each aiortc receiver decodes in a thread of its own (``aiortc.rtcrtpreceiver``'s
``decoder_worker``): the loop puts each encoded frame in a ``queue.Queue``, the thread
wakes, decodes and hands every decoded frame back with
``asyncio.run_coroutine_threadsafe(output_q.put(frame), loop)``: per frame a coroutine,
a concurrent future, a task on the loop, and the chaining of the two futures' states.
In a four-party mesh a participant decodes three audio streams (50 frames a second
each) and three video streams: about 240 hand-offs a second. An Opus frame decodes in
about 36 µs, and its round trip through a thread cost several times that in CPU (the
thread's wake-up and GIL hand-over, the loop's wake-up by the thread's callback, the
task): docs/performance.md, "Round eight: the loop's per-packet work". So:

- **Audio is decoded on the loop**, at once, when the receiver puts the frame in its
  decoder queue (a :class:`DecoderQueue`), with the same decoder (one per codec, from
  the module's ``get_decoder``) and the same error handling as upstream's thread (the
  error logged and flagged to the receiver, which asks for a keyframe on video only);
  each decoded frame goes to the track's queue with ``loop.call_soon``, after anything
  the thread handed on before. The audio thread then only waits for the end. A frame
  put while the thread still has one (only possible in the instant the thread starts)
  goes to the thread, so the order holds, and the two never decode at once.
- **Video is decoded in the thread** as upstream (a frame takes 0.4-1 ms), and the
  thread hands each frame on with ``loop.call_soon_threadsafe(output_q.put_nowait,
  frame)``: the track's queue is unbounded (upstream's ``RemoteStreamTrack`` builds
  ``asyncio.Queue()``), so its ``put`` never waits. A bounded queue (another aiortc)
  keeps upstream's worker and hand-off.

Why replacing names, and where (aiortc 1.x): the receiver builds its decoder queue in
its constructor with ``queue.Queue()``, the module-level name ``queue`` of
``aiortc.rtcrtpreceiver``, and starts its thread with ``target=decoder_worker``, the
module-level name, looked up when the thread starts; neither has a parameter.
:func:`install` replaces ``queue`` with a module that is the standard library's with
``Queue`` = :class:`DecoderQueue` (a subclass of the standard one: only ``put`` changes,
and only once its worker bound it), as :mod:`.arrival` replaces ``clock`` in
``aiortc.rtcdtlstransport``, and ``decoder_worker`` with :func:`decoder_worker`;
:func:`uninstall` restores both (receivers built from then on). No private attribute
of aiortc is read or written: the worker gets the loop and both queues as upstream's
does, as arguments.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import types
from typing import Any

import av
from aiortc import rtcrtpreceiver
from aiortc.codecs.base import Decoder
from aiortc.jitterbuffer import JitterFrame
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from av.frame import Frame

from parley.media.names import Replaced

logger = logging.getLogger(__name__)

_UPSTREAM = rtcrtpreceiver.decoder_worker


class _Decoders:
    """A receiver's decoders, one per codec (upstream's worker keeps the last one), and
    where their frames go."""

    def __init__(self, loop: asyncio.AbstractEventLoop, output_q: asyncio.Queue[Any],
                 decode_error: threading.Event) -> None:
        self.loop = loop
        self.output = output_q
        self._error = decode_error
        self._codec: str | None = None
        self._decoder: Decoder | None = None

    def decode(self, codec: RTCRtpCodecParameters, encoded_frame: JitterFrame) -> list[Frame]:
        if codec.name != self._codec:
            self._decoder = rtcrtpreceiver.get_decoder(codec)  # type: ignore[attr-defined]
            self._codec = codec.name
        assert self._decoder is not None
        try:
            return self._decoder.decode(encoded_frame)
        except av.FFmpegError as exc:
            # as upstream: keep the decoder's state, or every frame until the next
            # keyframe fails too
            logger.warning("RTCRtpReceiver(%s) failed to decode %s frame: %s",
                           codec.mimeType.split("/")[0], codec.name, exc)
            self._error.set()
            return []


class DecoderQueue(queue.Queue[Any]):
    """A receiver's decoder queue: what the loop puts goes to the decoder thread, except
    an audio frame once the thread's worker bound it (:meth:`bind`) and has nothing of
    its own left: that one is decoded on the putting thread (the loop) at once."""

    def __init__(self, maxsize: int = 0) -> None:
        super().__init__(maxsize)
        self._decoders: _Decoders | None = None
        self._pending = 0  # frames put for the thread, not yet handed on by it
        self.inline = 0
        """Frames decoded on the putting thread (a diagnostic)."""
        self.bound = threading.Event()
        """Set once the worker bound its decoders (audio is decoded on the loop from then)."""

    def bind(self, decoders: _Decoders) -> None:
        """The worker's decoders, which audio put from now on is decoded with."""
        with self.mutex:
            self._decoders = decoders
        self.bound.set()

    def done(self) -> None:
        """The worker handed on a frame it took."""
        with self.mutex:
            self._pending -= 1

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        with self.mutex:
            decoders = self._decoders
            inline = decoders is not None and self._pending == 0 and item is not None \
                and item[0].mimeType.lower().startswith("audio/")
            if not inline and item is not None:
                self._pending += 1
        if not inline:
            super().put(item, block, timeout)
            return
        assert decoders is not None
        self.inline += 1
        try:
            frames = decoders.decode(*item)
        except Exception:  # upstream's thread would have died: this frame is lost instead
            logger.exception("decoding an audio frame failed")
            return
        for frame in frames:  # behind what the thread handed on before
            decoders.loop.call_soon(decoders.output.put_nowait, frame)


def decoder_worker(loop: asyncio.AbstractEventLoop, input_q: queue.Queue[Any],
                   output_q: asyncio.Queue[Any], decode_error: threading.Event) -> None:
    """aiortc's decoder thread: video decoded here and handed on with one loop callback
    a frame; audio decoded by the loop (:class:`DecoderQueue`) once this thread bound it."""
    if output_q.maxsize > 0:  # a put that may wait: upstream's own worker and hand-off
        _UPSTREAM(loop, input_q, output_q, decode_error)
        return
    decoders = _Decoders(loop, output_q, decode_error)
    ours = input_q if isinstance(input_q, DecoderQueue) else None
    if ours is not None:
        ours.bind(decoders)
    while True:
        task = input_q.get()
        if task is None:  # the track ends
            loop.call_soon_threadsafe(output_q.put_nowait, None)
            break
        for frame in decoders.decode(*task):
            loop.call_soon_threadsafe(output_q.put_nowait, frame)
        if ours is not None:
            ours.done()


def _queue_shim() -> types.ModuleType:
    """The standard ``queue`` module as ``rtcrtpreceiver`` sees it, ``Queue`` Parley's."""
    shim = types.ModuleType("parley_decoding_queue")
    shim.__dict__.update({k: v for k, v in vars(queue).items() if not k.startswith("__")})
    shim.Queue = DecoderQueue  # type: ignore[attr-defined]
    return shim


_replaced = Replaced((rtcrtpreceiver, "decoder_worker", decoder_worker),
                     (rtcrtpreceiver, "queue", _queue_shim()))


def install() -> None:
    """Give receivers built from now on Parley's decoder queue and thread (idempotent)."""
    _replaced.install()


def uninstall() -> None:
    """Give aiortc back its own decoder threads (receivers built from now on)."""
    _replaced.uninstall()


def installed() -> bool:
    """Whether receivers decode audio on the loop and hand video on in one callback."""
    return _replaced.installed
