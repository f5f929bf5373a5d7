"""One client's WebSocket: its read loop, write queue, limits and heartbeat watch.

Reading and writing are separate: the read loop decodes and hands messages to
the hub; everything sent to the client goes through an in-order queue that one
writer task drains, so a slow client never blocks anybody else.

Every frame counts against the budget, control frames included: aiohttp's
automatic PONG is off, and a PING is answered here only when the budget allows
it. Until it has joined a connection may send only small frames, and it is
closed ``join_deadline`` seconds after it opened unless it joined.
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
from parley.protocol.messages import Error, Join, Message, decode, encode
from parley.server.budgets import Budget
from parley.server.config import ServerConfig
from parley.server.guard import PeerGuard
from parley.server.hub import Hub
from parley.server.logs import log_event

_ids = itertools.count(1)
_CLOSE_GRACE = 2.0
"""Seconds a closing socket gets to flush its queue and finish the close handshake."""
_FLOOD_LINGER = 0.25
"""Seconds a flooding socket is kept after its close frame, before it is dropped."""
_FRAMES = (WSMsgType.TEXT, WSMsgType.BINARY, WSMsgType.PING, WSMsgType.PONG)


@dataclass(frozen=True)
class _Close:
    code: int
    reason: str


@dataclass(frozen=True)
class _Pong:
    data: bytes


class Connection:
    """Serves one WebSocket from ``prepare`` until it is closed."""

    def __init__(self, ws: web.WebSocketResponse, request: web.Request,
                 config: ServerConfig, hub: Hub, peers: PeerGuard | None = None) -> None:
        self.label = f"c{next(_ids)}"
        self.peer = request.remote or "?"
        self._ws = ws
        self._request = request
        self._config = config
        self._hub = hub
        self._peers = peers
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[str | _Pong | _Close] = asyncio.Queue()
        self._closing = False
        self._close_request: _Close | None = None
        self._aborted = False
        self._budget = Budget.for_config(config, self._loop.time())
        self.finished = asyncio.Event()

    @property
    def source(self) -> str | None:
        """What this link's seats count against (its address; None: exempt)."""
        return self._peers.source(self.peer) if self._peers is not None else None

    # ------------------------------------------------------------ Link

    def send(self, message: Message) -> None:
        """Queue ``message`` for this client (dropped once the connection is closing)."""
        if not self._closing:
            self._enqueue(encode(message))

    def _enqueue(self, item: str | _Pong) -> None:
        if self._queue.qsize() >= self._config.outbound_queue:
            log_event("slow_client", logging.WARNING, link=self.label)
            self.abort()
            return
        self._queue.put_nowait(item)

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
        deadline = self._loop.call_later(self._config.join_deadline, self._join_deadline)
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
            deadline.cancel()
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
            if self._closing and msg.type in _FRAMES:
                continue  # what arrives after we decided to close is not read
            if msg.type is WSMsgType.TEXT or msg.type is WSMsgType.BINARY:
                self._on_frame(msg.data)
            elif msg.type is WSMsgType.PING or msg.type is WSMsgType.PONG:
                if self._spend(notify=False) and msg.type is WSMsgType.PING:
                    self._enqueue(_Pong(msg.data))
            elif msg.type is WSMsgType.ERROR:
                # aiohttp refused the frame itself (over max_msg_size: close 1009, sent).
                log_event("refused", logging.INFO, link=self.label, error=str(msg.data)[:80],
                          close=self._ws.close_code)
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
                if isinstance(item, _Pong):
                    await self._ws.pong(item.data)
                else:
                    await self._ws.send_str(item)
            except (ConnectionError, RuntimeError):
                return  # the socket is gone; the read loop notices and reports it

    # ------------------------------------------------------------ one frame

    def _join_deadline(self) -> None:
        # A joiner waiting in the lobby has joined as far as it can: the lobby's own
        # timeout (2 minutes) ends its wait.
        if self._closing or self._hub.seat_of(self) is not None \
                or self._hub.lobby.waiting(self):
            return
        log_event("join_timeout", link=self.label, peer=self.peer)
        self.send(Error(ErrorCode.NOT_JOINED.value,
                        f"join within {self._config.join_deadline:g} s of connecting"))
        self.close(CloseCode.POLICY, "join timeout")

    def _spend(self, notify: bool = True) -> bool:
        """Take one message from the seat's budget (the connection's before the join);
        False when it is spent: the message is dropped (with a RATE_LIMITED error when
        ``notify``; a dropped PING gets no answer at all), and a flood closes the link."""
        seat = self._hub.seat_of(self)
        now = self._loop.time()
        if seat is not None and seat.budget is None:
            seat.budget = self._budget  # the seat's first connection hands it on
        budget = seat.budget if seat is not None and seat.budget is not None else self._budget
        if budget.messages.take(now):
            return True
        if notify:
            self.send(Error(ErrorCode.RATE_LIMITED.value,
                            "too many messages; this one was dropped"))
        if budget.flood.drop(now):
            log_event("rate_limit_close", logging.WARNING, link=self.label)
            self.close(CloseCode.POLICY, "rate limit")
            # Read no more of it (parsing the rest of a flood is what it wants us to do),
            # and drop it once the close frame had time to leave.
            transport = self._request.transport
            if isinstance(transport, asyncio.ReadTransport):
                transport.pause_reading()
            self._loop.call_later(_FLOOD_LINGER, self.abort)
        return False

    def _on_frame(self, data: str | bytes) -> None:
        joined = self._hub.seat_of(self) is not None
        limit = self._config.max_frame_bytes if joined else self._config.prejoin_max_bytes
        if self._frame_size(data, limit) > limit:
            self._refuse(ProtocolError(
                ErrorCode.FRAME_TOO_LARGE,
                f"frames are limited to {limit} bytes" + ("" if joined else " before the join")))
            return
        if not self._spend():
            return
        if isinstance(data, bytes):
            self._refuse(ProtocolError(ErrorCode.MALFORMED, "binary frames are not accepted"))
            return
        try:
            message = decode(data)
        except ProtocolError as exc:
            self._refuse(exc, _peek_type(data))
            return
        if isinstance(message, Join) and self._peers is not None \
                and not self._peers.allow_join(self.peer):
            self.send(Error(ErrorCode.RATE_LIMITED.value,
                            "too many joins from this address; wait a moment", message.TYPE))
            self.close(CloseCode.POLICY, "join rate")
            return
        try:
            self._hub.handle(self, message)
        except ProtocolError as exc:
            self._refuse(exc, message.TYPE)
        except Exception:  # a server bug must not kill the connection or the room
            logging.getLogger(__name__).exception("event=internal_error link=%s", self.label)
            self.send(Error(ErrorCode.INTERNAL.value, "internal server error", message.TYPE))

    def _frame_size(self, data: str | bytes, limit: int) -> int:
        if isinstance(data, bytes) or len(data) * 4 <= limit:
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
