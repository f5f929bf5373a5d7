"""parley-server's SFU options, and what the welcome tells clients about them."""

from __future__ import annotations

import logging
from pathlib import Path

import aiohttp
import pytest

from parley.protocol.messages import Join, Welcome, decode, encode
from parley.server import CallServer, ServerConfig
from parley.server.cli import build_parser, config_from_args
from tests.sdk.test_media_call import wait_until


def config(*argv: str) -> ServerConfig:
    return config_from_args(build_parser().parse_args(list(argv)))


def test_janus_nodes_secret_and_mode_reach_the_config() -> None:
    got = config("--janus", "http://10.0.0.5:8088/janus", "--janus", "http://10.0.0.6:8088/janus",
                 "--janus-api-secret", "s3cret", "--janus-admin-key", "k3y", "--sfu", "always")
    assert got.janus_urls == ("http://10.0.0.5:8088/janus", "http://10.0.0.6:8088/janus")
    assert got.janus_api_secret == "s3cret" and got.janus_admin_key == "k3y"
    assert got.sfu == "always"
    assert config().sfu == "auto" and config().mesh_max == 4


def test_bad_sfu_options_are_refused() -> None:
    with pytest.raises(ValueError, match="--sfu always needs a Janus"):
        config("--sfu", "always")
    with pytest.raises(ValueError, match="not an HTTP URL"):
        config("--janus", "ws://10.0.0.5:8188", "--sfu", "always")
    with pytest.raises(ValueError, match="sfu must be one of"):
        ServerConfig(sfu="sometimes")


async def welcome_of(server: CallServer) -> Welcome:
    async with aiohttp.ClientSession() as http, http.ws_connect(server.url) as ws:
        await ws.send_str(encode(Join(session_id="options", display_name="Ada")))
        welcome = decode(await ws.receive_str())
        assert isinstance(welcome, Welcome)
        return welcome


@pytest.mark.parametrize(("mode", "media"), [("never", "mesh"), ("auto", "mesh")])
async def test_the_welcome_says_mesh_unless_the_sfu_is_always_used(
        tmp_path: Path, mode: str, media: str) -> None:
    # a Janus that is never reached: neither mode uses it
    async with CallServer(ServerConfig(port=0, state_dir=tmp_path, sfu=mode,
                                       janus_urls=("http://127.0.0.1:9/janus",))) as server:
        assert (await welcome_of(server)).media == media


async def test_an_unreachable_janus_fails_the_sfu_side_only(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # the join itself succeeds (presence is the call server's); the SFU failure is logged,
    # not raised into the loop (the loop fixture would fail the test)
    caplog.set_level(logging.WARNING, "parley.server.sfu")
    async with CallServer(ServerConfig(port=0, state_dir=tmp_path, sfu="always",
                                       janus_urls=("http://127.0.0.1:9/janus",))) as server:
        assert (await welcome_of(server)).media == "sfu"
        await wait_until(lambda: "event=sfu_failed task=sfu-join" in caplog.text, timeout=10)
