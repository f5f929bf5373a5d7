"""This machine's addresses on its local networks, best first (for invites and discovery).

Qt-free, so headless hosts (tests in network namespaces, scripts) use it too.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable

import ifaddr

_ROUTE_PROBE = "192.0.2.1"
"""A documentation address (TEST-NET-1): connecting a UDP socket to it sends nothing;
the kernel only picks the source address its default route would use."""


def primary_address() -> str | None:
    """The IPv4 address this machine's default route leaves from, or None (no route)."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect((_ROUTE_PROBE, 9))  # UDP: no packet is sent
        address = str(probe.getsockname()[0])
    except OSError:
        return None
    finally:
        probe.close()
    return address if _usable(address) else None


def _usable(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return not (ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_unspecified)


def _rank(address: str) -> int:
    ip = ipaddress.ip_address(address)
    return 0 if ip.is_private else 1


def interface_addresses(adapters: Iterable[ifaddr.Adapter] | None = None) -> list[str]:
    """Every usable IPv4 address of this machine's interfaces (no loopback, no link-local)."""
    found: list[str] = []
    for adapter in adapters if adapters is not None else ifaddr.get_adapters():
        for ip in adapter.ips:
            if isinstance(ip.ip, str) and _usable(ip.ip) and ip.ip not in found:
                found.append(ip.ip)
    return found


def lan_addresses(adapters: Iterable[ifaddr.Adapter] | None = None,
                  primary: str | None = None) -> list[str]:
    """The addresses another machine may reach this one at, best first: the default
    route's (``primary``, found when not given) first, then private ones, then the rest.
    Never a loopback address; empty when this machine has no network."""
    addresses = sorted(interface_addresses(adapters), key=_rank)  # stable: keeps OS order
    first = primary if primary is not None else primary_address()
    if first in addresses:
        addresses.remove(first)
        addresses.insert(0, first)
    return addresses
