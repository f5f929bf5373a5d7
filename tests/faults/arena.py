"""The bad-input rig: a live server process (with a secret, so tokens matter) next to a
calm call of two SDK participants (agent processes) and a raw observer in room ``calm``.
Whatever an offender does, the server must answer it as docs/protocol.md says, stay up,
and leave the calm call untouched (:meth:`Arena.check_untouched`). The ``arena`` fixture
(tests/faults/conftest.py) builds it."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp

from parley.protocol.grants import mint_invite
from parley.protocol.messages import ParticipantJoined
from tests.faults.harness import AgentProc, Lab, ServerProc, about, status
from tests.faults.rawclient import Closed, RawClient

SECRET = b"fault-test-secret-of-32-bytes-long"
MAX_FRAME = 64 * 1024


def token(room: str, ttl: float = 600) -> str:
    return mint_invite(SECRET, room, ttl)


@dataclass
class Arena:
    server: ServerProc
    a: AgentProc
    b: AgentProc
    observer: RawClient
    started: float

    @property
    def url(self) -> str:
        return self.server.url

    async def check_untouched(self) -> None:
        """The calm call saw nothing, still works, and the server is healthy."""
        assert self.server.proc is not None and self.server.proc.returncode is None, \
            "the server died"
        assert status(self.a) == ["on_session_joined"] == status(self.b)
        assert about(self.a, self.b.pid) == ["on_participant_joined"] or \
            about(self.b, self.a.pid) == ["on_participant_joined"]
        for agent in (self.a, self.b):
            others = [e for e in agent.events if e["ev"].startswith("on_participant")
                      and e["pid"] not in (self.a.pid, self.b.pid, self.observer.pid)]
            assert not others, f"{agent.name} saw strangers: {others}"
        stray = [m for m in self.observer.seen if not isinstance(m, ParticipantJoined)]
        assert not stray, f"the observer got {stray}"
        asked = time.monotonic()
        self.a.send("mute")
        await self.b.wait("on_audio_muted", after=asked, timeout=5,
                          where=lambda e: e["pid"] == self.a.pid)
        self.a.send("unmute")
        await self.b.wait("on_audio_unmuted", after=asked, timeout=5)
        self.observer.seen.clear()
        url = self.url.replace("ws://", "http://").replace("/ws", "/health")
        async with aiohttp.ClientSession() as http, http.get(url) as response:
            assert await response.text() == "ok"
        log = self.server.log.read_text(errors="replace")
        assert "Traceback" not in log and "level=ERROR" not in log, log[-3000:]



@asynccontextmanager
async def open_arena(lab: Lab) -> AsyncIterator[Arena]:
    # The fuzz comes from one address over many connections, holds them open unjoined and
    # floods one reader: the per-address, pre-join and relay limits are tests/security's.
    server = lab.server(extra=("--secret", SECRET.decode(), "--exempt-loopback",
                               "--join-deadline", "600", "--prejoin-max-bytes", "65536",
                               "--relay-bytes-per-second", "100000000",
                               "--relay-burst-bytes", "100000000",
                               "--seat-relay-bytes-per-second", "100000000",
                               "--seat-relay-burst-bytes", "100000000"))
    await server.start()
    a, b = lab.agent("calm-a"), lab.agent("calm-b")
    for agent in (a, b):
        await agent.start(server.url, "calm", token=token("calm"))
        await agent.joined()
    await a.wait("on_participant_joined", where=lambda e: e["pid"] == b.pid)
    observer = RawClient(server.url)
    await observer.__aenter__()
    assert not isinstance(await observer.join("calm", "Observer", token("calm")), Closed)
    for agent in (a, b):
        await agent.wait("on_participant_joined", where=lambda e: e["name"] == "Observer")
    observer.keep_alive()
    try:
        yield Arena(server, a, b, observer, time.monotonic())
    finally:
        await observer.close()
