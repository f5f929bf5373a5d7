"""The aiohttp application and :class:`CallServer`, the embeddable call server."""

from __future__ import annotations

import asyncio
import hmac
import logging
import ssl
import time
from collections.abc import Callable
from importlib import metadata
from types import TracebackType
from typing import Any

import aiohttp
from aiohttp import web

from parley.protocol.closecodes import CloseCode
from parley.protocol.defaults import ACCESS_KEY_PARAM, WS_PATH
from parley.protocol.messages import GoingAway, encode
from parley.server.config import ServerConfig
from parley.server.connection import Connection
from parley.server.guard import SERVER_NAME, AcceptErrors, HttpGuard, PeerGuard, request_refusal
from parley.server.hub import Hub
from parley.server.keys import resume_key
from parley.server.logs import log_event
from parley.server.web import add_web_routes

HEALTH_PATH = "/health"
_STOP_GRACE = 3.0
_KEEPALIVE = 5.0
"""Seconds an idle HTTP connection is kept (plain requests get none: see guard.py)."""


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
        self._listener: asyncio.Server | None = None
        self._accept_errors = AcceptErrors()
        self._peers = PeerGuard(self.config)
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
        """The WebSocket URL clients connect to, ``ws://host:port/ws`` (``wss://``
        with a TLS certificate; with ``?key=`` when the config has an ``access_key``)."""
        host = self.config.host
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        key = f"?{ACCESS_KEY_PARAM}={self.config.access_key}" if self.config.access_key else ""
        scheme = "wss" if self.config.tls_cert is not None else "ws"
        return f"{scheme}://{host}:{self.port}{WS_PATH}{key}"

    @property
    def running(self) -> bool:
        """True between :meth:`start` and :meth:`stop`."""
        return self._runner is not None

    async def start(self) -> str:
        """Listen; return the WebSocket URL.

        Raises:
            OSError: the address cannot be bound.
            ValueError: the TLS certificate or key cannot be used.
            UnsafeStateError: the state directory or a key in it is not private.
            RuntimeError: already started.
        """
        if self._runner is not None:
            raise RuntimeError("the server is already started")
        tls = _tls_context(self.config)  # a bad certificate fails before anything starts
        self._hub = self._make_hub(self.config, resume_key(self.config), self._clock)
        self._stopping = False
        guard = HttpGuard(self.config, self._peers)
        app = web.Application(middlewares=[guard.middleware], client_max_size=4096)
        app.router.add_get(WS_PATH, self._serve_ws)
        app.router.add_get(HEALTH_PATH, self._health)
        add_web_routes(app)  # the browser guest at /join/<room>
        app.on_response_prepare.append(_name_server)
        handler_args: dict[str, Any] = {"access_log": None, "keepalive_timeout": _KEEPALIVE,
                                        "lingering_time": self.config.body_timeout}
        runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=_STOP_GRACE,
                               **handler_args)
        await runner.setup()
        loop = asyncio.get_running_loop()
        try:
            assert runner.server is not None
            self._listener = await loop.create_server(
                guard.factory(runner.server, loop, **handler_args), self.config.host,
                self.config.port, backlog=512, ssl=tls,
                ssl_handshake_timeout=self.config.header_timeout if tls else None)
        except BaseException:
            await runner.cleanup()
            raise
        self._accept_errors.install(loop)
        self._runner = runner
        self._port = _bound_port(self._listener, self.config.port)
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
        if self._listener is not None:
            self._listener.close()
            self._listener = None
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
        await hub.sfu.close()
        self._accept_errors.uninstall()
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
        refusal = request_refusal(self.config, request)
        if refusal is not None:
            log_event("ws_refused", logging.INFO, peer=request.remote or "?", reason=refusal)
            return web.Response(status=403, text=refusal)
        # The protocol's limit is aiohttp's too, so that no socket can make the server
        # buffer more (a fragmented message is counted as it arrives); PINGs are ours.
        # (aiohttp's limit is exclusive: one more byte than ours.)
        ws = web.WebSocketResponse(max_msg_size=self.config.max_frame_bytes + 1,
                                   compress=self.config.ws_compression, autoping=False,
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
        conn = Connection(ws, request, self.config, hub, self._peers)
        self._connections.add(conn)
        log_event("connect", logging.DEBUG, link=conn.label, peer=request.remote)
        try:
            await conn.run()
        finally:
            self._connections.discard(conn)
        return ws

    async def _health(self, request: web.Request) -> web.Response:
        """"ok"; with the admin token (``Authorization: Bearer ...``) also the counts and
        the version, which are nobody else's business."""
        token = self.config.admin_token
        given = request.headers.get("Authorization", "")
        if token is None or not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return web.Response(text="ok")
        rooms, participants = self._hub.counts() if self._hub else (0, 0)
        return web.json_response({"status": "ok", "version": VERSION,
                                  "rooms": rooms, "participants": participants})


async def _name_server(request: web.Request, response: web.StreamResponse) -> None:
    response.headers["Server"] = SERVER_NAME


def _bound_port(listener: asyncio.Server, requested: int) -> int:
    for sock in listener.sockets:
        address = sock.getsockname()
        if isinstance(address, tuple) and len(address) >= 2:
            return int(address[1])
    return requested


def _tls_context(config: ServerConfig) -> ssl.SSLContext | None:
    """The server's TLS context (TLS 1.2 or later), or None without a certificate.

    Raises:
        ValueError: the certificate or the key cannot be read, or they do not match.
    """
    if config.tls_cert is None or config.tls_key is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(config.tls_cert, config.tls_key)
    except OSError as exc:  # ssl.SSLError is one
        raise ValueError(f"cannot use the TLS certificate {config.tls_cert} with the key "
                         f"{config.tls_key}: {exc}") from exc
    return context
