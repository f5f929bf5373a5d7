"""``parley-server`` in a child process, for attacks measured from outside: its memory
(RSS), its CPU time, its log, its file-descriptor limit."""

from __future__ import annotations

import asyncio
import os
import resource
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


@dataclass
class ServerChild:
    proc: asyncio.subprocess.Process
    url: str
    port: int
    log: Path

    def rss_kib(self) -> int:
        """Resident memory now, in KiB."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise AssertionError("no VmRSS")

    def cpu_seconds(self) -> float:
        """User + system CPU time used so far."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@asynccontextmanager
async def server_child(state: Path, args: Sequence[str] = (),
                       nofile: int | None = None) -> AsyncIterator[ServerChild]:
    """Start ``python -m parley.server --port 0`` with ``args``; stop it (SIGTERM) after."""
    state.mkdir(mode=0o700, exist_ok=True)
    log = state.parent / "server.log"

    def limit_files() -> None:
        if nofile is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

    with open(log, "w") as sink:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "parley.server", "--port", "0", "--state-dir", str(state),
            "--log-level", "info", *args, stdout=asyncio.subprocess.PIPE, stderr=sink,
            stdin=asyncio.subprocess.DEVNULL, cwd=REPO, preexec_fn=limit_files)
    assert proc.stdout is not None
    try:
        line = (await asyncio.wait_for(proc.stdout.readline(), 15)).decode()
        assert "listening on" in line, f"{line!r}: {log.read_text()[-2000:]}"
        url = line.rsplit(" ", 1)[1].strip()
        port = int(url.rsplit(":", 1)[1].split("/")[0])
        yield ServerChild(proc, url, port, log)
    finally:
        if proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 10)
            except TimeoutError:
                proc.kill()
                await proc.wait()
