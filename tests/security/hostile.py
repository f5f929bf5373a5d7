"""A hostile room member for the client-side attacks: a raw protocol client that sends
offers with real-looking SDP (made by aiortc, as a Parley or browser peer's would be)
and candidates of its choosing. Shared by tests/security and ``python -m bench attacks``."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable

from aiortc import RTCPeerConnection

from parley.protocol.messages import Answer, Candidate, Offer, TrackRole, decode, encode

ROLES = (TrackRole(mid="0", role="audio"), TrackRole(mid="1", role="camera"),
         TrackRole(mid="2", role="screen"))


async def offer_sdp() -> str:
    """A fresh offer as a Parley peer makes it: audio, camera, screen, the data channel,
    its host candidates gathered in."""
    pc = RTCPeerConnection()
    try:
        for kind in ("audio", "video", "video"):
            pc.addTransceiver(kind, direction="sendrecv")
        pc.createDataChannel("heartbeat", negotiated=True, id=0)
        await pc.setLocalDescription(await pc.createOffer())
        return str(pc.localDescription.sdp)
    finally:
        await pc.close()


def with_candidates(sdp: str, candidates: Iterable[str]) -> str:
    """``sdp`` with its own candidates replaced by ``candidates`` (``candidate:...``
    lines), in every m-line, as browsers and aiortc write a BUNDLE group's candidates
    (aiortc, answering with max-bundle, takes those of the last m-line)."""
    wanted = ["a=" + c for c in candidates]
    out: list[str] = []
    for line in sdp.splitlines():
        if line.startswith("a=candidate:") or line == "a=end-of-candidates":
            continue
        out.append(line)
        if line.startswith("a=mid:"):
            out.extend(wanted)
    return "\r\n".join(out) + "\r\n"


def candidate(host: str, port: int, n: int) -> str:
    return f"candidate:h{n} 1 udp {2130706431 - n} {host} {port} typ host"


class Hostile:
    """A joined raw client (tests.server.conftest.Client-like: ``send``, ``ws``) that
    counts the answers it gets."""

    def __init__(self, client: object) -> None:
        self.client = client
        self.answers: list[Answer] = []
        self._reader: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._reader = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        ws = self.client.ws  # type: ignore[attr-defined]
        async for raw in ws:
            try:
                msg = decode(raw.data)
            except Exception:
                continue
            if isinstance(msg, Answer):
                self.answers.append(msg)

    async def flood_offers(self, to: str, sdp: str, per_second: float, seconds: float,
                           first_generation: int = 1) -> int:
        """Offers to ``to``, each a new generation (each asks for a new connection), at
        ``per_second`` for ``seconds``; returns how many were sent."""
        ws = self.client.ws  # type: ignore[attr-defined]
        started = time.monotonic()
        sent = 0
        while time.monotonic() - started < seconds:
            await ws.send_str(encode(Offer(sdp=sdp, generation=first_generation + sent,
                                           tracks=ROLES, to=to)))
            sent += 1
            await asyncio.sleep(max(0.0, started + sent / per_second - time.monotonic()))
        return sent

    async def flood_candidates(self, to: str, generation: int, per_second: float,
                               seconds: float) -> int:
        """Trickled candidates of the one connection ``generation``, all different, all
        on loopback addresses nothing listens on (127.77/16)."""
        ws = self.client.ws  # type: ignore[attr-defined]
        started = time.monotonic()
        sent = 0
        while time.monotonic() - started < seconds:
            line = candidate(f"127.77.{sent // 250 % 250}.{1 + sent % 250}", 61000, sent)
            await ws.send_str(encode(Candidate(candidate=line, sdp_mid="0", sdp_mline_index=0,
                                               generation=generation, to=to)))
            sent += 1
            await asyncio.sleep(max(0.0, started + sent / per_second - time.monotonic()))
        return sent

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
