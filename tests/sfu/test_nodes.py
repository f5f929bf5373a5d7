"""The Janus node pool (parley-server with several ``--janus``), against real Janus
processes: rooms go to the least loaded node that answers, and a node killed with
SIGKILL is reported lost at once and passed over, one stopped with SIGSTOP (hung) within
a few seconds."""

from __future__ import annotations

import asyncio
import secrets
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from parley.server.sfu.janus import HUNG_AFTER, KEEPALIVE, JanusClient
from parley.server.sfu.nodes import JanusNodes, NoJanusNode
from tests.sfu.janus import Janus, running_janus

NOWHERE = "http://127.0.0.1:9/janus"  # nothing listens there: refused at once


@pytest.fixture
async def nodes(tmp_path: Path) -> AsyncIterator[tuple[Janus, Janus]]:
    secret = secrets.token_hex(16)
    async with running_janus(tmp_path / "a", 41000, secret) as a, \
            running_janus(tmp_path / "b", 42000, secret) as b:
        yield a, b


async def test_rooms_go_to_the_least_loaded_node_that_answers(
        nodes: tuple[Janus, Janus]) -> None:
    a, b = nodes
    lost: asyncio.Queue[JanusClient] = asyncio.Queue()
    pool = JanusNodes([NOWHERE, a.http_url, b.http_url], a.api_secret,
                      lambda *_: None, lost.put_nowait)
    try:
        first = await pool.place()
        second = await pool.place()
        assert (first.url, second.url) == (a.http_url, b.http_url)
        assert [n.rooms for n in pool.nodes] == [0, 1, 1]
        pool.release(first)
        assert (await pool.place()).url == a.http_url  # a has none again
        assert (await pool.place()).url == a.http_url  # 1 and 1: the first given
        assert (await pool.place()).url == b.http_url  # 2 and 1: b is less loaded
        assert [n.rooms for n in pool.nodes] == [0, 2, 2]
        b.process.kill()
        async with asyncio.timeout(5):  # the long poll breaks: lost at once
            assert await lost.get() is second
        assert not second.connected
        assert [n.rooms for n in pool.nodes] == [0, 2, 0]
        assert (await pool.place()).url == a.http_url  # b is passed over now
        assert [n.up for n in pool.nodes] == [False, True, False]
    finally:
        await pool.close()


async def test_no_node_answering_is_an_error(tmp_path: Path) -> None:
    pool = JanusNodes([NOWHERE], None, lambda *_: None, lambda _: None)
    with pytest.raises(NoJanusNode, match="no Janus node answered"):
        await pool.place()
    await pool.close()


async def test_a_hung_node_is_lost_within_seconds_and_its_call_moves(
        nodes: tuple[Janus, Janus]) -> None:
    a, b = nodes
    lost: asyncio.Queue[JanusClient] = asyncio.Queue()
    pool = JanusNodes([a.http_url, b.http_url], a.api_secret, lambda *_: None,
                      lost.put_nowait)
    try:
        client = await pool.place()
        assert client.url == a.http_url
        a.process.send_signal(signal.SIGSTOP)  # alive, its sockets open, answering nothing
        started = time.monotonic()
        async with asyncio.timeout(KEEPALIVE + HUNG_AFTER + 3):
            assert await lost.get() is client
        print(f"hung node lost after {time.monotonic() - started:.1f} s")
        assert (await pool.place()).url == b.http_url  # passed over: the other takes rooms
    finally:
        a.process.send_signal(signal.SIGCONT)
        await pool.close()


async def test_a_node_slow_for_a_moment_is_not_lost_nor_is_one_behind_a_stalled_loop(
        nodes: tuple[Janus, Janus]) -> None:
    a, _ = nodes
    lost: asyncio.Queue[JanusClient] = asyncio.Queue()
    pool = JanusNodes([a.http_url], a.api_secret, lambda *_: None, lost.put_nowait)

    async def answered(more: int) -> None:
        """``more`` keepalives acknowledged from now on."""
        until = client.keepalives + more
        async with asyncio.timeout(KEEPALIVE * more + HUNG_AFTER):
            while client.keepalives < until:
                await asyncio.sleep(0.05)

    try:
        client = await pool.place()
        await answered(1)
        a.process.send_signal(signal.SIGSTOP)  # a keepalive goes unanswered for a while
        await asyncio.sleep(KEEPALIVE + HUNG_AFTER / 3)  # the stall being tested, not a sync
        # this server's own loop stalls past HUNG_AFTER meanwhile (the machine is busy);
        # the node answers again as the loop comes back: that is no hung node
        time.sleep(HUNG_AFTER)
        a.process.send_signal(signal.SIGCONT)
        await answered(2)
        assert lost.empty() and client.connected
    finally:
        a.process.send_signal(signal.SIGCONT)
        await pool.close()
