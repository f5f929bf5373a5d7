"""Hand-made WebSocket traffic for attacks aiohttp's client will not send: a raw
handshake from any loopback source address, single frames with any opcode and FIN bit,
and clients bound to 127.0.0.x (each a different "address" for the per-IP limits)."""

from __future__ import annotations

import asyncio
import base64
import os
import struct

TEXT, BINARY, CLOSE, PING, PONG, CONTINUATION = 0x1, 0x2, 0x8, 0x9, 0xA, 0x0


def frame(opcode: int, payload: bytes, fin: bool = True) -> bytes:
    """One masked client frame."""
    head = bytes([(0x80 if fin else 0) | opcode])
    n = len(payload)
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 1 << 16:
        head += bytes([0x80 | 126]) + struct.pack("!H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack("!Q", n)
    mask = os.urandom(4)
    body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return head + mask + body


async def read_frame(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """One (unmasked) server frame: (opcode, payload)."""
    b0, b1 = await reader.readexactly(2)
    n = b1 & 0x7F
    if n == 126:
        (n,) = struct.unpack("!H", await reader.readexactly(2))
    elif n == 127:
        (n,) = struct.unpack("!Q", await reader.readexactly(8))
    return b0 & 0x0F, await reader.readexactly(n)


def handshake(port: int, path: str = "/ws", host: str = "127.0.0.1",
              extra: str = "") -> bytes:
    key = base64.b64encode(os.urandom(16)).decode()
    return (f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            f"Sec-WebSocket-Version: 13\r\n{extra}\r\n").encode()


async def open_raw(port: int, source: str = "127.0.0.1", upgrade: bool = True
                   ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A TCP connection from ``source``; with ``upgrade``, after a completed handshake."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
    if upgrade:
        writer.write(handshake(port))
        status = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        assert status.startswith(b"HTTP/1.1 101"), status[:200]
    return reader, writer


async def closed_within(reader: asyncio.StreamReader, timeout: float) -> int | None:
    """Read until the server closes; the close code it sent (None: the TCP link dropped)."""
    async def drain() -> int | None:
        while True:
            try:
                opcode, payload = await read_frame(reader)
            except (asyncio.IncompleteReadError, ConnectionError):
                return None
            if opcode == CLOSE:
                return int.from_bytes(payload[:2], "big") if payload else 1005
    return await asyncio.wait_for(drain(), timeout)
