"""The HTTP side against hostile clients: per-address caps, request deadlines, quiet logs.

:class:`PeerGuard` counts per address (IP) what one client may hold: open TCP
connections and joins per second. :class:`HttpGuard` wraps every accepted
connection's protocol so that a connection over its address's cap is dropped at
once, and one that has not sent a whole request within ``header_timeout`` is
dropped too (slowloris). :class:`AcceptErrors` turns asyncio's accept() failure
(out of file descriptors), which it logs with a traceback every time, into one
rate-limited line. :func:`request_refusal` is the built-in server's door:
``Origin``, ``Host`` and the per-launch access key.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import logging
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest

from parley.protocol.defaults import ACCESS_KEY_PARAM
from parley.server.config import ServerConfig, is_loopback_host
from parley.server.limits import TokenBucket
from parley.server.logs import log_event

SERVER_NAME = "parley"
"""What the ``Server`` header says: no versions."""


def is_loopback_address(ip: str) -> bool:
    """True for 127.0.0.0/8 and ::1 (and IPv4-mapped loopback)."""
    try:
        address = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


class RateLimitedLog:
    """Logs an event at most once per ``interval`` s, with how many were left out."""

    def __init__(self, event: str, interval: float = 1.0, level: int = logging.WARNING,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.event, self.interval, self.level = event, interval, level
        self._clock = clock
        self._last = -interval
        self._suppressed = 0

    def __call__(self, **fields: object) -> None:
        """Log once per interval; count the rest."""
        now = self._clock()
        if now - self._last < self.interval:
            self._suppressed += 1
            return
        self._last = now
        log_event(self.event, self.level, suppressed=self._suppressed or None, **fields)
        self._suppressed = 0


class PeerGuard:
    """What each address may hold: open connections, and a join rate."""

    def __init__(self, config: ServerConfig, clock: Callable[[], float] = time.monotonic) -> None:
        self._config = config
        self._clock = clock
        self._open: dict[str, int] = {}
        self._joins: dict[str, TokenBucket] = {}
        self._refused_log = RateLimitedLog("connection_refused")

    def exempt(self, ip: str) -> bool:
        """True when ``ip`` is loopback and the config exempts loopback."""
        return self._config.exempt_loopback and is_loopback_address(ip)

    def source(self, ip: str) -> str | None:
        """What seats of ``ip`` are counted under (None: exempt from the limits)."""
        return None if self.exempt(ip) else ip

    def open(self, ip: str) -> bool:
        """Count a new connection from ``ip``; False (not counted) when over its cap."""
        count = self._open.get(ip, 0)
        if count >= self._config.max_connections_per_ip and not self.exempt(ip):
            self._refused_log(peer=ip, reason="too_many_connections")
            return False
        self._open[ip] = count + 1
        return True

    def close(self, ip: str) -> None:
        """A connection counted by :meth:`open` is gone."""
        count = self._open.get(ip, 0) - 1
        if count > 0:
            self._open[ip] = count
        else:
            self._open.pop(ip, None)

    def connections(self, ip: str) -> int:
        """Open connections from ``ip`` now."""
        return self._open.get(ip, 0)

    def allow_join(self, ip: str) -> bool:
        """Spend one of ``ip``'s joins; False when it joins too fast."""
        if self.exempt(ip):
            return True
        now = self._clock()
        bucket = self._joins.get(ip)
        if bucket is None:
            if len(self._joins) > 4096:
                self._prune(now)
            bucket = self._joins[ip] = TokenBucket(self._config.joins_per_second_per_ip,
                                                   self._config.join_burst_per_ip, now)
        return bucket.take(now)

    def _prune(self, now: float) -> None:
        """Forget buckets that have refilled (an idle address starts full anyway)."""
        full_after = self._config.join_burst_per_ip / self._config.joins_per_second_per_ip
        for ip in [ip for ip, b in self._joins.items() if now - b.last >= full_after]:
            del self._joins[ip]


class _GuardedProtocol(asyncio.Protocol):
    """Wraps aiohttp's request handler for one accepted connection."""

    def __init__(self, guard: HttpGuard, inner: asyncio.Protocol) -> None:
        self._guard = guard
        self._inner = inner
        self._ip: str | None = None
        self._transport: asyncio.Transport | None = None
        self._deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        peer = transport.get_extra_info("peername")
        ip = str(peer[0]) if isinstance(peer, tuple) and peer else "?"
        if not self._guard.peers.open(ip):
            transport.abort()
            return
        self._ip, self._transport = ip, transport
        self._guard.pending[transport] = self
        self.arm()
        self._inner.connection_made(transport)

    def arm(self) -> None:
        """Start the wait for a whole request."""
        self.disarm()
        loop = asyncio.get_running_loop()
        self._deadline = loop.call_later(self._guard.config.header_timeout, self._expire)

    def disarm(self) -> None:
        """A whole request arrived."""
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expire(self) -> None:
        self._deadline = None
        self._guard.slow_log(peer=self._ip)
        if self._transport is not None:
            self._transport.abort()

    def data_received(self, data: bytes) -> None:
        self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received()

    def pause_writing(self) -> None:
        self._inner.pause_writing()

    def resume_writing(self) -> None:
        self._inner.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._ip is None:
            return  # refused in connection_made: aiohttp never saw it
        self.disarm()
        if self._transport is not None:
            self._guard.pending.pop(self._transport, None)
        self._guard.peers.close(self._ip)
        self._ip = None
        self._inner.connection_lost(exc)


class HttpGuard:
    """Makes the protocol factory that ``loop.create_server`` is given."""

    def __init__(self, config: ServerConfig, peers: PeerGuard) -> None:
        self.config = config
        self.peers = peers
        self.pending: dict[asyncio.BaseTransport, _GuardedProtocol] = {}
        self.slow_log = RateLimitedLog("request_timeout")

    def factory(self, server: web.Server, loop: asyncio.AbstractEventLoop,
                **handler_args: Any) -> Callable[[], asyncio.Protocol]:
        """The protocol factory for ``server`` (what ``web.Server()`` makes, with
        ``handler_args`` as its ``RequestHandler`` arguments), every connection guarded."""
        def build() -> asyncio.Protocol:
            return _GuardedProtocol(self, QuietRequestHandler(server, loop=loop,
                                                              **handler_args))
        return build

    @web.middleware
    async def middleware(self, request: web.Request,
                         handler: Callable[[web.Request], Any]) -> web.StreamResponse:
        """A whole request arrived: stop its deadline; a plain HTTP request gets no
        keep-alive (the next request would wait in no deadline)."""
        guarded = self.pending.get(request.transport) if request.transport else None
        if guarded is not None:
            guarded.disarm()
        response: web.StreamResponse = await handler(request)
        if not isinstance(response, web.WebSocketResponse):
            response.force_close()
        return response


class QuietRequestHandler(RequestHandler):
    """aiohttp's handler, but a malformed request (which aiohttp answers itself,
    logging a traceback each time and naming its version in ``Server``) makes one
    rate-limited line and a response without versions. Server bugs (500) are still
    logged whole."""

    def handle_error(self, request: BaseRequest, status: int = 500,
                     exc: BaseException | None = None,
                     message: str | None = None) -> web.StreamResponse:
        if status == 500:
            response = super().handle_error(request, status, exc, message)
        else:
            _bad_request_log(peer=request.remote, status=status,
                             error=type(exc).__name__ if exc else None)
            saved, self.logger = self.logger, _silent
            try:
                response = super().handle_error(request, status, exc, message)
            finally:
                self.logger = saved
        response.headers["Server"] = SERVER_NAME
        return response


_bad_request_log = RateLimitedLog("bad_request", level=logging.INFO)
_silent = logging.getLogger("parley.server.silent")
_silent.addHandler(logging.NullHandler())
_silent.propagate = False


_ACCEPT_RETRY = 1.0
"""asyncio retries accept() this long after it ran out of descriptors."""


class AcceptErrors:
    """While installed, asyncio's "socket.accept() out of system resource" (logged with
    a traceback on every failed accept) becomes one rate-limited ``accept_failed`` line;
    every other loop error goes to the handler that was there before."""

    _MESSAGE = "socket.accept() out of system resource"

    def __init__(self) -> None:
        self._log = RateLimitedLog("accept_failed", level=logging.ERROR)
        self._previous: Callable[[asyncio.AbstractEventLoop, dict[str, Any]], object] | None
        self._previous = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def install(self, loop: asyncio.AbstractEventLoop) -> None:
        """Take the loop's exception handler (chaining to the previous one)."""
        self._loop, self._previous = loop, loop.get_exception_handler()
        loop.set_exception_handler(self._handle)

    def uninstall(self) -> None:
        """Give the loop its previous handler back (unless somebody replaced ours), once
        asyncio's retry of a failed accept() (1 s later) can no longer fire."""
        loop, self._loop = self._loop, None
        if loop is not None:
            loop.call_later(_ACCEPT_RETRY + 0.5, self._restore, loop)

    def _restore(self, loop: asyncio.AbstractEventLoop) -> None:
        if loop.get_exception_handler() == self._handle:
            loop.set_exception_handler(self._previous)

    def _handle(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if context.get("message") == self._MESSAGE:
            exc = context.get("exception")
            self._log(error=getattr(exc, "strerror", None) or type(exc).__name__)
            return
        # asyncio names the failed callback in the context's message ("Exception in
        # callback BaseSelectorEventLoop._start_serving(...)"); that is public, the
        # handle's callback attribute is not.
        if "._start_serving(" in str(context.get("message", "")) \
                and isinstance(context.get("exception"), ValueError | OSError):
            # That retry, after the listening socket was closed by a stop: nothing to serve.
            log_event("accept_retry_after_stop", logging.DEBUG)
            return
        if self._previous is not None:
            self._previous(loop, context)
        else:
            loop.default_exception_handler(context)


def request_refusal(config: ServerConfig, request: web.Request) -> str | None:
    """Why ``request`` may not open a WebSocket here, or None.

    - With an ``access_key`` (the built-in server), ``?key=`` must carry it.
    - A browser's ``Origin`` must be the server's own (same host and port as the
      request's ``Host``) or in ``allowed_origins``; the app sends none.
    - On a loopback server the ``Host`` must be a loopback name too, so that a web
      page whose name was re-pointed at 127.0.0.1 (DNS rebinding) is refused.
    """
    if config.access_key is not None and not hmac.compare_digest(
            request.query.get(ACCESS_KEY_PARAM, "").encode(), config.access_key.encode()):
        return "this server needs its access key (the app that started it has it)"
    host = request.headers.get("Host", "")
    if is_loopback_host(config.host) and not is_loopback_host(_hostname(host)):
        return "this server answers only to a loopback address"
    origin = request.headers.get("Origin")
    if origin is not None and not _origin_allowed(origin, host, config.allowed_origins):
        return f"web pages from {origin[:100]!r} may not connect"
    return None


def _hostname(host: str) -> str:
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _origin_allowed(origin: str, host: str, allowed: tuple[str, ...]) -> bool:
    if "*" in allowed or origin in allowed:
        return True
    scheme, sep, rest = origin.partition("://")
    if not sep or scheme not in ("http", "https") or "/" in rest:
        return False  # "null" (a file or a sandbox) and anything odd
    return rest.lower() == host.lower()
