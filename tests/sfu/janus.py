"""A real Janus (Debian's ``janus`` package) for tests: :func:`running_janus` fills in
the shipped configuration (packaging/server/janus/: only the VideoRoom plugin and the
HTTP transport, here on 127.0.0.1, an API secret, no admin API) in a temporary
directory, starts ``janus`` in the foreground and kills it (SIGKILL) when the block
ends, also on failure."""

from __future__ import annotations

import asyncio
import contextlib
import re
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
SHIPPED = Path(__file__).resolve().parents[2] / "packaging" / "server" / "janus"
"""The configuration deployments install (docs/deploy.md): what the tests run."""


@dataclass(frozen=True)
class Janus:
    """A running Janus: where its APIs listen and the secrets they want."""

    http_url: str
    """Its HTTP API (``http://127.0.0.1:PORT/janus``): what parley-server's ``--janus``
    is given, and what an attacker on the private network would reach."""
    api_secret: str
    log: Path
    process: subprocess.Popen[bytes]
    admin_key: str = ""
    """VideoRoom's ``admin_key``: creating a room needs it (parley-server holds it)."""

    def server_options(self) -> tuple[str, ...]:
        """parley-server's options for this node. Without the admin key every room is
        refused and the call quietly stays a mesh (the layers fault test ran so for two
        rounds: no SFU, so no layer to learn)."""
        return ("--janus", self.http_url, "--janus-api-secret", self.api_secret,
                "--janus-admin-key", self.admin_key)


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


def render_config(folder: Path, values: dict[str, str]) -> None:
    """Write the shipped configuration (packaging/server/janus/) into ``folder`` with its
    ``@WORD@`` placeholders filled in from ``values`` (each one must be used)."""
    unused = set(values)
    for source in sorted(SHIPPED.glob("*.jcfg")):
        text = source.read_text()
        for word, value in values.items():
            if f"@{word}@" in text:
                unused.discard(word)
                text = text.replace(f"@{word}@", value)
        left = re.findall(r"@[A-Z_]+@", text)
        if left:
            raise ValueError(f"{source.name}: no value for {', '.join(left)}")
        (folder / source.name).write_text(text)
    if unused:
        raise ValueError(f"not in the shipped configuration: {', '.join(sorted(unused))}")


async def _wait_logged(janus: Janus) -> None:
    """Inside a namespace (its API out of this process's reach): Janus logs that its
    HTTP transport is up."""
    async with asyncio.timeout(START_TIMEOUT):
        while True:
            if janus.process.poll() is not None:
                raise RuntimeError(f"janus exited ({janus.process.returncode}): "
                                   f"{janus.log.read_text()[-2000:]}")
            text = janus.log.read_text(errors="replace")
            if "HTTP webserver started" in text:
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
                        api_secret: str | None = None,
                        prefix: tuple[str, ...] = (),
                        admin_key: str | None = None) -> AsyncIterator[Janus]:
    """Start Janus with a fresh configuration in ``folder``; kill it on exit.
    ``api_secret``, ``admin_key``: given ones (the nodes of a pool share theirs), else
    random ones.
    ``prefix`` runs it inside a network namespace (``ip netns exec NS``): its API is then
    on that namespace's loopback, for a call server started there."""
    require_janus()
    folder.mkdir(parents=True, exist_ok=True)
    port, secret = _free_port(), api_secret or secrets.token_hex(16)
    key = admin_key or secrets.token_hex(16)
    render_config(folder, {"API_SECRET": secret, "API_ADDRESS": "127.0.0.1",
                           "API_PORT": str(port), "RTP_PORTS": f"{rtp_base}-{rtp_base + 999}",
                           "ADMIN_KEY": key})
    log = folder / "janus.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*prefix, JANUS, "--configs-folder", str(folder),
             "--config", str(folder / "janus.jcfg"), "--disable-colors", "--log-stdout"],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    janus = Janus(f"http://127.0.0.1:{port}/janus", secret, log, process, key)
    try:
        await (_wait_logged(janus) if prefix else _wait_ready(janus))
        yield janus
    finally:
        process.kill()
        process.wait(timeout=5)
