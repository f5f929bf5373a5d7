"""The receive side's decoder threads: each decoded frame handed to the loop with one
callback, not a task.

Each aiortc receiver decodes in a thread of its own (``aiortc.rtcrtpreceiver``'s
``decoder_worker``), which hands every decoded frame to the loop with
``asyncio.run_coroutine_threadsafe(output_q.put(frame), loop)``: per frame a coroutine,
a concurrent future, a task on the loop and the chaining of the two futures' states
when the task ends. In a four-party mesh a participant decodes three streams of audio
(50 frames a second each) and three of video: about 240 hand-offs a second, each of them
costing the loop about twice the work a plain callback does (docs/performance.md,
"Round eight: the loop's per-packet work"). The track's queue is unbounded (upstream's
``RemoteStreamTrack`` builds ``asyncio.Queue()``), so its ``put`` never waits and is
``put_nowait``: :func:`decoder_worker` hands each frame on with
``loop.call_soon_threadsafe(output_q.put_nowait, frame)``, in the same order, and is
otherwise upstream's worker line for line (the end-of-stream ``None``, a decoder per
codec from the module's ``get_decoder`` as :mod:`.framebuffer` replaces it, a decoding
error logged and flagged to the receiver, which asks for a keyframe). A bounded queue
(another aiortc) keeps upstream's hand-off.

Why replacing a name, and where (aiortc 1.x): the receiver starts its decoder thread
with ``target=decoder_worker``, the module-level name of ``aiortc.rtcrtpreceiver``,
looked up when the thread starts, with no parameter to choose it. :func:`install`
replaces that one name (receivers started from then on); :func:`uninstall` restores
upstream. No private attribute is read or written: the worker gets the loop and both
queues as upstream's does, as arguments.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from typing import Any

import av
from aiortc import rtcrtpreceiver

from parley.media.names import Replaced

logger = logging.getLogger(__name__)

_UPSTREAM = rtcrtpreceiver.decoder_worker


def decoder_worker(loop: asyncio.AbstractEventLoop, input_q: queue.Queue[Any],
                   output_q: asyncio.Queue[Any], decode_error: threading.Event) -> None:
    """aiortc's decoder thread, handing each decoded frame on with one loop callback."""
    if output_q.maxsize > 0:  # a put that may wait: upstream's own hand-off
        _UPSTREAM(loop, input_q, output_q, decode_error)
        return
    codec_name = None
    decoder = None
    while True:
        task = input_q.get()
        if task is None:  # the track ends
            loop.call_soon_threadsafe(output_q.put_nowait, None)
            break
        codec, encoded_frame = task
        if codec.name != codec_name:
            decoder = rtcrtpreceiver.get_decoder(codec)  # type: ignore[attr-defined]
            codec_name = codec.name
        assert decoder is not None
        try:
            frames = decoder.decode(encoded_frame)
        except av.FFmpegError as exc:
            # as upstream: keep the decoder's state, or every frame until the next
            # keyframe fails too
            logger.warning("RTCRtpReceiver(%s) failed to decode %s frame: %s",
                           codec.mimeType.split("/")[0], codec.name, exc)
            decode_error.set()
            continue
        for frame in frames:
            loop.call_soon_threadsafe(output_q.put_nowait, frame)


_replaced = Replaced((rtcrtpreceiver, "decoder_worker", decoder_worker))


def install() -> None:
    """Give receivers started from now on :func:`decoder_worker` (idempotent)."""
    _replaced.install()


def uninstall() -> None:
    """Give aiortc back its own decoder threads (receivers started from now on)."""
    _replaced.uninstall()


def installed() -> bool:
    """Whether receivers' decoder threads hand frames on with one callback each."""
    return _replaced.installed
