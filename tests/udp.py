"""In-process UDP faults for tests whose peers share one process and one network.

The test loop (:class:`UdpFaultLoop`, made by tests/conftest.py) wraps every datagram
endpoint it creates, aioice's ICE sockets among them, through the public asyncio API
only. A test then makes chosen local addresses deaf (nothing they receive is
delivered) and, if it likes, mute (nothing they send leaves): the network under a link
died, nothing is closed, and only silence tells. Addresses are (host, port) pairs, as
a socket's name and an SDP candidate line give them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Any, cast

Address = tuple[str, int]


class UdpFaults:
    """Which local UDP addresses of this loop are cut."""

    def __init__(self) -> None:
        self.deaf: set[Address] = set()
        """Local addresses whose incoming datagrams are dropped."""
        self.mute: set[Address] = set()
        """Local addresses whose outgoing datagrams are dropped."""

    def cut(self, addresses: Iterable[Address], outbound: bool = True) -> None:
        """Drop what these addresses receive and, with ``outbound``, what they send."""
        addresses = set(addresses)
        self.deaf |= addresses
        if outbound:
            self.mute |= addresses

    def heal(self, addresses: Iterable[Address]) -> None:
        """These addresses work again."""
        addresses = set(addresses)
        self.deaf -= addresses
        self.mute -= addresses


def _address(sockname: Any) -> Address | None:
    if isinstance(sockname, tuple) and len(sockname) >= 2:
        return str(sockname[0]), int(sockname[1])
    return None


class _Transport:
    """What the wrapped protocol sees as its transport: the real one, muted on demand."""

    def __init__(self, real: asyncio.DatagramTransport, local: Address | None,
                 faults: UdpFaults) -> None:
        self._real = real
        self._local = local
        self._faults = faults

    def sendto(self, data: bytes, addr: Any = None) -> None:
        if self._local in self._faults.mute:
            return
        if addr is None:
            self._real.sendto(data)
        else:
            self._real.sendto(data, addr)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


class _Filter(asyncio.DatagramProtocol):
    """Stands between the loop and the real protocol; drops what a deaf address hears."""

    def __init__(self, inner: asyncio.DatagramProtocol, faults: UdpFaults) -> None:
        self.inner = inner
        self.faults = faults
        self.local: Address | None = None
        self.transport: _Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # (Python 3.11's selector datagram transport is not a DatagramTransport subclass)
        self.local = _address(transport.get_extra_info("sockname"))
        self.transport = _Transport(cast(asyncio.DatagramTransport, transport), self.local,
                                    self.faults)
        self.inner.connection_made(self.transport)  # type: ignore[arg-type]

    def datagram_received(self, data: bytes, addr: Any) -> None:
        if self.local not in self.faults.deaf:
            self.inner.datagram_received(data, addr)

    def error_received(self, exc: Exception) -> None:
        self.inner.error_received(exc)

    def connection_lost(self, exc: Exception | None) -> None:
        self.inner.connection_lost(exc)

    def pause_writing(self) -> None:
        self.inner.pause_writing()

    def resume_writing(self) -> None:
        self.inner.resume_writing()


class UdpFaultLoop(asyncio.SelectorEventLoop):
    """An event loop whose datagram endpoints obey :attr:`udp`."""

    def __init__(self) -> None:
        super().__init__()
        self.udp = UdpFaults()

    async def create_datagram_endpoint(  # type: ignore[override]
            self, protocol_factory: Callable[[], asyncio.DatagramProtocol], *args: Any,
            **kwargs: Any) -> tuple[asyncio.DatagramTransport, asyncio.DatagramProtocol]:
        made: list[_Filter] = []

        def factory() -> _Filter:
            made.append(_Filter(protocol_factory(), self.udp))
            return made[0]

        await super().create_datagram_endpoint(factory, *args, **kwargs)
        wrapper = made[0]
        assert wrapper.transport is not None
        return wrapper.transport, wrapper.inner  # type: ignore[return-value]


def faults() -> UdpFaults:
    """The running test loop's UDP faults."""
    loop = asyncio.get_running_loop()
    assert isinstance(loop, UdpFaultLoop), f"not the test loop (tests/conftest.py): {loop!r}"
    return loop.udp
