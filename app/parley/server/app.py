"""The aiohttp application and :class:`CallServer`, the embeddable call server."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from importlib import metadata
from types import TracebackType

import aiohttp
from aiohttp import web

from parley.protocol.closecodes import CloseCode
from parley.protocol.defaults import WS_PATH
from parley.protocol.messages import GoingAway, encode
from parley.server.config import ServerConfig
from parley.server.connection import Connection
from parley.server.hub import Hub
from parley.server.keys import resume_key
from parley.server.logs import log_event
from parley.server.web import add_web_routes

HEALTH_PATH = "/health"
_MAX_TRANSPORT_MESSAGE = 1024 * 1024
"""aiohttp's own limit sits above ours so that we, not aiohttp, answer FRAME_TOO_LARGE."""
_STOP_GRACE = 3.0


def _version() -> str:
    # Not ``parley.__version__``: importing the root package may reach the SDK,
    # which the server must not depend on (see the import-linter contracts).
    try:
        return metadata.version("parley")
    except metadata.PackageNotFoundError:
        return "0+unknown"


VERSION = _version()


class CallServer:
    """A Parley call server on one host and port.

    Example::

        async with CallServer(ServerConfig(port=0)) as server:
            print(server.url)          # ws://127.0.0.1:<port>/ws

    Args:
        config: the settings; None = ``ServerConfig()``.
        hub: builds the room logic on each start from the config and the resume key;
            a :class:`Hub` subclass goes here when a test must inject a fault.
    """

    def __init__(self, config: ServerConfig | None = None,
                 hub: Callable[..., Hub] = Hub,
                 clock: Callable[[], float] = time.time) -> None:
        """``hub`` makes the hub from (config, resume key, clock), a seam for tests that
        inject a faulty hub; ``clock`` is the wall clock grants and resume tokens are judged
        by (a seam for tests: expiry without waiting)."""
        self.config = config if config is not None else ServerConfig()
        self._make_hub = hub
        self._clock = clock
        self._runner: web.AppRunner | None = None
        self._hub: Hub | None = None
        self._connections: set[Connection] = set()
        self._port: int | None = None
        self._stopping = False
        self._stop_task: asyncio.Future[None] | None = None

    @property
    def port(self) -> int:
        """The TCP port listened on (the real one when the config said 0)."""
        if self._port is None:
            raise RuntimeError("the server is not started")
        return self._port

    @property
    def url(self) -> str:
        """The WebSocket URL clients connect to, ``ws://host:port/ws``."""
        host = self.config.host
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        return f"ws://{host}:{self.port}{WS_PATH}"

    @property
    def running(self) -> bool:
        """True between :meth:`start` and :meth:`stop`."""
        return self._runner is not None

    async def start(self) -> str:
        """Listen; return the WebSocket URL.

        Raises:
            OSError: the address cannot be bound.
            RuntimeError: already started.
        """
        if self._runner is not None:
            raise RuntimeError("the server is already started")
        self._hub = self._make_hub(self.config, resume_key(self.config), self._clock)
        self._stopping = False
        app = web.Application()
        app.router.add_get(WS_PATH, self._serve_ws)
        app.router.add_get(HEALTH_PATH, self._health)
        add_web_routes(app)  # the browser guest at /join/<room>
        runner = web.AppRunner(app, access_log=None, handle_signals=False,
                               shutdown_timeout=_STOP_GRACE)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.config.host, self.config.port)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self._port = _bound_port(runner, self.config.port)
        log_event("listening", host=self.config.host, port=self._port,
                  auth="token" if self.config.secret else "open",
                  turn=len(self.config.turn_urls) or None)
        return self.url

    async def stop(self, graceful: bool = True) -> None:
        """Stop serving; idempotent (a concurrent second call waits for the first).

        Args:
            graceful: send ``going_away`` and close every socket with 1001 (seats
                stay resumable on a replacement server). False drops every
                socket at once, as a crash would (for fault tests).
        """
        if self._runner is None:
            return
        if self._stop_task is None:
            self._stop_task = asyncio.ensure_future(self._stop(graceful))
        await asyncio.shield(self._stop_task)

    async def _stop(self, graceful: bool) -> None:
        runner, hub = self._runner, self._hub
        assert runner is not None and hub is not None
        self._stopping = True
        # Stop listening first: a client reconnecting during the shutdown must be
        # refused at once (and retry the replacement), not accepted by a dying server.
        for site in list(runner.sites):
            await site.stop()
        hub.stop()
        connections = list(self._connections)
        for conn in connections:
            if graceful:
                conn.send(self._going_away())
                conn.close(CloseCode.GOING_AWAY, "shutdown")
            else:
                conn.abort()
        if connections:
            waiters = [asyncio.ensure_future(c.finished.wait()) for c in connections]
            _done, pending = await asyncio.wait(waiters, timeout=_STOP_GRACE)
            for waiter in pending:
                waiter.cancel()
        await runner.cleanup()
        self._runner = None
        self._stop_task = None
        log_event("stopped", graceful=graceful, connections=len(connections))

    def _going_away(self) -> GoingAway:
        return GoingAway(reason="shutdown", retry_after=self.config.shutdown_retry_after)

    async def __aenter__(self) -> CallServer:
        await self.start()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.stop()

    # ------------------------------------------------------------ handlers

    async def _serve_ws(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(max_msg_size=max(_MAX_TRANSPORT_MESSAGE,
                                                    2 * self.config.max_frame_bytes),
                                   heartbeat=None, timeout=1.0)
        try:
            await ws.prepare(request)
        except (ConnectionError, aiohttp.ClientConnectionResetError):
            # The client gave up before the handshake finished (e.g. its connect timed
            # out while this process was stalled): nothing to serve.
            log_event("handshake_abandoned", peer=request.remote or "?")
            # Not `ws`: aiohttp would try to close an unprepared WebSocket. A plain
            # response to a closing transport is dropped quietly.
            return web.Response(status=499, text="handshake abandoned")
        hub = self._hub
        if hub is None or self._stopping:
            await ws.send_str(encode(self._going_away()))
            await ws.close(code=CloseCode.GOING_AWAY, message=b"shutdown")
            return ws
        conn = Connection(ws, request, self.config, hub)
        self._connections.add(conn)
        log_event("connect", logging.DEBUG, link=conn.label, peer=request.remote)
        try:
            await conn.run()
        finally:
            self._connections.discard(conn)
        return ws

    async def _health(self, request: web.Request) -> web.Response:
        rooms, participants = self._hub.counts() if self._hub else (0, 0)
        return web.json_response({"status": "ok", "version": VERSION,
                                  "rooms": rooms, "participants": participants})


def _bound_port(runner: web.AppRunner, requested: int) -> int:
    for address in runner.addresses:
        if isinstance(address, tuple) and len(address) >= 2:
            return int(address[1])
    return requested
