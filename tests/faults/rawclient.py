"""Protocol-level clients for bad-input tests: they send what a real SDK never would.

``RawClient`` is a WebSocket that can send any text or bytes and reads what
the server answers, close codes included. ``StalledClient`` is a bare TCP
socket with a tiny receive buffer that completes the WebSocket handshake,
joins, keeps sending pings and never reads again. ``close_code_after`` sends one
hand-made frame (bytes no WebSocket library would send) and returns the close code.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import socket
import struct
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from parley.protocol.messages import Join, Message, Ping, Pong, Welcome, decode, encode

TIMEOUT = 5.0


@dataclass(frozen=True)
class Closed:
    """The server closed the socket (``code`` None when the TCP connection just died)."""

    code: int | None


class RawClient:
    def __init__(self, url: str) -> None:
        self.url = url
        self.http: aiohttp.ClientSession | None = None
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.welcome: Welcome | None = None
        self.seen: list[Message] = []
        self._keepalive: asyncio.Task[None] | None = None

    async def __aenter__(self) -> RawClient:
        self.http = aiohttp.ClientSession()
        self.ws = await self.http.ws_connect(self.url, autoping=True, heartbeat=None,
                                             max_msg_size=4 << 20)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._keepalive is not None:
            self._keepalive.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._keepalive
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.ws.close(), 2)
        if self.http is not None:
            await self.http.close()

    @property
    def pid(self) -> str:
        assert self.welcome is not None
        return self.welcome.participant_id

    async def send(self, message: Message) -> None:
        await self.send_raw(encode(message))

    async def send_raw(self, data: str | bytes) -> None:
        assert self.ws is not None
        if isinstance(data, bytes):
            await self.ws.send_bytes(data)
        else:
            await self.ws.send_str(data)

    async def next(self, timeout: float = TIMEOUT) -> Message | Closed:
        assert self.ws is not None
        msg = await self.ws.receive(timeout=timeout)
        if msg.type is aiohttp.WSMsgType.TEXT:
            return decode(msg.data)
        if msg.type is aiohttp.WSMsgType.CLOSE:
            return Closed(int(msg.data))
        return Closed(self.ws.close_code)

    async def join(self, session_id: str, name: str, token: str | None = None,
                   **kw: Any) -> Message | Closed:
        """Send a join; the welcome (kept) or whatever came instead."""
        await self.send(Join(session_id=session_id, display_name=name, token=token, **kw))
        reply = await self.next()
        if isinstance(reply, Welcome):
            self.welcome = reply
        return reply

    async def until_pong(self, t: float, timeout: float = TIMEOUT) -> tuple[list[Message],
                                                                           Closed | None]:
        """Ping with ``t``; everything that arrives before its pong, or the close."""
        got: list[Message] = []
        try:
            await self.send(Ping(t=t))
        except (ConnectionError, RuntimeError):
            return got, Closed(self.ws.close_code if self.ws else None)
        while True:
            reply = await self.next(timeout)
            if isinstance(reply, Closed):
                return got, reply
            if isinstance(reply, Pong) and reply.t == t:
                return got, None
            got.append(reply)

    def keep_alive(self) -> None:
        """Ping every 0.5 s and record every message but pongs in ``seen`` (background)."""
        self._keepalive = asyncio.get_running_loop().create_task(self._alive())

    async def _alive(self) -> None:
        assert self.ws is not None
        ws = self.ws

        async def ping() -> None:
            while True:
                await ws.send_str(encode(Ping(t=time.time())))
                await asyncio.sleep(0.5)

        pinger = asyncio.get_running_loop().create_task(ping())
        try:
            async for msg in ws:
                if msg.type is aiohttp.WSMsgType.TEXT:
                    message = decode(msg.data)
                    if not isinstance(message, Pong):
                        self.seen.append(message)
        finally:
            pinger.cancel()


def _frame(payload: bytes, opcode: int = 0x1) -> bytes:
    """One masked client frame."""
    mask = os.urandom(4)
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
    elif n < 1 << 16:
        head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


class StalledClient:
    """Joins over a hand-made WebSocket, then only writes (pings), never reads."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host, self.port, self.path = parts.hostname or "", parts.port or 80, parts.path
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self._pinger: asyncio.Task[None] | None = None
        self.pid = ""

    async def join(self, session_id: str, name: str, token: str) -> str:
        loop = asyncio.get_running_loop()
        await _upgrade(self.sock, self.host, self.port, self.path)
        join = Join(session_id=session_id, display_name=name, token=token)
        await loop.sock_sendall(self.sock, _frame(encode(join).encode()))
        first = await loop.sock_recv(self.sock, 2)
        length = first[1] & 0x7F
        if length == 126:
            length = struct.unpack("!H", await _exactly(self.sock, 2))[0]
        welcome = decode(await _exactly(self.sock, length))
        assert isinstance(welcome, Welcome), welcome
        self.pid = welcome.participant_id
        self._pinger = loop.create_task(self._ping())
        return self.pid

    async def _ping(self) -> None:
        loop = asyncio.get_running_loop()
        with contextlib.suppress(OSError):
            while True:
                await loop.sock_sendall(self.sock, _frame(encode(Ping(t=1.0)).encode()))
                await asyncio.sleep(0.5)

    async def close(self) -> None:
        if self._pinger is not None:
            self._pinger.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pinger
        self.sock.close()


async def _upgrade(sock: socket.socket, host: str, port: int, path: str) -> None:
    """Connect ``sock`` and complete the WebSocket handshake, leaving frames unread."""
    loop = asyncio.get_running_loop()
    sock.setblocking(False)
    await loop.sock_connect(sock, (host, port))
    key = base64.b64encode(os.urandom(16)).decode()
    await loop.sock_sendall(sock, (
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += await loop.sock_recv(sock, 1)  # byte by byte: leave frames unread
    assert head.startswith(b"HTTP/1.1 101"), head


async def _exactly(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = await asyncio.get_running_loop().sock_recv(sock, n - len(data))
        if not chunk:
            raise ConnectionError(f"closed after {len(data)} of {n} bytes")
        data += chunk
    return data


async def close_code_after(url: str, payload: bytes, opcode: int = 0x1) -> int | None:
    """Send one hand-made frame of raw bytes (aiohttp's send_str refuses invalid UTF-8)
    on a fresh WebSocket and return the code of the close frame the server answers with
    (None when the connection ends without one)."""
    parts = urlsplit(url)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        await asyncio.wait_for(_upgrade(sock, parts.hostname or "", parts.port or 80,
                                        parts.path), TIMEOUT)
        await asyncio.get_running_loop().sock_sendall(sock, _frame(payload, opcode))
        while True:  # server frames are unmasked
            first, second = await asyncio.wait_for(_exactly(sock, 2), TIMEOUT)
            length = second & 0x7F
            if length == 126:
                length = struct.unpack("!H", await _exactly(sock, 2))[0]
            elif length == 127:
                length = struct.unpack("!Q", await _exactly(sock, 8))[0]
            body = await asyncio.wait_for(_exactly(sock, length), TIMEOUT)
            if first & 0x0F == 0x8:
                return int(struct.unpack("!H", body[:2])[0]) if len(body) >= 2 else None
    except ConnectionError:
        return None
    finally:
        sock.close()
