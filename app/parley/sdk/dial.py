"""Dialling a call server that an invite names through several addresses.

A host on two networks (Wi-Fi and Ethernet, or a VPN) is the same server at each of
its addresses; the invite lists them best first. The join tries them one after the
other - the next only when the last could not be *reached* (refused, timed out, no
such name), never after the server itself answered (a bad token, a full room, the
lobby): that answer would be the same through any address.

The join's timeout is shared: each try gets an equal share of what is left, so a
refused port (which fails at once) leaves its time to the ones after it, and with a
single address the one try has all of it, as before. Sequential rather than a
staggered happy-eyeballs start: a server that answers on two addresses would
otherwise see the same join twice.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

import aiohttp

from parley.protocol import urls
from parley.protocol.messages import Join, Welcome
from parley.sdk.errors import JoinError, JoinFailure
from parley.sdk.signaling import SignalingLink

log = logging.getLogger("parley.sdk")

T = TypeVar("T")

_LEAST_SHARE = 0.25
"""A try that starts after an overrun still gets this long (aiohttp reads 0 as "none")."""

JOIN_TIMEOUT = 5.0
"""Seconds join_session() waits for the server (all its addresses) before UNREACHABLE."""
MAX_ALTERNATES = 7
"""Alternates after the first server (an invite names at most 8 servers)."""


def servers_to_dial(first: str, alternates: Sequence[str]) -> tuple[str, ...]:
    """``first`` (already normalised) and the alternates, normalised, without repeats.

    Raises:
        JoinError: UNREACHABLE for an alternate that is no address, or too many.
    """
    if isinstance(alternates, str):
        raise TypeError("alternates is a sequence of server addresses, not one string")
    if len(alternates) > MAX_ALTERNATES:
        raise JoinError(JoinFailure.UNREACHABLE,
                        f"at most {MAX_ALTERNATES} alternate servers may be given")
    try:
        others = [urls.normalize_server_url(a) for a in alternates if a]
    except ValueError as exc:
        raise JoinError(JoinFailure.UNREACHABLE, str(exc)) from None
    return tuple(dict.fromkeys((first, *others)))


def is_unreachable(exc: BaseException) -> bool:
    """True when ``exc`` says nothing answered at the address (another may)."""
    return isinstance(exc, aiohttp.ClientConnectorError | TimeoutError
                      | ConnectionRefusedError | socket.gaierror)


async def dial(servers: Sequence[str], attempt: Callable[[str, float], Awaitable[T]],
               timeout: float, may_retry: Callable[[BaseException], bool] = is_unreachable,
               clock: Callable[[], float] = time.monotonic) -> T:
    """``attempt(server, share)`` for each server in order until one succeeds; the next
    is tried only while ``may_retry(error)`` holds. Raises the last try's error."""
    deadline = clock() + timeout
    for index, server in enumerate(servers):
        share = max((deadline - clock()) / (len(servers) - index), _LEAST_SHARE)
        try:
            return await attempt(server, share)
        except Exception as exc:
            if index == len(servers) - 1 or not may_retry(exc):
                raise
            log.info("event=dial_next server=%s error=%r", server, exc)
    raise ValueError("no server to dial")


async def dial_join(servers: Sequence[str], make_link: Callable[[str], SignalingLink],
                    join: Join, on_waiting: Callable[[], None], *, wanted: Callable[[], bool],
                    timeout: float = JOIN_TIMEOUT) -> tuple[SignalingLink, Welcome]:
    """Join through the first of ``servers`` that is reachable (:func:`dial`):
    ``make_link(server)`` makes each try's link. No further address is tried once a
    server put the join in its lobby (that is its answer) or ``wanted()`` turned False
    (the caller left)."""
    waited: list[bool] = []

    def waiting(_: object) -> None:
        waited.append(True)
        on_waiting()

    async def attempt(server: str, share: float) -> tuple[SignalingLink, Welcome]:
        link = make_link(server)
        return link, await link.connect(join, share, waiting)

    return await dial(servers, attempt, timeout,
                      lambda exc: is_unreachable(exc) and not waited and wanted())
