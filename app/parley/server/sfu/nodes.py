"""The Janus nodes of ``--janus`` (repeatable): :class:`JanusNodes` places each new room
on the least loaded node that answers, and says when a node is lost.

Each node has at most one :class:`~parley.server.sfu.janus.JanusClient` (one Janus
session) at a time, opened when a room is first placed on it. A node is lost when its
client is (the long poll or a keepalive failed, or Janus ended the session); it is then
passed over for :data:`RETRY_AFTER` seconds, and its rooms are the caller's to move
(``on_lost``). Load is the number of rooms placed on a node.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import aiohttp

from parley.server.sfu.janus import Event, JanusClient, JanusError

log = logging.getLogger("parley.server.sfu")

CONNECT_TIMEOUT = 3.0
"""Seconds a node has to open a session before the next one is tried."""
RETRY_AFTER = 10.0
"""Seconds a lost or unreachable node is passed over."""


class NoJanusNode(ConnectionError):
    """No Janus node answered."""


@dataclass(eq=False)
class JanusNode:
    """One ``--janus`` node as the pool sees it."""

    url: str
    """Its HTTP API."""
    client: JanusClient | None = None
    """Its session while it is up."""
    rooms: int = 0
    """Rooms placed on it (its load)."""
    down_until: float = 0.0
    """Monotonic time before which it is not tried again."""

    @property
    def up(self) -> bool:
        return self.client is not None and self.client.connected


class JanusNodes:
    """The pool of Janus nodes a server places rooms on.

    Args:
        urls: The nodes' HTTP APIs, in order of preference when their load is equal.
        api_secret: Janus's ``api_secret`` (the same on every node).
        on_event: An event of a handle that answers no request: (the node's client,
            handle id, the message).
        on_lost: A node was lost: (its client, now closed). Its rooms are gone with it.
        clock: Monotonic seconds (tests may pass their own).
    """

    def __init__(self, urls: Sequence[str], api_secret: str | None,
                 on_event: Callable[[JanusClient, int, Event], None],
                 on_lost: Callable[[JanusClient], None],
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.nodes = tuple(JanusNode(url) for url in urls)
        self._secret = api_secret
        self._on_event = on_event
        self._on_lost = on_lost
        self._clock = clock
        self._lock = asyncio.Lock()
        self._closing: set[asyncio.Task[None]] = set()

    async def place(self) -> JanusClient:
        """The client of the least loaded node that answers, its load counted one room
        more (give it back with :meth:`release`).

        Raises:
            NoJanusNode: none answered.
        """
        async with self._lock:
            now = self._clock()
            for node in sorted(self.nodes, key=lambda n: (n.down_until > now, n.rooms)):
                if node.down_until > now:
                    break  # the rest are down too
                if not node.up and not await self._connect(node):
                    continue
                assert node.client is not None
                node.rooms += 1
                return node.client
        raise NoJanusNode(f"no Janus node answered ({len(self.nodes)} tried)")

    @property
    def available(self) -> bool:
        """Whether any node may take a room now (one not passed over as lost)."""
        now = self._clock()
        return any(node.down_until <= now for node in self.nodes)

    def release(self, client: JanusClient) -> None:
        """A room placed on ``client``'s node is gone."""
        node = self.node_of(client)
        if node is not None and node.rooms > 0:
            node.rooms -= 1

    def node_of(self, client: JanusClient) -> JanusNode | None:
        return next((n for n in self.nodes if n.client is client), None)

    async def close(self) -> None:
        """Close every node's session. Idempotent."""
        clients = [n.client for n in self.nodes if n.client is not None]
        for node in self.nodes:
            node.client, node.rooms = None, 0
        await asyncio.gather(*(c.close() for c in clients), *self._closing,
                             return_exceptions=True)

    async def _connect(self, node: JanusNode) -> bool:
        client: JanusClient | None = None

        def event(handle: int, message: Event) -> None:
            if client is not None:
                self._on_event(client, handle, message)

        client = JanusClient(node.url, self._secret, event, lambda: self._lost(node, client))
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT):
                await client.connect()
        except (JanusError, TimeoutError, OSError, aiohttp.ClientError) as exc:
            log.warning("event=janus_unreachable url=%s error=%r", node.url, exc)
            node.down_until = self._clock() + RETRY_AFTER
            await client.close()
            return False
        node.client, node.rooms, node.down_until = client, 0, 0.0
        return True

    def _lost(self, node: JanusNode, client: JanusClient | None) -> None:
        if client is None or node.client is not client:
            return
        node.client, node.rooms = None, 0
        node.down_until = self._clock() + RETRY_AFTER
        task = asyncio.get_running_loop().create_task(client.close(), name="janus-close")
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)
        self._on_lost(client)
