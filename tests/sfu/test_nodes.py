"""The Janus node pool (parley-server with several ``--janus``), against real Janus
processes: rooms go to the least loaded node that answers, and a node killed with
SIGKILL is reported lost at once and passed over."""

from __future__ import annotations

import asyncio
import secrets
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from parley.server.sfu.janus import KEEPALIVE, REQUEST_TIMEOUT, JanusClient
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


@pytest.mark.long
async def test_a_hung_node_is_lost_when_its_keepalive_goes_unanswered(
        nodes: tuple[Janus, Janus]) -> None:
    a, _ = nodes
    lost: asyncio.Queue[JanusClient] = asyncio.Queue()
    pool = JanusNodes([a.http_url], a.api_secret, lambda *_: None, lost.put_nowait)
    try:
        client = await pool.place()
        a.process.send_signal(signal.SIGSTOP)  # alive, its sockets open, answering nothing
        started = time.monotonic()
        async with asyncio.timeout(KEEPALIVE + REQUEST_TIMEOUT + 10):
            assert await lost.get() is client
        print(f"hung node lost after {time.monotonic() - started:.1f} s")
        with pytest.raises(NoJanusNode):
            await pool.place()  # passed over, and it would not answer anyway
    finally:
        a.process.send_signal(signal.SIGCONT)
        await pool.close()
