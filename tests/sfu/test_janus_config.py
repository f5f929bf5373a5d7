"""The Janus configuration deployments install (packaging/server/janus/), started as
the tests start it: only VideoRoom and the HTTP transport load, the only socket Janus
listens on is the HTTP API on the address given, and there is no admin API."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import aiohttp
import pytest

from tests.sfu.janus import SHIPPED, Janus, render_config


async def test_only_videoroom_and_http_load(janus: Janus) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(janus.http_url + "/info") as response:
            info = await response.json(content_type=None)
        assert list(info["plugins"]) == ["janus.plugin.videoroom"]
        assert list(info["transports"]) == ["janus.transport.http"]
        assert info["events"] == {} and info["loggers"] == {}
        assert info["api_secret"] is True
        # the admin API is not served (neither here nor on a port of its own)
        async with http.get(janus.http_url.removesuffix("/janus") + "/admin") as response:
            assert response.status == 404


def test_janus_listens_only_on_its_http_api(janus: Janus) -> None:
    listening = subprocess.run(["ss", "-Hltunp"], capture_output=True, text=True,
                               check=True).stdout.splitlines()
    mine = [line.split()[4] for line in listening if f"pid={janus.process.pid}," in line]
    port = re.search(r":(\d+)/janus$", janus.http_url)
    assert port is not None
    assert mine == [f"127.0.0.1:{port.group(1)}"]


def test_every_placeholder_is_filled_and_none_is_unknown(tmp_path: Path) -> None:
    words = {w for f in SHIPPED.glob("*.jcfg") for w in re.findall(r"@([A-Z_]+)@",
                                                                 f.read_text())}
    assert words == {"API_SECRET", "API_ADDRESS", "API_PORT", "RTP_PORTS", "ADMIN_KEY"}
    with pytest.raises(ValueError, match="no value for @API_PORT@"):
        render_config(tmp_path, {"API_SECRET": "s", "API_ADDRESS": "10.0.0.5",
                                 "RTP_PORTS": "20000-40000", "ADMIN_KEY": "k"})
    with pytest.raises(ValueError, match="not in the shipped configuration: ADMIN"):
        render_config(tmp_path, {"API_SECRET": "s", "API_ADDRESS": "10.0.0.5",
                                 "API_PORT": "8088", "RTP_PORTS": "20000-40000",
                                 "ADMIN_KEY": "k", "ADMIN": "x"})
