"""parley-server's own TLS (--cert/--key): wss:// and https:// with the clients' real
addresses (no proxy in front), refused certificates named at start."""

from __future__ import annotations

import ssl
from pathlib import Path

import aiohttp
import pytest

from parley.protocol import decode, encode
from parley.protocol.messages import Join, Welcome
from parley.server import CallServer, ServerConfig
from parley.server.cli import main
from tests.certs import self_signed


async def test_with_a_certificate_the_server_speaks_wss_and_https(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    config = ServerConfig(port=0, state_dir=tmp_path, tls_cert=cert, tls_key=key)
    trust = ssl.create_default_context(cafile=str(cert))
    async with CallServer(config) as server:
        assert server.url.startswith("wss://127.0.0.1:")
        async with aiohttp.ClientSession() as http:
            async with http.ws_connect(server.url, ssl=trust) as ws:
                await ws.send_str(encode(Join(session_id="room", display_name="Ada")))
                welcome = decode((await ws.receive()).data)
                assert isinstance(welcome, Welcome)
            health = server.url.replace("wss://", "https://").replace("/ws", "/health")
            async with http.get(health, ssl=trust) as response:
                assert response.status == 200
            with pytest.raises(aiohttp.ClientError):  # plain text on a TLS port
                async with http.ws_connect(server.url.replace("wss://", "ws://")):
                    pass


async def test_a_certificate_that_cannot_be_used_is_refused_at_start(tmp_path: Path) -> None:
    cert, _key = self_signed(tmp_path)
    bad = tmp_path / "bad.pem"
    bad.write_text("not a key")
    with pytest.raises(ValueError, match="cannot use the TLS certificate"):
        await CallServer(ServerConfig(port=0, state_dir=tmp_path, tls_cert=cert,
                                      tls_key=bad)).start()
    with pytest.raises(ValueError, match="certificate and its key go together"):
        ServerConfig(tls_cert=cert)


def test_the_command_line_names_a_bad_certificate(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "missing.pem"
    assert main(["--port", "0", "--state-dir", str(tmp_path), "--cert", str(missing),
                 "--key", str(missing)]) != 0
    assert "cannot use the TLS certificate" in capsys.readouterr().err
    assert main(["--cert", str(missing)]) != 0
    assert "--cert and --key" in capsys.readouterr().err
