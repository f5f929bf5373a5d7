"""LAN discovery of hosted calls over DNS-SD/mDNS (``_parley._tcp``), with ``zeroconf``.

A hosted call is announced with its room name and the host's display name - never a
token: whoever finds it joins without one, so it goes through Ask to join (the
lobby). Qt-free: zeroconf runs in its own thread; its blocking calls run in the
loop's executor and every result is handed to the loop's thread, where the callbacks
run (under qasync, the Qt main thread).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from zeroconf import ServiceBrowser, ServiceInfo, ServiceStateChange, Zeroconf

from parley.protocol.defaults import WS_PATH
from parley.protocol.ids import is_valid_session_id

log = logging.getLogger(__name__)

SERVICE_TYPE = "_parley._tcp.local."
_RESOLVE_MS = 3000
_MAX_INSTANCE = 63  # DNS label limit (bytes)


@dataclass(frozen=True)
class DiscoveredCall:
    """A call announced on this network."""

    session_id: str
    """The call's room name."""
    host_name: str
    """The host's display name, as announced (nobody vouches for it)."""
    server: str
    """The call server's WebSocket URL (``ws://address:port/ws``)."""
    instance: str = ""
    """The DNS-SD instance name (what identifies the announcement)."""


def instance_name(session_id: str, host_name: str) -> str:
    """The DNS-SD instance name for a call: "<host>'s call (<room>)", cut to 63 bytes."""
    text = f"{host_name}'s call ({session_id})"
    while len(text.encode("utf-8")) > _MAX_INSTANCE:
        text = text[:-1]
    return text.replace(".", "\u2024")  # a dot would split the DNS name


def service_info(session_id: str, host_name: str, port: int,
                 addresses: Sequence[str]) -> ServiceInfo:
    """The announcement of one call: its room and host's name, never a token."""
    packed = [ipaddress.ip_address(a).packed for a in addresses]
    return ServiceInfo(
        SERVICE_TYPE, f"{instance_name(session_id, host_name)}.{SERVICE_TYPE}",
        port=port, addresses=packed,
        properties={"v": "1", "room": session_id, "host": host_name, "path": WS_PATH},
        server=f"{socket.gethostname().split('.')[0] or 'parley'}.local.",
    )


def call_from_info(info: ServiceInfo) -> DiscoveredCall | None:
    """What an announcement says, or None when it is not a usable Parley call."""
    props = {_text(k): _text(v) for k, v in info.properties.items()}
    room, host, path = props.get("room"), props.get("host") or "", props.get("path") or WS_PATH
    addresses = info.parsed_addresses()
    if not room or not is_valid_session_id(room) or not addresses or not info.port:
        return None
    address = next((a for a in addresses if ":" not in a), addresses[0])
    shown = f"[{address}]" if ":" in address else address
    if not path.startswith("/"):
        path = WS_PATH
    return DiscoveredCall(room, host[:64], f"ws://{shown}:{info.port}{path}", info.name)


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return "" if value is None else str(value)


class Announcer:
    """Announces one hosted call until :meth:`stop`.

    Args:
        zeroconf: Makes the Zeroconf instance (a seam: tests choose interfaces).
    """

    def __init__(self, zeroconf: Callable[[], Zeroconf] = Zeroconf) -> None:
        self._make = zeroconf
        self._zc: Zeroconf | None = None
        self._info: ServiceInfo | None = None

    @property
    def announcing(self) -> bool:
        return self._info is not None

    async def start(self, session_id: str, host_name: str, port: int,
                    addresses: Sequence[str]) -> None:
        """Announce the call (a previous announcement is withdrawn first)."""
        await self.stop()
        info = service_info(session_id, host_name, port, addresses)
        loop = asyncio.get_running_loop()
        zc = self._zc if self._zc is not None else await loop.run_in_executor(None, self._make)
        self._zc = zc
        await loop.run_in_executor(None, lambda: zc.register_service(
            info, allow_name_change=True))
        self._info = info
        log.info("announcing %s on port %s", info.name, port)

    async def stop(self) -> None:
        """Withdraw the announcement (idempotent)."""
        info, zc = self._info, self._zc
        self._info = None
        if info is not None and zc is not None:
            await asyncio.get_running_loop().run_in_executor(None, zc.unregister_service, info)

    async def close(self) -> None:
        """Withdraw and release the network (idempotent)."""
        await self.stop()
        zc, self._zc = self._zc, None
        if zc is not None:
            await asyncio.get_running_loop().run_in_executor(None, zc.close)


class CallBrowser:
    """Watches the network for announced calls.

    Args:
        on_change: Told the calls found (every one, in the order found) on every change,
            on the loop's thread.
        zeroconf: Makes the Zeroconf instance (a seam: tests choose interfaces).
    """

    def __init__(self, on_change: Callable[[tuple[DiscoveredCall, ...]], None],
                 zeroconf: Callable[[], Zeroconf] = Zeroconf) -> None:
        self._on_change = on_change
        self._make = zeroconf
        self._zc: Zeroconf | None = None
        self._browser: ServiceBrowser | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._calls: dict[str, DiscoveredCall] = {}
        self._ignore: set[str] = set()

    @property
    def calls(self) -> tuple[DiscoveredCall, ...]:
        return tuple(c for name, c in self._calls.items() if name not in self._ignore)

    @property
    def running(self) -> bool:
        return self._browser is not None

    def ignore(self, instances: set[str]) -> None:
        """Leave these announcements out (our own hosted call)."""
        self._ignore = set(instances)
        self._on_change(self.calls)

    async def start(self) -> None:
        """Start browsing (idempotent)."""
        if self._browser is not None:
            return
        self._loop = loop = asyncio.get_running_loop()
        self._zc = zc = await loop.run_in_executor(None, self._make)
        self._browser = ServiceBrowser(zc, SERVICE_TYPE, handlers=[self._changed])

    async def stop(self) -> None:
        """Stop browsing and forget what was found (idempotent)."""
        browser, zc = self._browser, self._zc
        self._browser = self._zc = None
        if self._calls:
            self._calls.clear()
            self._on_change(())
        loop = asyncio.get_running_loop()
        if browser is not None:
            await loop.run_in_executor(None, browser.cancel)
        if zc is not None:
            await loop.run_in_executor(None, zc.close)

    # -- zeroconf's thread --------------------------------------------------------------

    def _changed(self, zeroconf: Zeroconf, service_type: str, name: str,
                 state_change: ServiceStateChange) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        if state_change is ServiceStateChange.Removed:
            loop.call_soon_threadsafe(self._removed, name)
        else:
            loop.call_soon_threadsafe(self._resolve, zeroconf, service_type, name)

    # -- the loop's thread --------------------------------------------------------------

    def _resolve(self, zeroconf: Zeroconf, service_type: str, name: str) -> None:
        assert self._loop is not None
        future = self._loop.run_in_executor(None, zeroconf.get_service_info, service_type,
                                            name, _RESOLVE_MS)
        future.add_done_callback(lambda f: self._resolved(name, f))

    def _resolved(self, name: str, future: asyncio.Future[ServiceInfo | None]) -> None:
        if self._browser is None or future.cancelled():
            return
        if future.exception() is not None:
            log.info("could not resolve %s: %r", name, future.exception())
            return
        info = future.result()
        call = call_from_info(info) if info is not None else None
        if call is None or self._calls.get(name) == call:
            return
        self._calls[name] = call
        self._on_change(self.calls)

    def _removed(self, name: str) -> None:
        if self._calls.pop(name, None) is not None:
            self._on_change(self.calls)
