"""A real Janus (Debian's ``janus`` package) for tests: :func:`running_janus` writes a
configuration into a temporary directory (only the VideoRoom plugin, the HTTP and
WebSocket transports on 127.0.0.1, an API secret, a small RTP port range), starts
``janus`` in the foreground and kills it when the block ends, also on failure."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import shutil
import socket
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

JANUS = "/usr/bin/janus"
LIB = Path("/usr/lib/x86_64-linux-gnu/janus")
START_TIMEOUT = 10.0


@dataclass(frozen=True)
class Janus:
    """A running Janus: where its APIs listen and the secret they want."""

    ws_url: str
    """The WebSocket API (what parley-server's ``--janus`` is given)."""
    http_url: str
    """The plain HTTP API (``.../janus``), for tests that knock on it directly."""
    api_secret: str
    log: Path
    process: subprocess.Popen[bytes]


def require_janus() -> None:
    """Fail, saying how to fix it, when Janus is missing (``make test`` installs it, as
    tests/xvfb.py does for Xvfb): a skip would hide a lost install step."""
    if shutil.which(JANUS) is None or not (LIB / "plugins" / "libjanus_videoroom.so").exists():
        pytest.fail("Debian's janus package is not installed: install it "
                    "(make system-deps does)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _write_config(folder: Path, http_port: int, ws_port: int, rtp: tuple[int, int],
                  secret: str) -> None:
    plugins = ",".join(p.name for p in (LIB / "plugins").glob("*.so")
                       if p.name != "libjanus_videoroom.so")
    transports = ",".join(p.name for p in (LIB / "transports").glob("*.so")
                          if p.name not in ("libjanus_http.so", "libjanus_websockets.so"))
    (folder / "janus.jcfg").write_text(f"""general: {{
    configs_folder = "{folder}"
    plugins_folder = "{LIB / 'plugins'}"
    transports_folder = "{LIB / 'transports'}"
    events_folder = "{LIB / 'events'}"
    loggers_folder = "{LIB / 'loggers'}"
    debug_level = 4
    api_secret = "{secret}"
    admin_secret = "{secrets.token_hex(16)}"
    session_timeout = 60
}}
media: {{
    rtp_port_range = "{rtp[0]}-{rtp[1]}"
}}
nat: {{
    nice_debug = false
    ice_ignore_list = "vmnet"
}}
plugins: {{
    disable = "{plugins}"
}}
transports: {{
    disable = "{transports}"
}}
loggers: {{
    disable = "libjanus_jsonlog.so"
}}
events: {{
    broadcast = false
}}
""")
    (folder / "janus.plugin.videoroom.jcfg").write_text("general: {\n}\n")
    (folder / "janus.transport.http.jcfg").write_text(f"""general: {{
    json = "compact"
    base_path = "/janus"
    http = true
    port = {http_port}
    ip = "127.0.0.1"
    https = false
}}
admin: {{
    admin_http = false
    admin_https = false
}}
""")
    (folder / "janus.transport.websockets.jcfg").write_text(f"""general: {{
    json = "compact"
    ws = true
    ws_port = {ws_port}
    ws_ip = "127.0.0.1"
    wss = false
}}
admin: {{
    admin_ws = false
    admin_wss = false
}}
""")


async def _wait_logged(janus: Janus) -> None:
    """Inside a namespace (its APIs out of this process's reach): Janus logs that both
    transports are up."""
    async with asyncio.timeout(START_TIMEOUT):
        while True:
            if janus.process.poll() is not None:
                raise RuntimeError(f"janus exited ({janus.process.returncode}): "
                                   f"{janus.log.read_text()[-2000:]}")
            text = janus.log.read_text(errors="replace")
            if "Websockets server started" in text and "HTTP webserver started" in text:
                return
            await asyncio.sleep(0.1)  # polling a process that has no readiness event


async def _wait_ready(janus: Janus) -> None:
    """Janus answers ``info`` over HTTP once its transports are up."""
    async with asyncio.timeout(START_TIMEOUT), aiohttp.ClientSession() as http:
        while True:
            if janus.process.poll() is not None:
                raise RuntimeError(f"janus exited ({janus.process.returncode}): "
                                   f"{janus.log.read_text()[-2000:]}")
            try:
                async with http.get(janus.http_url + "/info") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)  # polling a process that has no readiness event


@contextlib.asynccontextmanager
async def running_janus(folder: Path, rtp_base: int = 41000,
                        prefix: tuple[str, ...] = ()) -> AsyncIterator[Janus]:
    """Start Janus with a fresh configuration in ``folder``; kill it on exit. ``prefix``
    runs it inside a network namespace (``ip netns exec NS``): its APIs are then on that
    namespace's loopback, for a call server started there."""
    require_janus()
    folder.mkdir(parents=True, exist_ok=True)
    http_port, ws_port, secret = _free_port(), _free_port(), secrets.token_hex(16)
    _write_config(folder, http_port, ws_port, (rtp_base, rtp_base + 999), secret)
    log = folder / "janus.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*prefix, JANUS, "--configs-folder", str(folder),
             "--config", str(folder / "janus.jcfg"), "--disable-colors", "--log-stdout"],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    janus = Janus(f"ws://127.0.0.1:{ws_port}", f"http://127.0.0.1:{http_port}/janus",
                  secret, log, process)
    try:
        await (_wait_logged(janus) if prefix else _wait_ready(janus))
        yield janus
    finally:
        process.kill()
        process.wait(timeout=5)
