"""Joining through an invite's several addresses: the next only when the last is unreachable."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from parley.protocol.grants import mint_invite
from parley.sdk import CallSession, JoinError, JoinFailure, SessionSettings, SessionState
from parley.sdk.dial import dial, servers_to_dial
from parley.server import CallServer, ServerConfig
from tests.sdk.recorder import Recorder

SECRET = b"s3cret-of-at-least-thirty-two-bytes"


def settings() -> SessionSettings:
    return SessionSettings(display_name="Ada", media=False)


def closed_port() -> int:
    """A loopback port that was just bound and closed: connecting to it is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


class Listener:
    """A TCP listener that only counts the connections it gets (a second address that
    must not be dialled)."""

    def __init__(self) -> None:
        self.connections = 0
        self.port = 0

    async def __aenter__(self) -> Listener:
        def accept(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.connections += 1
            writer.close()

        self._server = await asyncio.start_server(accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *_: object) -> None:
        self._server.close()
        await self._server.wait_closed()


@pytest.fixture
async def guarded(tmp_path: Path) -> AsyncIterator[CallServer]:
    async with CallServer(ServerConfig(port=0, secret=SECRET, state_dir=tmp_path)) as server:
        yield server


async def test_a_refused_first_address_joins_through_the_second(server: CallServer) -> None:
    session = CallSession()
    rec = Recorder()
    session.add_session_status_listener(rec.status_listener())
    first = f"ws://127.0.0.1:{closed_port()}/ws"
    await session.join_session("standup", settings(), server=first, alternates=(server.url,))
    assert session.state is SessionState.JOINED
    assert session.server_url == server.url  # resume and reconnect dial the one that answered
    await session.leave_session()
    assert rec.status_names() == ["on_session_joined", "on_session_left"]


async def test_a_refusal_by_the_server_is_not_retried_elsewhere(guarded: CallServer) -> None:
    session = CallSession()
    wrong = mint_invite(b"another-secret-of-thirty-two-bytes!", "standup", 60)
    async with Listener() as other:
        with pytest.raises(JoinError, match="token") as info:
            await session.join_session("standup", settings(), server=guarded.url, token=wrong,
                                       alternates=(f"ws://127.0.0.1:{other.port}/ws",))
        assert info.value.reason is JoinFailure.TOKEN_REJECTED
        assert other.connections == 0
    assert session.state is SessionState.IDLE and session.server_url == guarded.url


async def test_every_address_unreachable_names_the_last_one_tried() -> None:
    session = CallSession()
    rec = Recorder()
    session.add_session_status_listener(rec.status_listener())
    first, last = closed_port(), closed_port()
    with pytest.raises(JoinError, match=f"^cannot reach the call server at .*:{last}/ws") as info:
        await session.join_session("standup", settings(), server=f"127.0.0.1:{first}",
                                   alternates=[f"127.0.0.1:{last}"])
    assert info.value.reason is JoinFailure.UNREACHABLE
    assert rec.events == [] and session.state is SessionState.IDLE


def test_the_alternates_are_normalised_and_checked() -> None:
    assert servers_to_dial("ws://a:1/ws", ["a:1", "", "b:2"]) == ("ws://a:1/ws", "ws://b:2/ws")
    with pytest.raises(JoinError, match="at most 7 alternate"):
        servers_to_dial("ws://a:1/ws", [f"h{i}:1" for i in range(8)])
    with pytest.raises(TypeError, match="not one string"):
        servers_to_dial("ws://a:1/ws", "b:2")


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_each_try_gets_an_equal_share_of_what_is_left() -> None:
    clock = FakeClock()
    shares: list[tuple[str, float]] = []

    async def attempt(server: str, share: float) -> str:
        shares.append((server, share))
        if server == "timeout":
            clock.now += share
            raise TimeoutError
        if server == "refused":
            raise ConnectionRefusedError
        return server

    assert await dial(["refused", "timeout", "ok"], attempt, 6.0, clock=clock) == "ok"
    assert shares == [("refused", 2.0), ("timeout", 3.0), ("ok", 3.0)]
    shares.clear()
    assert await dial(["ok"], attempt, 5.0, clock=clock) == "ok"
    assert shares == [("ok", 5.0)]


async def test_an_answer_that_is_no_unreachability_stops_the_dialling() -> None:
    tried: list[str] = []

    async def attempt(server: str, share: float) -> str:
        tried.append(server)
        raise PermissionError("refused by the server")

    with pytest.raises(PermissionError, match="refused by the server"):
        await dial(["a", "b"], attempt, 5.0)
    assert tried == ["a"]


class _LobbyThenSilence:
    """A link whose server put the join in its lobby, then went quiet past the guard."""

    async def connect(self, join: object, timeout: float,
                      on_waiting: Callable[[object], None] | None = None) -> object:
        assert on_waiting is not None
        on_waiting(object())
        raise TimeoutError


async def test_a_join_that_reached_a_lobby_tries_no_other_address() -> None:
    from parley.protocol.messages import Join
    from parley.sdk.dial import dial_join

    made: list[str] = []
    waited: list[bool] = []

    def make_link(server: str) -> Any:
        made.append(server)
        return _LobbyThenSilence()

    with pytest.raises(TimeoutError):
        await dial_join(["ws://a:1/ws", "ws://b:1/ws"], make_link,
                        Join(session_id="standup", display_name="Ada"),
                        lambda: waited.append(True), wanted=lambda: True)
    assert made == ["ws://a:1/ws"] and waited == [True]
