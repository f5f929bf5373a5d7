"""A client of Janus's WebSocket API (the ``janus-protocol`` subprotocol) on aiohttp:
:class:`JanusClient`, one Janus session over one socket.

Requests are matched to their answers by transaction: a plugin request that Janus
acknowledges first (``ack``) is answered later by an ``event`` with the same
transaction. Events that answer nothing (a renegotiation Janus starts, ``webrtcup``,
``hangup``) go to ``on_event``. A keepalive is sent well inside Janus's session timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections.abc import Callable
from typing import Any

import aiohttp

log = logging.getLogger("parley.server.sfu")

VIDEOROOM = "janus.plugin.videoroom"
KEEPALIVE = 25.0
"""Seconds between keepalives (Janus's default session timeout is 60 s)."""
REQUEST_TIMEOUT = 10.0

Event = dict[str, Any]


class JanusError(Exception):
    """Janus (or its plugin) refused a request."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"janus error {code}: {reason}")
        self.code = code
        self.reason = reason


class JanusClient:
    """One Janus session over one WebSocket.

    Args:
        url: Janus's WebSocket API (``ws://10.0.0.5:8188``), on a private address.
        api_secret: Janus's ``api_secret``, sent with every request (None: none set).
        on_event: An event that answers no request: (handle id, the whole message).
    """

    def __init__(self, url: str, api_secret: str | None,
                 on_event: Callable[[int, Event], None]) -> None:
        self.url = url
        self._secret = api_secret
        self._on_event = on_event
        self._http: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._session_id: int | None = None
        self._pending: dict[str, asyncio.Future[Event]] = {}
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def connected(self) -> bool:
        return self._session_id is not None and self._ws is not None and not self._ws.closed

    async def connect(self) -> None:
        """Open the socket and create the Janus session (raises on failure)."""
        self._http = aiohttp.ClientSession()
        try:
            self._ws = await self._http.ws_connect(self.url, protocols=("janus-protocol",),
                                                   max_msg_size=4 * 1024 * 1024)
        except BaseException:
            await self.close()
            raise
        loop = asyncio.get_running_loop()
        self._tasks.append(loop.create_task(self._read(), name="janus-read"))
        answer = await self._call({"janus": "create"})
        self._session_id = int(answer["data"]["id"])
        self._tasks.append(loop.create_task(self._keepalive(), name="janus-keepalive"))
        log.info("event=janus_session url=%s", self.url)

    async def attach(self) -> int:
        """A new VideoRoom handle; its id."""
        answer = await self._call({"janus": "attach", "plugin": VIDEOROOM})
        return int(answer["data"]["id"])

    async def detach(self, handle: int) -> None:
        """Detach a handle (its PeerConnection is hung up); errors are ignored."""
        with contextlib.suppress(JanusError, TimeoutError, ConnectionError):
            await self._call({"janus": "detach", "handle_id": handle})

    async def message(self, handle: int, body: dict[str, Any],
                      jsep: dict[str, Any] | None = None) -> Event:
        """A VideoRoom request; the whole answer (``plugindata`` and maybe ``jsep``).

        Raises:
            JanusError: Janus or the plugin refused it.
        """
        request: Event = {"janus": "message", "handle_id": handle, "body": body}
        if jsep is not None:
            request["jsep"] = jsep
        answer = await self._call(request)
        data = answer.get("plugindata", {}).get("data", {})
        if "error_code" in data:
            raise JanusError(int(data["error_code"]), str(data.get("error", "")))
        return answer

    async def close(self) -> None:
        """Destroy the session and close the socket. Idempotent."""
        if self._session_id is not None and self.connected:
            with contextlib.suppress(JanusError, TimeoutError, ConnectionError):
                await self._call({"janus": "destroy"}, timeout=2.0)
        self._session_id = None
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        if self._ws is not None:
            await self._ws.close()
        if self._http is not None:
            await self._http.close()
        for future in self._pending.values():
            if not future.done():
                future.set_exception(ConnectionError("janus connection closed"))
        self._pending.clear()

    # -- internals

    async def _call(self, request: Event, timeout: float = REQUEST_TIMEOUT) -> Event:
        if self._ws is None or self._ws.closed:
            raise ConnectionError("not connected to janus")
        transaction = secrets.token_hex(8)
        request = {**request, "transaction": transaction}
        if self._session_id is not None:
            request["session_id"] = self._session_id
        if self._secret is not None:
            request["apisecret"] = self._secret
        future: asyncio.Future[Event] = asyncio.get_running_loop().create_future()
        self._pending[transaction] = future
        try:
            await self._ws.send_str(json.dumps(request))
            answer = await asyncio.wait_for(future, timeout)
        finally:
            self._pending.pop(transaction, None)
        if answer.get("janus") == "error":
            error = answer.get("error", {})
            raise JanusError(int(error.get("code", 0)), str(error.get("reason", "")))
        return answer

    async def _read(self) -> None:
        assert self._ws is not None
        async for frame in self._ws:
            if frame.type is not aiohttp.WSMsgType.TEXT:
                continue
            try:
                message = json.loads(frame.data)
            except ValueError:
                log.warning("event=janus_bad_frame")
                continue
            self._dispatch(message)
        log.warning("event=janus_disconnected url=%s", self.url)
        for future in self._pending.values():
            if not future.done():
                future.set_exception(ConnectionError("janus connection lost"))

    def _dispatch(self, message: Event) -> None:
        kind = message.get("janus")
        if kind in ("ack", "keepalive"):
            return  # an event with the same transaction follows an ack
        future = self._pending.get(str(message.get("transaction")))
        if future is not None and not future.done():
            future.set_result(message)
            return
        sender = message.get("sender")
        if isinstance(sender, int):
            try:
                self._on_event(sender, message)
            except Exception:
                log.exception("event=janus_event_error")

    async def _keepalive(self) -> None:
        while self._ws is not None and not self._ws.closed:
            await asyncio.sleep(KEEPALIVE)
            request: Event = {"janus": "keepalive", "session_id": self._session_id,
                              "transaction": secrets.token_hex(8)}
            if self._secret is not None:
                request["apisecret"] = self._secret
            try:  # answered by an ack, which nobody waits for
                await self._ws.send_str(json.dumps(request))
            except ConnectionError as exc:
                log.warning("event=janus_keepalive_failed error=%r", exc)
