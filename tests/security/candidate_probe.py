"""One hostile call inside a network namespace (run by test_client_candidates.py):

    ip netns exec <ns> python -m tests.security.candidate_probe <addr> <router> <addr6>

A call server on ``addr`` (not loopback, so this is not a loopback call), a victim
(a CallSession joined with an invite: a guest) and Mal, a raw client in the same room,
who offers the victim 300 candidates (150 in the SDP, 150 trickled): loopback
(127.0.0.1:22 first), link-local, multicast, unspecified, broadcast, and 200 ordinary
ones on the router. nftables in this namespace records where every STUN binding request
leaves for (the destination of each UDP datagram with STUN's magic cookie). Prints one
JSON line: those destinations, the victim's answer SDP, the victim's participant
events about Mal (it waits for Mal to be unreachable) and the victim's log.
"""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from parley.protocol.grants import mint_invite
from parley.protocol.messages import Answer, Candidate, Join, Offer, Welcome, decode, encode
from parley.sdk import CallSession, ParticipantEventListener, SessionSettings
from parley.server import CallServer, ServerConfig
from tests.security.hostile import ROLES, candidate, offer_sdp, with_candidates

SECRET = b"p" * 32
NFT = """
table inet probe {
  set stun4 { type ipv4_addr . inet_service; flags dynamic; }
  set stun6 { type ipv6_addr . inet_service; flags dynamic; }
  chain out {
    type filter hook output priority 0; policy accept;
    meta nfproto ipv4 meta l4proto udp @th,96,32 0x2112a442 add @stun4 { ip daddr . udp dport }
    meta nfproto ipv6 meta l4proto udp @th,96,32 0x2112a442 add @stun6 { ip6 daddr . udp dport }
  }
}
"""
UNSAFE = ["127.0.0.1 22", "127.0.0.1 53", "127.0.0.53 53", "::1 22", "::ffff:127.0.0.1 22",
          "0.0.0.0 22", "255.255.255.255 9999", "fe80::1 5000", "ff02::1 5000"]
UNSAFE += [f"169.254.{i}.{i + 1} {5000 + i}" for i in range(30)]
UNSAFE += [f"224.0.0.{i + 1} {6000 + i}" for i in range(30)]
UNSAFE += [f"239.255.255.{250 + i % 5} {7000 + i}" for i in range(31)]  # 100 in all


def candidates(router: str) -> list[str]:
    """300: each unsafe one, then two ordinary ones, in turn."""
    ordinary = [f"{router} {40000 + i}" for i in range(200)]
    lines = []
    for i, where in enumerate(UNSAFE):
        lines += [where, ordinary[2 * i], ordinary[2 * i + 1]]
    out = []
    for n, where in enumerate(lines):
        host, port = where.split()
        out.append(candidate(host, int(port), n))
    return out


def stun_destinations() -> list[str]:
    found = []
    for name in ("stun4", "stun6"):
        out = subprocess.run(["nft", "-j", "list", "set", "inet", "probe", name],
                             capture_output=True, text=True, check=True).stdout
        for item in json.loads(out)["nftables"]:
            for element in item.get("set", {}).get("elem", []):
                host, port = element["concat"]
                found.append(f"{host} {port}")
    return found


async def run(addr: str, router: str) -> dict[str, Any]:
    subprocess.run(["nft", "-f", "-"], input=NFT, text=True, check=True)
    with tempfile.TemporaryDirectory() as tmp:
        server = CallServer(ServerConfig(host=addr, port=0, secret=SECRET,
                                         heartbeat_timeout=60.0,  # Mal sends no pings
                                         state_dir=Path(tmp) / "state"))
        await server.start()
        victim = CallSession()
        events: list[str] = []
        logged: list[str] = []
        handler = logging.Handler()
        handler.emit = lambda record: logged.append(record.getMessage())  # type: ignore
        logging.getLogger("parley").addHandler(handler)
        logging.getLogger("parley").setLevel(logging.INFO)
        lines = candidates(router)
        sdp = with_candidates(await offer_sdp(), lines[:150])
        try:
            await victim.join_session("room", SessionSettings("Vic", fake_media=True),
                                      server=server.url,
                                      token=mint_invite(SECRET, "room", 600, uses=5))
            assert victim.local_participant is not None
            victim_id = victim.local_participant.id
            async with aiohttp.ClientSession() as http, http.ws_connect(server.url) as ws:
                await ws.send_str(encode(Join(session_id="room", display_name="Mal",
                                              token=mint_invite(SECRET, "room", 600))))
                welcome = decode((await ws.receive()).data)
                assert isinstance(welcome, Welcome), welcome
                unreachable = asyncio.Event()

                def note(p: Any) -> None:
                    events.append(f"on_media_unreachable {p.id}")
                    unreachable.set()
                victim.add_participant_event_listener(ParticipantEventListener(
                    on_media_stalled=lambda p: events.append(f"on_media_stalled {p.id}"),
                    on_media_unreachable=note))
                await ws.send_str(encode(Offer(sdp=sdp, generation=1, tracks=ROLES,
                                               to=victim_id)))
                for line in lines[150:]:
                    await ws.send_str(encode(Candidate(candidate=line, sdp_mid="0",
                                                       sdp_mline_index=0, generation=1,
                                                       to=victim_id)))
                answer = await _answer(ws)
                seen = await _checks_settled(router)
                await asyncio.wait_for(unreachable.wait(), 30)  # after 10 s without a path
                return {"destinations": seen, "answer": answer.sdp, "events": events,
                        "mal": welcome.participant_id, "log": logged}
        finally:
            await victim.leave_session()
            await server.stop()


async def _answer(ws: aiohttp.ClientWebSocketResponse) -> Answer:
    async with asyncio.timeout(20):
        async for raw in ws:
            msg = decode(raw.data)
            if isinstance(msg, Answer):
                return msg
    raise AssertionError("the socket closed before an answer came")


async def _checks_settled(router: str) -> list[str]:
    """The STUN destinations once the checks to the router stopped growing in number
    (each check is sent and retransmitted within a few seconds) or 20 are reached."""
    deadline = time.monotonic() + 20
    seen: list[str] = []
    last_growth = time.monotonic()
    while time.monotonic() < deadline:
        now = stun_destinations()
        if len(now) > len(seen):
            last_growth = time.monotonic()
        seen = now
        if time.monotonic() - last_growth > 3.0 and seen:
            break
        await asyncio.sleep(0.2)
    return seen


def main() -> None:
    addr, router = sys.argv[1:3]
    print(json.dumps(asyncio.run(run(addr, router))), flush=True)


if __name__ == "__main__":
    main()
