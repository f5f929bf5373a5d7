"""Processes for fault tests: a call server and agents, each maybe in its own namespace.

The orchestrating test runs them as asyncio subprocesses. An agent's stdout is
a stream of JSON events (see agent.py) collected here; tests wait for an event
with a timeout - never sleep - and get a failure that shows the agent's recent
events and log when it does not come.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.faults.netns import Topology, unavailable_reason

REPO = Path(__file__).resolve().parents[2]
REQUIRE_NETNS = "PARLEY_REQUIRE_NETNS"
"""Set (``make faults`` and CI do) to turn a missing-root skip into a failure."""

SERVER_PORT = 8787


def require_netns() -> None:
    """Skip the test where network namespaces can't be made (not root), or fail it when
    ``PARLEY_REQUIRE_NETNS`` says they must be (``make faults``)."""
    reason = unavailable_reason()
    if reason is not None:
        if os.environ.get(REQUIRE_NETNS):
            pytest.fail(f"{REQUIRE_NETNS} is set but {reason}")
        pytest.skip(reason)


Event = dict[str, Any]


def _tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


class ServerProc:
    """``python -m parley.server`` in a namespace (or on loopback), restartable."""

    def __init__(self, prefix: list[str], host: str, port: int, state_dir: Path,
                 log: Path, extra: list[str]) -> None:
        self.prefix, self.host, self.port = prefix, host, port
        self.state_dir, self.log, self.extra = state_dir, log, extra
        self.proc: asyncio.subprocess.Process | None = None
        self.url = ""
        self.starts = 0

    async def start(self, timeout: float = 15.0) -> str:
        assert self.proc is None or self.proc.returncode is not None, "already running"
        self.starts += 1
        args = [*self.prefix, sys.executable, "-m", "parley.server", "--host", self.host,
                "--port", str(self.port), "--state-dir", str(self.state_dir),
                "--log-level", "info", *self.extra]
        if not self.host.startswith("127."):
            args.append("--allow-open-rooms")
        with open(self.log, "a") as log:
            log.write(f"--- start #{self.starts} at {time.monotonic():.3f}\n")
            self.proc = await asyncio.create_subprocess_exec(
                *args, stdout=asyncio.subprocess.PIPE, stderr=log, cwd=REPO,
                stdin=asyncio.subprocess.DEVNULL, start_new_session=True)
        assert self.proc.stdout is not None
        try:
            line = (await asyncio.wait_for(self.proc.stdout.readline(), timeout)).decode()
        except TimeoutError:
            line = ""
        if "listening on" not in line:
            await self.kill()
            raise AssertionError(f"server did not start: {line!r}\n{_tail(self.log)}")
        self.url = line.rsplit(" ", 1)[1].strip()
        if self.port == 0:
            self.port = int(self.url.rsplit(":", 1)[1].split("/")[0])
        return self.url

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def signal(self, sig: int) -> None:
        if self.proc is not None and self.proc.returncode is None:
            os.kill(self.proc.pid, sig)

    async def kill(self) -> None:
        """SIGKILL (a crash) and reap."""
        self.signal(signal.SIGKILL)
        if self.proc is not None:
            await self.proc.wait()

    async def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM (graceful shutdown) and wait; SIGKILL if it does not exit in time."""
        if self.proc is None:
            return None
        self.signal(signal.SIGCONT)
        self.signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(self.proc.wait(), timeout)
        except TimeoutError:
            await self.kill()
            raise AssertionError(f"server ignored SIGTERM for {timeout} s") from None


class AgentProc:
    """One participant process (tests/faults/agent.py) and the events it printed."""

    def __init__(self, name: str, prefix: list[str], log: Path) -> None:
        self.name, self.prefix, self.log = name, prefix, log
        self.proc: asyncio.subprocess.Process | None = None
        self.events: list[Event] = []
        self.pid: str | None = None
        self._changed = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None
        self._eof = False

    async def start(self, server: str, session: str, *, reconnect_timeout: float = 30.0,
                    media: bool = False, idle_timeout: float = 0.0,
                    token: str | None = None) -> None:
        args = ["--server", server, "--session", session, "--name", self.name,
                "--reconnect-timeout", str(reconnect_timeout),
                "--idle-timeout", str(idle_timeout)]
        if media:
            args.append("--media")
        if token is not None:
            args += ["--token", token]
        await self.start_module("tests.faults.agent", *args)

    async def start_module(self, module: str, *args: str) -> None:
        """Run ``python -m module args`` (in this agent's namespace) and collect its
        events: any script that prints one JSON object per line with ``ev`` and ``t``."""
        command = (*self.prefix, sys.executable, "-m", module, *args)
        with open(self.log, "a") as log:
            self.proc = await asyncio.create_subprocess_exec(
                *command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                stderr=log, cwd=REPO, start_new_session=True,
                env={**os.environ, "PYTHONUNBUFFERED": "1"})
        self._reader = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        with open(self.log.with_suffix(".events"), "ab") as keep:  # for post-mortems
            async for raw in self.proc.stdout:
                keep.write(raw)
                self._take(raw)
        self._eof = True
        self._changed.set()

    def _take(self, raw: bytes) -> None:
        try:
            event = json.loads(raw)
        except ValueError:
            return
        if event["ev"] == "joined_as":
            self.pid = event["pid"]
        self.events.append(event)
        self._changed.set()

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    async def joined(self, timeout: float = 20.0) -> str:
        event = await self.wait_any(("joined_as", "join_error"), timeout=timeout)
        assert event["ev"] == "joined_as", f"{self.name} could not join: {event}"
        return str(event["pid"])

    def matching(self, ev: str | tuple[str, ...], after: float = 0.0,
                 where: Callable[[Event], bool] | None = None) -> list[Event]:
        names = (ev,) if isinstance(ev, str) else ev
        return [e for e in self.events if e["ev"] in names and e["t"] >= after
                and (where is None or where(e))]

    async def wait_any(self, ev: str | tuple[str, ...], *, after: float = 0.0,
                       timeout: float = 10.0,
                       where: Callable[[Event], bool] | None = None) -> Event:
        """The first event named ``ev`` at or after ``after``; fails after ``timeout``."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    found = self.matching(ev, after, where)
                    if found:
                        return found[0]
                    if self._eof:  # the process is gone: nothing more will come
                        break
                    self._changed.clear()
                    await self._changed.wait()
        except TimeoutError:
            pass
        raise AssertionError(
            f"{self.name}: no {ev} after t={after:.3f} within {timeout} s "
            f"(now {time.monotonic():.3f}; exited={self.proc and self.proc.returncode})\n"
            f"events: {self.brief(after - 5)}\nlog tail:\n{_tail(self.log)}")

    async def wait(self, ev: str, **kw: Any) -> float:
        return float((await self.wait_any(ev, **kw))["t"])

    def brief(self, after: float = 0.0) -> list[str]:
        return [f"{e['t']:.3f} {e['ev']} {e.get('name') or ''}".strip()
                for e in self.events if e["t"] >= after and e["ev"] != "video"]

    def send(self, command: str) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        if self.running:
            self.proc.stdin.write(command.encode() + b"\n")

    async def report(self, timeout: float = 10.0) -> Event:
        asked = time.monotonic()
        self.send("report")
        return await self.wait_any("report", after=asked, timeout=timeout)

    async def expect_video(self, timeout: float = 10.0) -> Event:
        """Ask for a fresh frame from every peer in the call; ``video_ok`` or ``video_missing``."""
        asked = time.monotonic()
        self.send(f"expect_video {timeout}")
        return await self.wait_any(("video_ok", "video_missing"), after=asked,
                                   timeout=timeout + 10)

    async def exit(self, timeout: float = 15.0) -> Event:
        """Leave (if in the call), collect the final report, wait for the process to end."""
        asked = time.monotonic()
        self.send("exit")
        report = await self.wait_any("report", after=asked, timeout=timeout)
        assert self.proc is not None
        await asyncio.wait_for(self.proc.wait(), timeout)
        return report

    def kill(self) -> None:
        if self.running:
            assert self.proc is not None
            os.kill(self.proc.pid, signal.SIGKILL)

    async def reap(self) -> None:
        self.kill()
        if self.proc is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.proc.wait(), 10)
        if self._reader is not None:
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(self._reader, 5)


class Lab:
    """Owns every namespace and process a test makes; ``close()`` removes them all."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.nets: list[Topology] = []
        self.servers: list[ServerProc] = []
        self.agents: list[AgentProc] = []

    def net(self, hosts: list[str]) -> Topology:
        require_netns()
        topo = Topology(hosts)
        self.nets.append(topo)
        topo.create()
        return topo

    def server(self, net: Topology | None = None, host: str = "srv",
               extra: tuple[str, ...] = ()) -> ServerProc:
        tag = f"server{len(self.servers)}"
        state = self.tmp / tag
        state.mkdir(mode=0o700)  # the server refuses a state directory others can read
        if net is None:
            srv = ServerProc([], "127.0.0.1", 0, state, self.tmp / f"{tag}.log", list(extra))
        else:
            srv = ServerProc(net.exec_prefix(host), net.addr(host), SERVER_PORT, state,
                             self.tmp / f"{tag}.log", list(extra))
        self.servers.append(srv)
        return srv

    def agent(self, name: str, net: Topology | None = None,
              host: str | None = None) -> AgentProc:
        prefix = net.exec_prefix(host or name) if net is not None else []
        agent = AgentProc(name, prefix, self.tmp / f"agent-{name}-{len(self.agents)}.log")
        self.agents.append(agent)
        return agent

    async def close(self) -> None:
        try:
            await asyncio.gather(*(a.reap() for a in self.agents), return_exceptions=True)
            await asyncio.gather(*(s.kill() for s in self.servers), return_exceptions=True)
        finally:
            for topo in self.nets:
                topo.destroy()


async def start_call(lab: Lab, net: Topology | None, names: list[str], *,
                     session: str = "call", server_extra: tuple[str, ...] = (),
                     **agent_kw: Any) -> tuple[ServerProc, list[AgentProc]]:
    """A server and one agent per name (each on its own host of ``net``), all joined and
    each seeing all the others."""
    server = lab.server(net, extra=server_extra)
    await server.start()
    agents = [lab.agent(name, net) for name in names]
    for agent in agents:
        await agent.start(server.url, session, **agent_kw)
    pids = [await agent.joined() for agent in agents]
    for agent in agents:
        for other in pids:
            if other != agent.pid:
                await agent.wait("on_participant_joined", where=lambda e, o=other: e["pid"] == o)
    return server, agents


def about(agent: AgentProc, pid: str | None, after: float = 0.0) -> list[str]:
    """The participant events ``agent`` saw about ``pid``, in order."""
    return [e["ev"] for e in agent.events
            if e.get("pid") == pid and e["t"] >= after and e["ev"].startswith("on_participant")]


def status(agent: AgentProc, after: float = 0.0) -> list[str]:
    """The SessionStatusListener callbacks ``agent`` saw, in order."""
    return [e["ev"] for e in agent.events if e["t"] >= after and e["ev"] in STATUS]


STATUS = ("on_session_joined", "on_session_left", "on_session_timed_out",
          "on_connection_lost", "on_connection_restored", "on_connection_closed")
TERMINAL = ("on_session_left", "on_session_timed_out", "on_connection_closed")
