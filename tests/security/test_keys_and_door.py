"""Keys another user could read or plant, malleable tokens, and the built-in server's
door: its per-launch key, Origin and Host."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
import pytest

from parley.protocol.closecodes import CloseCode
from parley.protocol.errors import ErrorCode
from parley.protocol.grants import mint_invite
from parley.protocol.messages import Error, Join
from parley.server import CallServer, ServerConfig
from parley.server.keys import KEY_FILE, UnsafeStateError
from tests.security.conftest import Client, Connect
from tests.security.procs import REPO

Servers = Callable[..., Awaitable[CallServer]]
SECRET = b"k" * 32


async def test_a_key_others_can_read_is_refused_with_the_fix(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    (state / KEY_FILE).write_text(os.urandom(32).hex())
    (state / KEY_FILE).chmod(0o644)  # planted, world-readable
    with pytest.raises(UnsafeStateError, match=r"mode 0644 lets other users in; run: chmod 600"):
        await CallServer(ServerConfig(port=0, state_dir=state)).start()
    (state / KEY_FILE).chmod(0o600)
    server = CallServer(ServerConfig(port=0, state_dir=state))
    await server.start()
    await server.stop()


async def test_a_state_directory_others_can_enter_is_refused(tmp_path: Path) -> None:
    state = tmp_path / "open"
    state.mkdir(mode=0o755)
    state.chmod(0o755)
    with pytest.raises(UnsafeStateError, match=r"directory .* mode 0755 .* chmod 700"):
        await CallServer(ServerConfig(port=0, state_dir=state)).start()
    # With a secret the key is derived, but the departed list still lives there.
    with pytest.raises(UnsafeStateError, match="chmod 700"):
        await CallServer(ServerConfig(port=0, state_dir=state, secret=SECRET)).start()


@pytest.mark.skipif(os.geteuid() != 0, reason="chown to another user needs root")
async def test_a_state_directory_of_another_user_is_refused(tmp_path: Path) -> None:
    state = tmp_path / "theirs"
    state.mkdir(mode=0o700)
    os.chown(state, 65534, 65534)  # nobody
    with pytest.raises(UnsafeStateError, match="belongs to uid 65534"):
        await CallServer(ServerConfig(port=0, state_dir=state)).start()


def test_parley_server_refuses_to_start_and_says_why(tmp_path: Path) -> None:
    state = tmp_path / "open"
    state.mkdir()
    state.chmod(0o775)
    done = subprocess.run([sys.executable, "-m", "parley.server", "--port", "0",
                           "--state-dir", str(state)], capture_output=True, text=True,
                          timeout=30, cwd=REPO)
    assert done.returncode == 2
    assert "refusing to use the state directory" in done.stderr and "chmod 700" in done.stderr


def _respell(token: str) -> list[str]:
    head, body, sig = token.split(".")
    padded = body + "=" * (-len(body) % 4)
    std = base64.b64encode(base64.urlsafe_b64decode(padded)).decode().rstrip("=")
    last = sig[:-1] + chr(ord(sig[-1]) ^ 1) if sig[-1] in "AQgw" else sig  # unused bits
    return [f"{head}.{padded}.{sig}" if padded != body else f"{head}.{body}=.{sig}",
            f"{head}.{std}.{sig}" if std != body else f"{head}.{body}+.{sig}",
            f"{head}.{body}.{sig} ", f" {token}", f"{head}.{body[:5]}\n{body[5:]}.{sig}",
            f"{head}.{body}.{last}"]


async def test_only_the_canonical_spelling_of_a_token_verifies(servers: Servers,
                                                               connect: Connect) -> None:
    server = await servers(secret=SECRET)
    token = mint_invite(SECRET, "room", 600)
    for variant in _respell(token):
        if variant == token:
            continue
        client = await connect(server)
        await client.send(Join(session_id="room", display_name="Eve", token=variant))
        error = await client.expect(Error)
        assert error.code in (ErrorCode.TOKEN_INVALID, ErrorCode.INVALID_FIELD), variant
        assert await client.closed() in (CloseCode.AUTH, None)
    good = await connect(server)
    await good.join("room", "Ada", token=token)


async def test_the_built_in_server_needs_its_launch_key(http: aiohttp.ClientSession) -> None:
    from parley.desktop.app import start_embedded_server

    server = await start_embedded_server(0)
    try:
        assert server.config.access_key and f"?key={server.config.access_key}" in server.url
        bare = server.url.split("?", 1)[0]
        with pytest.raises(aiohttp.WSServerHandshakeError, match="403"):
            await http.ws_connect(bare)  # another local user: no key
        with pytest.raises(aiohttp.WSServerHandshakeError, match="403"):
            await http.ws_connect(bare + "?key=" + "x" * 32)
        client = Client(await http.ws_connect(server.url))  # the app's own session
        await client.join("room", "Ada")
        await client.ws.close()
        other = CallServer(ServerConfig(port=0, access_key="z" * 20,
                                        state_dir=server.config.state_dir))
        assert other.config.access_key != server.config.access_key  # per launch
    finally:
        await server.stop()


async def test_web_pages_from_elsewhere_are_refused(servers: Servers,
                                                    http: aiohttp.ClientSession) -> None:
    server = await servers(access_key="a" * 24)
    own = f"http://127.0.0.1:{server.port}"
    for origin in ("https://evil.example", "null", f"http://127.0.0.1:{server.port + 1}"):
        with pytest.raises(aiohttp.WSServerHandshakeError, match="403"):
            await http.ws_connect(server.url, origin=origin)
    # DNS rebinding: a page on evil.example whose name now points at 127.0.0.1.
    with pytest.raises(aiohttp.WSServerHandshakeError, match="403"):
        await http.ws_connect(server.url, origin=f"http://evil.example:{server.port}",
                              headers={"Host": f"evil.example:{server.port}"})
    ws = await http.ws_connect(server.url, origin=own)  # the server's own pages
    await ws.close()
    ws = await http.ws_connect(server.url)  # the app: no Origin
    await ws.close()
    listed = await servers(allowed_origins=("https://app.example",))
    ws = await http.ws_connect(listed.url, origin="https://app.example")
    await ws.close()
