"""One client's WebSocket: its read loop, write queue, limits and heartbeat watch.

Reading and writing are separate: the read loop decodes and hands messages to
the hub; everything sent to the client goes through an in-order queue that one
writer task drains, so a slow client never blocks anybody else.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from dataclasses import dataclass

from aiohttp import WSMsgType, web

from parley.protocol.closecodes import CLOSE_CODES, CloseCode
from parley.protocol.errors import ErrorCode, ProtocolError
from parley.protocol.messages import Error, Message, decode, encode
from parley.server.config import ServerConfig
from parley.server.hub import Hub
from parley.server.limits import FloodWatch, TokenBucket
from parley.server.logs import log_event

_ids = itertools.count(1)
_CLOSE_GRACE = 2.0
"""Seconds a closing socket gets to flush its queue and finish the close handshake."""


@dataclass(frozen=True)
class _Close:
    code: int
    reason: str


class Connection:
    """Serves one WebSocket from ``prepare`` until it is closed."""

    def __init__(self, ws: web.WebSocketResponse, request: web.Request,
                 config: ServerConfig, hub: Hub) -> None:
        self.label = f"c{next(_ids)}"
        self._ws = ws
        self._request = request
        self._config = config
        self._hub = hub
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[str | _Close] = asyncio.Queue()
        self._closing = False
        self._close_request: _Close | None = None
        self._aborted = False
        self._bucket = TokenBucket(config.rate_per_second, config.rate_burst, self._loop.time())
        self._flood = FloodWatch(config.flood_drops, config.flood_window)
        self.finished = asyncio.Event()

    # ------------------------------------------------------------ Link

    def send(self, message: Message) -> None:
        """Queue ``message`` for this client (dropped once the connection is closing)."""
        if self._closing:
            return
        if self._queue.qsize() >= self._config.outbound_queue:
            log_event("slow_client", logging.WARNING, link=self.label)
            self.abort()
            return
        self._queue.put_nowait(encode(message))

    def close(self, code: int, reason: str) -> None:
        """Close with ``code`` once the messages queued before have been sent."""
        if self._closing:
            return
        self._closing = True
        self._close_request = _Close(code, reason)
        self._queue.put_nowait(self._close_request)

    def abort(self) -> None:
        """Drop the TCP connection at once, as a crash or a dead network would."""
        self._closing = True
        self._aborted = True
        transport = self._request.transport
        if transport is not None:
            transport.abort()

    # ------------------------------------------------------------ loops

    async def run(self) -> None:
        """Serve until the socket closes; then tell the hub the link is gone.

        The close handshake is started here, not in the writer, and only once
        the read loop has stopped: aiohttp cuts the TCP connection without
        waiting for the client's close frame when ``close()`` races a pending
        ``receive()``, and the client would then see 1006 instead of our code.
        """
        reader = asyncio.create_task(self._read_loop(), name=f"parley-reader-{self.label}")
        writer = asyncio.create_task(self._write_loop(), name=f"parley-writer-{self.label}")
        cause = "error"
        try:
            await asyncio.wait([reader, writer], return_when=asyncio.FIRST_COMPLETED)
            if reader.done():
                cause = reader.result()
            else:
                cause = "closed_by_server" if self._close_request else "write_failed"
                reader.cancel()
            self._hub.link_closed(self, cause)
            if self._close_request is not None and not self._aborted and not writer.done():
                await asyncio.wait([writer], timeout=_CLOSE_GRACE)
        finally:
            for task in (reader, writer):
                task.cancel()
            await asyncio.gather(reader, writer, return_exceptions=True)
            self._hub.link_closed(self, cause)  # no-op unless cancelled before the call above
            await self._close_socket()
            log_event("disconnect", logging.DEBUG, link=self.label, cause=cause)
            self.finished.set()

    async def _close_socket(self) -> None:
        if self._ws.closed or self._aborted:
            return
        close = self._close_request or _Close(CloseCode.NORMAL, "")
        try:
            await asyncio.wait_for(
                self._ws.close(code=close.code, message=close.reason.encode()), _CLOSE_GRACE)
        except (TimeoutError, ConnectionError):
            self.abort()

    async def _read_loop(self) -> str:
        ws = self._ws
        while True:
            try:
                msg = await ws.receive(timeout=self._config.heartbeat_timeout)
            except TimeoutError:
                log_event("heartbeat_timeout", link=self.label)
                self._refuse(ProtocolError(ErrorCode.HEARTBEAT_TIMEOUT,
                                           "nothing received within the heartbeat timeout"))
                return "heartbeat_timeout"
            if msg.type is WSMsgType.TEXT or msg.type is WSMsgType.BINARY:
                if not self._closing:
                    self._on_frame(msg.data)
            elif msg.type is WSMsgType.ERROR:
                return "error"
            else:  # CLOSE, CLOSING, CLOSED
                return "closed"

    async def _write_loop(self) -> None:
        """Send queued frames in order; return at the close marker (or a dead socket)."""
        while True:
            item = await self._queue.get()
            if isinstance(item, _Close):
                return
            try:
                await self._ws.send_str(item)
            except (ConnectionError, RuntimeError):
                return  # the socket is gone; the read loop notices and reports it

    # ------------------------------------------------------------ one frame

    def _on_frame(self, data: str | bytes) -> None:
        if self._frame_size(data) > self._config.max_frame_bytes:
            self._refuse(ProtocolError(
                ErrorCode.FRAME_TOO_LARGE,
                f"frames are limited to {self._config.max_frame_bytes} bytes"))
            return
        now = self._loop.time()
        if not self._bucket.take(now):
            self.send(Error(ErrorCode.RATE_LIMITED.value,
                            "too many messages; this one was dropped"))
            if self._flood.drop(now):
                log_event("rate_limit_close", logging.WARNING, link=self.label)
                self.close(CloseCode.POLICY, "rate limit")
            return
        if isinstance(data, bytes):
            self._refuse(ProtocolError(ErrorCode.MALFORMED, "binary frames are not accepted"))
            return
        try:
            message = decode(data)
        except ProtocolError as exc:
            self._refuse(exc, _peek_type(data))
            return
        try:
            self._hub.handle(self, message)
        except ProtocolError as exc:
            self._refuse(exc, message.TYPE)
        except Exception:  # a server bug must not kill the connection or the room
            logging.getLogger(__name__).exception("event=internal_error link=%s", self.label)
            self.send(Error(ErrorCode.INTERNAL.value, "internal server error", message.TYPE))

    def _frame_size(self, data: str | bytes) -> int:
        if isinstance(data, bytes) or len(data) * 4 <= self._config.max_frame_bytes:
            return len(data)  # a character is at most 4 bytes of UTF-8: no need to encode
        return len(data.encode("utf-8"))

    def _refuse(self, exc: ProtocolError, ref: str | None = None) -> None:
        """Answer with an error; close when the error is final for this connection."""
        self.send(Error(exc.code.value, exc.detail, ref))
        close_code = CLOSE_CODES.get(exc.code)
        log_event("refused", logging.INFO if close_code else logging.DEBUG,
                  link=self.label, code=exc.code.value, ref=ref, close=close_code)
        if close_code is not None:
            self.close(close_code, exc.code.value)


def _peek_type(data: str | bytes) -> str | None:
    """The ``type`` of a frame that failed to decode, if it has a readable one (for ``ref``)."""
    try:
        obj = json.loads(data)
    except (ValueError, RecursionError):
        return None
    kind = obj.get("type") if isinstance(obj, dict) else None
    return kind if isinstance(kind, str) and len(kind) <= 64 else None
