"""Fixtures for the SFU tests: a real Janus (tests/sfu/janus.py) and a real call server
with ``--sfu always`` in front of it."""

from __future__ import annotations

from collections.abc import AsyncIterator
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


@pytest.fixture
async def sfu_server(tmp_path: Path, janus: Janus) -> AsyncIterator[SfuServer]:
    config = ServerConfig(port=0, state_dir=tmp_path / "state", departure_timeout=5.0,
                          sfu="always", janus_urls=(janus.http_url,),
                          janus_api_secret=janus.api_secret)
    rig = SfuServer(config)
    await rig.server.start()
    try:
        yield rig
    finally:
        if rig.server.running:
            await rig.server.stop()
