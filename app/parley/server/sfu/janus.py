"""A client of Janus's HTTP API on aiohttp: :class:`JanusClient`, one Janus session on
one node (the shipped configuration, packaging/server/janus/, loads only this transport).

Requests are POSTed to the session's or the handle's path and matched to their answers
by transaction: a plugin request that Janus acknowledges first (``ack``) is answered
later by an ``event`` with the same transaction, on the session's long poll. Events that
answer nothing (a renegotiation Janus starts, ``webrtcup``, ``hangup``) go to
``on_event``. A keepalive is sent well inside Janus's session timeout.

The node is *lost* (``on_lost``, once) when the long poll or a keepalive fails (the
process died or its host went away), a keepalive is not answered within
:data:`HUNG_AFTER` (a hung node: a keepalive goes every :data:`KEEPALIVE`), or Janus
reports the session timed out or gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Callable
from typing import Any

import aiohttp

log = logging.getLogger("parley.server.sfu")

VIDEOROOM = "janus.plugin.videoroom"
KEEPALIVE = 1.0
"""Seconds between keepalives: they are the watchdog of a hung node (the shipped
session timeout is 60 s; Janus acks a keepalive at once)."""
HUNG_AFTER = 3.0
"""Seconds a keepalive may go unanswered before the node counts as hung (a stopped
process accepts connections and answers nothing: only this notices it)."""
WATCH_STEP = 0.25
"""Seconds between two looks at an unanswered keepalive. A look that comes late (this
side's own event loop stalled) counts at most twice this toward :data:`HUNG_AFTER`:
a busy server is not a hung node."""
REQUEST_TIMEOUT = 10.0
POLL_TIMEOUT = 45.0
"""Janus answers a long poll after 30 s at the latest (a ``keepalive``)."""
POLL_EVENTS = 10
"""Events one long poll may bring at once."""

Event = dict[str, Any]


class JanusError(Exception):
    """Janus (or its plugin) refused a request."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"janus error {code}: {reason}")
        self.code = code
        self.reason = reason


class JanusClient:
    """One Janus session over Janus's HTTP API.

    Args:
        url: Janus's HTTP API (``http://10.0.0.5:8088/janus``), on a private address.
        api_secret: Janus's ``api_secret``, sent with every request (None: none set).
        on_event: An event that answers no request: (handle id, the whole message).
        on_lost: The node stopped answering or dropped the session (called once, never
            after :meth:`close`).
    """

    def __init__(self, url: str, api_secret: str | None,
                 on_event: Callable[[int, Event], None],
                 on_lost: Callable[[], None] | None = None) -> None:
        self.url = url.rstrip("/")
        self._secret = api_secret
        self._on_event = on_event
        self._on_lost = on_lost
        self._http: aiohttp.ClientSession | None = None
        self._session_id: int | None = None
        self._pending: dict[str, asyncio.Future[Event]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._ended = False
        self.keepalives = 0
        """Keepalives Janus acknowledged (a diagnostic: the watchdog's heartbeat)."""

    @property
    def connected(self) -> bool:
        return self._session_id is not None and not self._ended

    async def connect(self) -> None:
        """Create the Janus session and start its long poll (raises on failure)."""
        self._http = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT))
        try:
            answer = await self._call(self.url, {"janus": "create"})
        except BaseException:
            await self.close()
            raise
        self._session_id = int(answer["data"]["id"])
        loop = asyncio.get_running_loop()
        self._tasks.append(loop.create_task(self._poll(), name="janus-poll"))
        self._tasks.append(loop.create_task(self._keepalive(), name="janus-keepalive"))
        log.info("event=janus_session url=%s", self.url)

    async def attach(self) -> int:
        """A new VideoRoom handle; its id."""
        answer = await self._call(self._session_url, {"janus": "attach", "plugin": VIDEOROOM})
        return int(answer["data"]["id"])

    async def detach(self, handle: int) -> None:
        """Detach a handle (its PeerConnection is hung up); errors are ignored."""
        with contextlib.suppress(JanusError, TimeoutError, ConnectionError,
                                 aiohttp.ClientError):
            await self._call(f"{self._session_url}/{handle}", {"janus": "detach"})

    async def message(self, handle: int, body: dict[str, Any],
                      jsep: dict[str, Any] | None = None) -> Event:
        """A VideoRoom request; the whole answer (``plugindata`` and maybe ``jsep``).

        Raises:
            JanusError: Janus or the plugin refused it.
        """
        request: Event = {"janus": "message", "body": body}
        if jsep is not None:
            request["jsep"] = jsep
        answer = await self._call(f"{self._session_url}/{handle}", request)
        data = answer.get("plugindata", {}).get("data", {})
        if "error_code" in data:
            raise JanusError(int(data["error_code"]), str(data.get("error", "")))
        return answer

    async def close(self) -> None:
        """Destroy the session and stop polling. Idempotent; never calls ``on_lost``."""
        self._on_lost = None
        if self.connected:
            with contextlib.suppress(JanusError, TimeoutError, ConnectionError,
                                     aiohttp.ClientError):
                await self._call(self._session_url, {"janus": "destroy"}, timeout=2.0)
        self._session_id = None
        self._ended = True
        current = asyncio.current_task()
        tasks = [t for t in self._tasks if t is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
        if self._http is not None:
            await self._http.close()
        self._fail_pending("janus session closed")

    # -- internals

    @property
    def _session_url(self) -> str:
        if self._session_id is None or self._ended:
            raise ConnectionError("no janus session")
        return f"{self.url}/{self._session_id}"

    async def _post(self, url: str, request: Event, timeout: float) -> Event:
        if self._http is None or self._http.closed:
            raise ConnectionError("not connected to janus")
        if self._secret is not None:
            request = {**request, "apisecret": self._secret}
        async with self._http.post(url, json=request,
                                   timeout=aiohttp.ClientTimeout(total=timeout)) as response:
            answer: Event = await response.json(content_type=None)
            return answer

    async def _call(self, url: str, request: Event, timeout: float = REQUEST_TIMEOUT) -> Event:
        transaction = secrets.token_hex(8)
        future: asyncio.Future[Event] = asyncio.get_running_loop().create_future()
        self._pending[transaction] = future
        try:
            answer = await self._post(url, {**request, "transaction": transaction}, timeout)
            if answer.get("janus") == "ack":  # the answer comes on the long poll
                answer = await asyncio.wait_for(future, timeout)
        finally:
            self._pending.pop(transaction, None)
        if answer.get("janus") == "error":
            error = answer.get("error", {})
            raise JanusError(int(error.get("code", 0)), str(error.get("reason", "")))
        return answer

    async def _poll(self) -> None:
        assert self._http is not None
        params = {"maxev": str(POLL_EVENTS)}
        if self._secret is not None:
            params["apisecret"] = self._secret
        while not self._ended:
            try:
                async with self._http.get(
                        self._session_url, params=params,
                        timeout=aiohttp.ClientTimeout(total=POLL_TIMEOUT)) as response:
                    answer = await response.json(content_type=None)
            except (aiohttp.ClientError, TimeoutError, ValueError, ConnectionError) as exc:
                self._lost(f"poll failed: {exc!r}")
                return
            for message in answer if isinstance(answer, list) else [answer]:
                if isinstance(message, dict):
                    self._dispatch(message)

    def _dispatch(self, message: Event) -> None:
        kind = message.get("janus")
        if kind == "keepalive":
            return
        future = self._pending.get(str(message.get("transaction")))
        if future is not None and not future.done():
            future.set_result(message)
        elif kind == "timeout" or kind == "error":  # the session is gone on Janus
            self._lost(f"session ended: {message.get('error', kind)}")
        elif isinstance(message.get("sender"), int):
            try:
                self._on_event(int(message["sender"]), message)
            except Exception:
                log.exception("event=janus_event_error")

    async def _keepalive(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._ended:
            await asyncio.sleep(KEEPALIVE)
            # answered by an ack at once, or by an error if the session is gone
            request = loop.create_task(self._post(self._session_url, {
                "janus": "keepalive", "transaction": secrets.token_hex(8)},
                REQUEST_TIMEOUT))
            # its failure is read below, or nobody's once this loop is cancelled (closed)
            request.add_done_callback(lambda t: t.cancelled() or t.exception())
            waited = 0.0
            try:
                while not request.done():
                    looked = loop.time()
                    await asyncio.wait({request}, timeout=WATCH_STEP)
                    waited += min(loop.time() - looked, 2 * WATCH_STEP)
                    if waited >= HUNG_AFTER and not request.done():
                        self._lost(f"keepalive unanswered for {waited:.1f} s")
                        return
            finally:
                request.cancel()  # a no-op once it is done
            try:
                answer = request.result()
            except (aiohttp.ClientError, TimeoutError, ValueError, ConnectionError) as exc:
                self._lost(f"keepalive failed: {exc!r}")
                return
            if answer.get("janus") != "ack":
                self._lost(f"keepalive refused: {answer.get('error')}")
                return
            self.keepalives += 1

    def _lost(self, reason: str) -> None:
        if self._ended:
            return
        self._ended = True
        log.warning("event=janus_lost url=%s reason=%s", self.url, reason)
        self._fail_pending("janus node lost")
        on_lost, self._on_lost = self._on_lost, None
        if on_lost is not None:
            on_lost()

    def _fail_pending(self, why: str) -> None:
        for future in self._pending.values():
            if not future.done():
                future.set_exception(ConnectionError(why))
        self._pending.clear()
