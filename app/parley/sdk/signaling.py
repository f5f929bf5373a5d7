"""One WebSocket to the call server: the join handshake, heartbeats and the receive loop.

A link lives for one connection. When it dies (socket closed, server going
away, or no message for the heartbeat timeout) it reports that once through
``on_dead`` and is done; the session makes a new link to reconnect.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

import aiohttp

from parley.media.tasks import OwnedTasks
from parley.protocol import ErrorCode, ProtocolError, decode, encode, urls
from parley.protocol.closecodes import CloseCode
from parley.protocol.defaults import DEFAULT_SERVER_URL
from parley.protocol.ids import validate_session_id
from parley.protocol.messages import (
    Error,
    GoingAway,
    Join,
    Leave,
    LobbyWaiting,
    Message,
    Ping,
    Pong,
    RoomClosed,
    Welcome,
)
from parley.sdk.backoff import reconnect_delays
from parley.sdk.errors import EndReason, JoinError, JoinFailure
from parley.sdk.settings import SessionSettings

log = logging.getLogger("parley.sdk.signaling")

_MAX_FRAME = 1 << 20
_CLOSE_WAIT = 0.3
_REMOVALS: dict[int, EndReason] = {CloseCode.ROOM_CLOSED: EndReason.ROOM_CLOSED,
                                   CloseCode.DUPLICATE_IDENTITY: EndReason.REPLACED}
"""Close codes after which the seat is gone for good: the session ends, no resume."""


def normalize_server_url(server: str | None) -> str:
    """The URL the SDK dials for ``server``: the protocol's one address rule
    (:func:`parley.protocol.urls.normalize_server_url`), or the default server's
    URL when none is given.

    Raises:
        ValueError: With a message fit to show the user.
    """
    return urls.normalize_server_url(server or "") or DEFAULT_SERVER_URL


def checked_join(session_id: str, settings: SessionSettings, server: str | None) -> str:
    """What join_session refuses before any network; the URL to dial.

    Raises:
        TypeError: ``settings`` is not a SessionSettings.
        JoinError: INVALID_SESSION_ID, or UNREACHABLE for a server address that is no
            address.
    """
    if not isinstance(settings, SessionSettings):
        raise TypeError(f"settings must be a SessionSettings, got {type(settings).__name__}")
    try:
        validate_session_id(session_id)
    except ProtocolError as exc:
        raise JoinError(JoinFailure.INVALID_SESSION_ID, exc.detail) from None
    try:
        return normalize_server_url(server)
    except ValueError as exc:
        raise JoinError(JoinFailure.UNREACHABLE, str(exc)) from None


_REJECTIONS = {
    ErrorCode.TOKEN_REQUIRED: JoinFailure.TOKEN_REQUIRED,
    ErrorCode.TOKEN_INVALID: JoinFailure.TOKEN_REJECTED,
    ErrorCode.TOKEN_EXPIRED: JoinFailure.TOKEN_EXPIRED,
    ErrorCode.TOKEN_WRONG_ROOM: JoinFailure.TOKEN_REJECTED,
    ErrorCode.TOKEN_USED_UP: JoinFailure.TOKEN_USED_UP,
    ErrorCode.LOBBY_DENIED: JoinFailure.DENIED,
    ErrorCode.LOBBY_TIMEOUT: JoinFailure.LOBBY_TIMEOUT,
    ErrorCode.ROOM_FULL: JoinFailure.ROOM_FULL,
    ErrorCode.TOO_MANY_ROOMS: JoinFailure.ROOM_FULL,
    ErrorCode.INVALID_SESSION_ID: JoinFailure.INVALID_SESSION_ID,
    ErrorCode.INVALID_FIELD: JoinFailure.INVALID_SETTINGS,
}


def join_error(exc: BaseException, server_url: str) -> JoinError | None:
    """What to tell the caller of join_session about ``exc`` (None: not a join failure)."""
    if isinstance(exc, JoinRejected):
        try:
            reason = _REJECTIONS.get(ErrorCode(exc.error.code), JoinFailure.SERVER_ERROR)
        except ValueError:
            reason = JoinFailure.SERVER_ERROR
        return JoinError(reason, exc.error.message)
    if isinstance(exc, TimeoutError):
        return JoinError(JoinFailure.UNREACHABLE,
                         f"the call server at {server_url} did not answer in time")
    if isinstance(exc, OSError | aiohttp.ClientError | ConnectionError | ProtocolError):
        return JoinError(JoinFailure.UNREACHABLE,
                         f"cannot reach the call server at {server_url}: {exc}")
    return None


RECONNECT_ATTEMPT_TIMEOUT = 1.2
"""One reconnect attempt; a lost SYN is retransmitted after 1 s, so this catches it."""


async def reconnect(make_link: Callable[[], SignalingLink], join: Callable[[], Join],
                    wanted: Callable[[], bool]) -> tuple[SignalingLink, Welcome] | None:
    """Try to resume until it works: the first attempt at once, then backoff capped
    near 1 s with jitter. Returns the new link and its welcome, or None once
    ``wanted()`` turns False.

    Raises:
        JoinRejected: the server refused the resume (RESUME_REFUSED, or ROOM_CLOSED: the
            host ended the call meanwhile) - retrying is useless.
    """
    for delay in reconnect_delays():
        await asyncio.sleep(delay)
        if not wanted():
            return None
        link = make_link()
        try:
            welcome = await link.connect(join(), RECONNECT_ATTEMPT_TIMEOUT)
        except JoinRejected as exc:
            if exc.error.code == ErrorCode.RESUME_REFUSED or exc.removal is not None:
                raise
            log.info("event=reconnect_rejected code=%s", exc.error.code)
            continue
        except (OSError, TimeoutError, aiohttp.ClientError, ProtocolError) as exc:
            log.debug("event=reconnect_attempt_failed error=%r", exc)
            continue
        if not wanted():
            await link.close(Leave())
            return None
        return link, welcome
    return None  # pragma: no cover - reconnect_delays() never ends


class JoinRejected(Exception):
    """The server answered the join with an error message."""

    def __init__(self, error: Error) -> None:
        super().__init__(f"{error.code}: {error.message}")
        self.error = error

    @property
    def removal(self) -> EndReason | None:
        """ROOM_CLOSED when the refusal says the host ended the call (a resume after it)."""
        return EndReason.ROOM_CLOSED if self.error.code == ErrorCode.ROOM_CLOSED else None


class SignalingLink:
    """A connected WebSocket speaking the Parley protocol.

    Each link owns its aiohttp session, so closing a link - even in the middle of
    its handshake - releases every socket it opened.

    Args:
        url: The server's WebSocket URL.
        on_message: Called on the loop for every message after the welcome.
        on_dead: Called once when the link stops working: ``(reason, removed)``, where
            ``removed`` says why the server ended the seat for good (the host closed the
            room, the identity joined elsewhere) - None for a link that merely dropped.
    """

    def __init__(self, url: str, on_message: Callable[[Message], None],
                 on_dead: Callable[[str, EndReason | None], None]) -> None:
        self._http: aiohttp.ClientSession | None = None
        self._url = url
        self._on_message = on_message
        self._on_dead = on_dead
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._tasks = OwnedTasks()
        self._outbox: asyncio.Queue[str] = asyncio.Queue(maxsize=1024)
        self._dead = False
        self._handshake: asyncio.Task[Message] | None = None
        self._release: asyncio.Task[None] | None = None
        self._last_rx = 0.0
        self.resume_token: str | None = None

    @property
    def alive(self) -> bool:
        return self._ws is not None and not self._dead

    async def connect(self, join: Join, timeout: float,
                      on_waiting: Callable[[LobbyWaiting], None] | None = None) -> Welcome:
        """Open the socket and join; raises OSError/TimeoutError/JoinRejected/ProtocolError,
        or ConnectionError when close() was called meanwhile.

        A server that puts the join in its lobby answers ``lobby_waiting`` first: then
        ``on_waiting`` is told, the link pings while it waits, and the welcome (or the
        refusal) may come as late as the lobby's timeout."""
        # aiohttp's own timeouts fire first; the guard is for a wedged handshake.
        message = await self._step(self._open(join, timeout), timeout * 3)
        while isinstance(message, LobbyWaiting):
            if on_waiting is not None:
                on_waiting(message)
            pings = self._tasks.spawn(self._lobby_pings(message.heartbeat_interval))
            try:
                message = await self._step(self._reply(None), message.timeout + timeout)
            finally:
                pings.cancel()
        if isinstance(message, Error):
            await self._drop()
            raise JoinRejected(message)
        if not isinstance(message, Welcome):
            await self._drop()
            raise ConnectionError(f"expected a welcome, got {message.TYPE}")
        self.resume_token = message.resume_token
        self._last_rx = asyncio.get_running_loop().time()
        return message

    async def _step(self, work: Coroutine[Any, Any, Message], guard: float) -> Message:
        """One step of the handshake as a task that close() can cancel."""
        self._handshake = asyncio.get_running_loop().create_task(work)
        try:
            async with asyncio.timeout(guard):
                return await self._handshake
        except asyncio.CancelledError:
            await self._drop()
            if self._handshake.cancelled() and self._dead:
                raise ConnectionError("the link was closed while connecting") from None
            raise
        except BaseException:
            self._handshake.cancel()
            await self._drop()
            raise

    async def _open(self, join: Join, timeout: float) -> Message:
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(
            total=None, sock_connect=timeout, sock_read=timeout))
        self._ws = await self._http.ws_connect(
            self._url, autoping=True, heartbeat=None, max_msg_size=_MAX_FRAME,
            timeout=aiohttp.ClientWSTimeout(ws_receive=None, ws_close=_CLOSE_WAIT),
        )
        await self._ws.send_str(encode(join))
        return await self._reply(timeout)

    async def _reply(self, timeout: float | None) -> Message:
        """The server's next message during the handshake (pongs skipped)."""
        assert self._ws is not None
        while True:
            frame = await self._ws.receive(timeout=timeout)
            if frame.type is not aiohttp.WSMsgType.TEXT:
                raise ConnectionError(
                    f"server closed the connection during join ({frame.type.name})")
            message = decode(frame.data)
            if not isinstance(message, Pong):
                return message

    async def _lobby_pings(self, interval: float) -> None:
        """Keep a link that waits in the lobby alive (the server drops silent ones)."""
        while (ws := self._ws) is not None:
            try:
                await ws.send_str(encode(Ping(t=asyncio.get_running_loop().time())))
            except (ConnectionError, RuntimeError):
                return  # the socket is gone: the handshake's receive sees it
            await asyncio.sleep(interval)

    def start(self, heartbeat_interval: float, heartbeat_timeout: float) -> None:
        """Start reading, writing and heartbeats (after connect succeeded)."""
        self._tasks.spawn(self._reader())
        self._tasks.spawn(self._writer())
        self._tasks.spawn(self._heartbeat(heartbeat_interval, heartbeat_timeout))

    def send(self, message: Message) -> bool:
        """Queue a message; False when the link is dead (the message is dropped)."""
        if not self.alive:
            return False
        try:
            self._outbox.put_nowait(encode(message))
        except asyncio.QueueFull:
            self._die("outbox full")
            return False
        return True

    async def close(self, goodbye: Message | None = None) -> None:
        """Close the link (idempotent), first sending ``goodbye`` if it is alive."""
        if goodbye is not None and self.alive and self._ws is not None:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(1.0):
                    await self._ws.send_str(encode(goodbye))
        self._dead = True
        if self._handshake is not None:
            self._handshake.cancel()
        await self._drop()

    # -- internals

    def _die(self, reason: str, removed: EndReason | None = None) -> None:
        if self._dead:
            return
        self._dead = True
        log.info("event=link_dead reason=%s removed=%s", reason,
                 removed.value if removed else None)
        self._release_task()
        self._on_dead(reason, removed)

    async def _drop(self) -> None:
        """Release the socket and the HTTP session - once, whoever asks first; every
        caller waits for that one release (two at once would close the session
        under a WebSocket still closing, and leak its connection)."""
        await asyncio.shield(self._release_task())

    def _release_task(self) -> asyncio.Task[None]:
        if self._release is None:
            self._release = asyncio.get_running_loop().create_task(self._release_all())
        return self._release

    async def _release_all(self) -> None:
        self._tasks.cancel_all()
        ws, self._ws = self._ws, None
        if ws is not None and not ws.closed:
            # aiohttp waits _CLOSE_WAIT for the server's close frame, then releases the
            # connection itself; the outer bound only guards against a wedged writer.
            with contextlib.suppress(Exception):
                async with asyncio.timeout(_CLOSE_WAIT + 1.0):
                    await ws.close()
        http, self._http = self._http, None
        if http is not None:
            await http.close()

    async def _reader(self) -> None:
        ws = self._ws
        assert ws is not None
        loop = asyncio.get_running_loop()
        async for frame in ws:
            self._last_rx = loop.time()
            if frame.type is not aiohttp.WSMsgType.TEXT:
                continue
            try:
                message = decode(frame.data)
            except ProtocolError as exc:
                log.warning("event=bad_frame_from_server detail=%s", exc.detail)
                continue
            if isinstance(message, Pong):
                if message.resume_token:
                    self.resume_token = message.resume_token
                continue
            if isinstance(message, Ping):
                self.send(Pong(t=message.t))
                continue
            if isinstance(message, GoingAway):
                self._die(f"server going away ({message.reason})")
                return
            if isinstance(message, RoomClosed):  # at once: not when the close follows
                self._die(f"room closed ({message.reason})", EndReason.ROOM_CLOSED)
                return
            self._on_message(message)
        code = ws.close_code
        self._die(f"closed by server (code {code})", _REMOVALS.get(code or 0))

    async def _writer(self) -> None:
        while True:
            text = await self._outbox.get()
            ws = self._ws
            if ws is None:
                return
            try:
                await ws.send_str(text)
            except (ConnectionError, RuntimeError) as exc:
                self._die(f"send failed: {exc}")
                return

    async def _heartbeat(self, interval: float, timeout: float) -> None:
        loop = asyncio.get_running_loop()
        next_ping = loop.time()
        while True:
            now = loop.time()
            if now >= next_ping:
                self.send(Ping(t=now))
                next_ping = now + interval
            deadline = self._last_rx + timeout
            if now > deadline:
                # Let any frame already in the socket buffer be read before judging:
                # a stall of this process must not pass for a dead network.
                for _ in range(3):
                    await asyncio.sleep(0)
                silent = loop.time() - self._last_rx
                if silent > timeout:
                    self._die(f"no message for {silent:.1f} s")
                    return
                continue
            await asyncio.sleep(max(0.005, min(next_ping, deadline + 0.005) - now))
