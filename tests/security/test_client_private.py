"""A participant that keeps its host addresses private sends server-reflexive and relay
candidates only: behind a (simulated) NAT, with a STUN server that reports a public
mapping, the answer another room member receives names the mapping and none of this
machine's own addresses. Real SDK session, real server on loopback, a raw member."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aioice import stun
from aioice.ice import get_host_addresses

from parley.protocol.messages import IceServer, Offer
from parley.sdk import CallSession, SessionSettings
from parley.server import CallServer
from tests.security.conftest import Connect
from tests.security.hostile import ROLES, Hostile, candidate, offer_sdp, with_candidates

pytestmark = pytest.mark.slow

PUBLIC = "198.51.100.77"
"""The address the fake STUN server says the client's NAT maps it to."""


class NatStun(asyncio.DatagramProtocol):
    """A STUN server behind which every client seems to sit behind a NAT at PUBLIC."""

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        try:
            request = stun.parse_message(data)
        except ValueError:
            return
        if request.message_method is not stun.Method.BINDING:
            return
        response = stun.Message(stun.Method.BINDING, stun.Class.RESPONSE,
                                transaction_id=request.transaction_id,
                                attributes={"XOR-MAPPED-ADDRESS": (PUBLIC, addr[1])})
        self.transport.sendto(bytes(response), addr)


@pytest.fixture
async def nat_stun() -> AsyncIterator[IceServer]:
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(NatStun, local_addr=("127.0.0.1", 0))
    port = transport.get_extra_info("sockname")[1]
    yield IceServer(urls=(f"stun:127.0.0.1:{port}",))
    transport.close()


async def test_hidden_host_addresses_leave_only_the_server_reflexive_candidate(
        servers: Callable[..., Awaitable[CallServer]], connect: Connect,
        nat_stun: IceServer) -> None:
    """What the others learn: the public mapping (198.51.100.77), never this machine's
    LAN addresses; what the user sees: nothing (the call works as it would)."""
    server = await servers()
    victim = CallSession()
    settings = SessionSettings("Vic", fake_media=True, hide_host_addresses=True,
                               ice_servers=(nat_stun,))
    await victim.join_session("room", settings, server=server.url)
    try:
        assert victim.local_participant is not None
        mal = await connect(server)
        await mal.join("room", "Mal")
        hostile = Hostile(mal)
        hostile.start()
        sdp = with_candidates(await offer_sdp(), [candidate("127.77.0.1", 61001, 0)])
        await mal.send(Offer(sdp=sdp, generation=5, tracks=ROLES,
                             to=victim.local_participant.id))
        async with asyncio.timeout(20):
            while not hostile.answers:
                await asyncio.sleep(0.05)
        await hostile.close()
        answer = hostile.answers[0].sdp
    finally:
        await victim.leave_session()
    lines = [line for line in answer.splitlines() if line.startswith("a=candidate:")]
    assert lines, "the answer carries no candidate at all"
    assert all(" typ srflx " in line and line.endswith("raddr 0.0.0.0 rport 0")
               for line in lines), lines
    assert all(PUBLIC in line for line in lines)
    mine = get_host_addresses(use_ipv4=True, use_ipv6=True)
    assert mine and not [address for address in mine if address in answer], mine
    assert f"c=IN IP4 {PUBLIC}" in answer
