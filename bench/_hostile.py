"""A hostile room member in its own process, for ``python -m bench attacks``:
``python -m bench._hostile URL ROOM VICTIM_NAME SECONDS``. It joins twice (two seats,
from two loopback addresses: each seat has its own message budget on the server),
prints "joined", waits for a line on stdin, then for SECONDS floods the participant
named VICTIM_NAME with 40 offers a second (real-looking SDP, each a new connection)
from one seat and trickled candidates from the other, and prints one JSON line: what it
sent and how many answers it got."""

from __future__ import annotations

import asyncio
import json
import sys

import aiohttp
from tests.security.hostile import Hostile, candidate, offer_sdp, with_candidates
from tests.server.conftest import Client

from parley.protocol.messages import Welcome

OFFERS_PER_S = 40.0
CANDIDATES_PER_S = 45.0  # under the server's 50 messages a second per connection


_HTTP: list[aiohttp.ClientSession] = []


async def _seat(url: str, room: str, name: str, source: str) -> tuple[Client, Welcome]:
    http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(local_addr=(source, 0)))
    _HTTP.append(http)
    client = Client(await http.ws_connect(url))
    welcome = await client.join(room, name)
    return client, welcome


async def main(url: str, room: str, victim_name: str, seconds: float) -> None:
    offers_seat, welcome = await _seat(url, room, "Mal", "127.0.66.1")
    candidates_seat, _ = await _seat(url, room, "Mal 2", "127.0.66.2")
    victim = next(p.id for p in welcome.participants if p.name == victim_name)
    sdp = with_candidates(await offer_sdp(), [candidate("127.77.0.1", 61001, 0)])
    offers, trickle = Hostile(offers_seat), Hostile(candidates_seat)
    offers.start()
    print("joined", flush=True)
    await asyncio.to_thread(sys.stdin.readline)
    sent_offers, sent_candidates = await asyncio.gather(
        offers.flood_offers(victim, sdp, OFFERS_PER_S, seconds),
        trickle.flood_candidates(victim, 0, CANDIDATES_PER_S, seconds))
    await asyncio.sleep(1.5)  # the last coalesced offer is answered after its window
    print(json.dumps({"offers_sent": sent_offers, "candidates_sent": sent_candidates,
                      "answers": len(offers.answers)}), flush=True)
    await offers.close()
    for seat in (offers_seat, candidates_seat):
        await seat.ws.close()
    for http in _HTTP:
        await http.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])))
