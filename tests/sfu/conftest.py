"""Fixtures for the SFU tests: a real Janus (tests/sfu/janus.py) and a real call server
with ``--sfu always`` in front of it."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from parley.server import CallServer, ServerConfig
from parley.server.hub import Hub
from tests.sfu.janus import Janus, running_janus


@pytest.fixture
async def janus(tmp_path: Path) -> AsyncIterator[Janus]:
    async with running_janus(tmp_path / "janus") as node:
        yield node


class SfuServer:
    """The call server and its hub (the hub's ``sfu`` is the seam the tests read)."""

    def __init__(self, config: ServerConfig) -> None:
        self.hubs: list[Hub] = []
        self.server = CallServer(config, hub=self._hub)

    def _hub(self, *args: Any) -> Hub:
        hub = Hub(*args)
        self.hubs.append(hub)
        return hub

    @property
    def hub(self) -> Hub:
        return self.hubs[-1]


@asynccontextmanager
async def running_sfu_server(tmp_path: Path, nodes: Sequence[Janus], sfu: str = "always",
                             **config: Any) -> AsyncIterator[SfuServer]:
    """A call server on loopback in front of ``nodes`` (which share one API secret),
    stopped afterwards; ``config``: more ServerConfig fields (``mesh_max``...)."""
    rig = SfuServer(ServerConfig(port=0, state_dir=tmp_path / "state", departure_timeout=5.0,
                                 sfu=sfu, janus_urls=tuple(n.http_url for n in nodes),
                                 janus_api_secret=nodes[0].api_secret,
                                 **{"janus_admin_key": nodes[0].admin_key, **config}))
    await rig.server.start()
    try:
        yield rig
    finally:
        if rig.server.running:
            await rig.server.stop()


@pytest.fixture
async def sfu_server(tmp_path: Path, janus: Janus) -> AsyncIterator[SfuServer]:
    async with running_sfu_server(tmp_path, [janus]) as rig:
        yield rig


@pytest.fixture
async def nodes(tmp_path: Path) -> AsyncIterator[tuple[Janus, Janus]]:
    secret, key = secrets.token_hex(16), secrets.token_hex(16)  # a pool's nodes share them
    async with running_janus(tmp_path / "a", 41000, secret, admin_key=key) as a, \
            running_janus(tmp_path / "b", 42000, secret, admin_key=key) as b:
        yield a, b


@pytest.fixture
async def two_node_server(tmp_path: Path, nodes: tuple[Janus, Janus]
                          ) -> AsyncIterator[SfuServer]:
    async with running_sfu_server(tmp_path, nodes) as rig:
        yield rig
