"""The yardstick of bench/links.py: a Chromium pair, and the clip both stacks send.

- :func:`clip`: a hard Y4M clip (testsrc2's moving pattern with temporal noise,
  640x480@30, 10 s), made with PyAV once and cached under the temp directory (never in
  the repository: it is 138 MB). VP8 needs well over 1 Mbit/s for it to look good.
- ``python -m bench._chromium relay --host H --port P``: a tiny signaling service (the
  page below, and a WebSocket that relays each message to the other page), run in the
  rig's server namespace.
- ``python -m bench._chromium page --url U --role send|receive --profile DIR [--clip F]``:
  one headless Chromium (Debian's /usr/bin/chromium through Playwright, never a
  download) in a host's namespace, with one RTCPeerConnection; the sender's camera is
  the clip (``--use-file-for-fake-video-capture``). Its video stats (getStats) once a
  second.

Both print one JSON object per line with ``ev`` and ``t`` (time.monotonic()), the way
tests/faults/agent.py does, so tests/faults/harness.py's AgentProc drives them; ``exit``
on stdin (or its end) closes them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
CLIP_SIZE, CLIP_FPS, CLIP_SECONDS = (640, 480), 30, 10
CLIP_NOISE = 20
"""ffmpeg's noise filter strength (0-100), changing every frame: the texture that makes
the clip expensive to encode."""
FLAGS = [
    "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
    # the rig has no mDNS: give ICE the namespace's real address
    "--disable-features=WebRtcHideLocalIpsWithMdns",
]


def clip() -> Path:
    """The cached clip (made on first use)."""
    import av

    w, h = CLIP_SIZE
    folder = Path(tempfile.gettempdir()) / "parley-bench"
    folder.mkdir(exist_ok=True)
    path = folder / f"clip-{w}x{h}-{CLIP_FPS}fps-{CLIP_SECONDS}s-n{CLIP_NOISE}.y4m"
    if path.exists():
        return path
    partial = path.with_suffix(f".{os.getpid()}.part")
    source = av.open(f"testsrc2=size={w}x{h}:rate={CLIP_FPS}:duration={CLIP_SECONDS},"
                     f"noise=alls={CLIP_NOISE}:allf=t", format="lavfi")
    with source, av.open(str(partial), "w", format="yuv4mpegpipe") as out:
        stream = out.add_stream("rawvideo", rate=CLIP_FPS)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        for frame in source.decode(video=0):
            out.mux(stream.encode(frame.reformat(format="yuv420p")))
        out.mux(stream.encode())
    partial.rename(path)
    return path


def emit(ev: str, **fields: Any) -> None:
    print(json.dumps({"ev": ev, "t": time.monotonic(), **fields}), flush=True)


PAGE = """<!doctype html><meta charset="utf-8"><title>pair</title><body><script>
const role = new URLSearchParams(location.search).get("role");
const pc = new RTCPeerConnection({iceServers: []});
const ws = new WebSocket(`ws://${location.host}/ws`);
const pending = [];
window.pc = pc;
const send = (m) => ws.send(JSON.stringify(m));
pc.onicecandidate = (e) => { if (e.candidate) send({candidate: e.candidate.toJSON()}); };
pc.ontrack = (e) => {
  if (e.track.kind !== "video") return;
  const v = document.createElement("video");
  v.muted = true; v.autoplay = true; v.srcObject = new MediaStream([e.track]);
  document.body.appendChild(v); v.play();
};
async function remote(sdp) {
  await pc.setRemoteDescription(sdp);
  for (const c of pending.splice(0)) await pc.addIceCandidate(c);
  if (sdp.type === "offer") {
    await pc.setLocalDescription(await pc.createAnswer());
    send({sdp: pc.localDescription});
  }
}
ws.onmessage = async (e) => {
  const m = JSON.parse(e.data);
  if (m.ready && role === "send") {
    const media = await navigator.mediaDevices.getUserMedia(
      {video: {width: 640, height: 480, frameRate: 30}, audio: true});
    for (const t of media.getTracks()) pc.addTrack(t, media);
    await pc.setLocalDescription(await pc.createOffer());
    send({sdp: pc.localDescription});
  } else if (m.sdp) {
    await remote(m.sdp);
  } else if (m.candidate) {
    if (pc.remoteDescription) await pc.addIceCandidate(m.candidate);
    else pending.push(m.candidate);
  }
};
window.videoStats = async () => {
  const out = {state: pc.connectionState};
  (await pc.getStats()).forEach((s) => {
    if ((s.type === "inbound-rtp" || s.type === "outbound-rtp") && s.kind === "video") {
      out[s.type === "inbound-rtp" ? "in" : "out"] = {
        framesDecoded: s.framesDecoded, framesReceived: s.framesReceived,
        framesDropped: s.framesDropped, freezeCount: s.freezeCount,
        totalFreezesDuration: s.totalFreezesDuration, bytesReceived: s.bytesReceived,
        bytesSent: s.bytesSent, framesEncoded: s.framesEncoded, framesSent: s.framesSent,
        width: s.frameWidth, height: s.frameHeight, targetBitrate: s.targetBitrate,
        limitation: s.qualityLimitationReason, nackCount: s.nackCount,
        retransmittedBytesSent: s.retransmittedBytesSent};
    }
  });
  return out;
};
</script></body>"""


async def relay(host: str, port: int) -> None:
    from aiohttp import WSMsgType, web

    peers: list[web.WebSocketResponse] = []

    async def page(_request: web.Request) -> web.Response:
        return web.Response(text=PAGE, content_type="text/html")

    async def socket(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        peers.append(ws)
        if len(peers) == 2:
            for peer in peers:
                await peer.send_str(json.dumps({"ready": True}))
        async for message in ws:
            if message.type == WSMsgType.TEXT:
                for other in [p for p in peers if p is not ws]:
                    await other.send_str(message.data)
        peers.remove(ws)
        return ws

    app = web.Application()
    app.add_routes([web.get("/", page), web.get("/ws", socket)])
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    emit("ready", url=f"http://{host}:{port}/")
    await _until_exit()
    await runner.cleanup()
    emit("left")


async def page(url: str, role: str, profile: str, clip_file: str | None) -> None:
    from playwright.async_api import async_playwright

    origin = url.rstrip("/")
    # getUserMedia needs a secure context; the rig's page is plain http on a namespace
    flags = [*FLAGS, f"--unsafely-treat-insecure-origin-as-secure={origin}"]
    if clip_file is not None:
        flags.append(f"--use-file-for-fake-video-capture={clip_file}")
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            profile, executable_path=str(CHROMIUM), headless=True, args=flags,
            viewport={"width": 800, "height": 600})
        try:
            tab = await context.new_page()
            tab.on("console", lambda m: emit("console", text=m.text))
            tab.on("pageerror", lambda e: emit("page_error", text=str(e)))
            await tab.goto(f"{url}?role={role}")
            emit("joined_as", pid=role)
            done = asyncio.ensure_future(_until_exit())
            while not done.done():
                emit("stats", **await tab.evaluate("window.videoStats()"))
                await asyncio.wait([done], timeout=1.0)
        finally:
            await context.close()
    emit("left")


async def _until_exit() -> None:
    while True:
        line = await asyncio.to_thread(sys.stdin.readline)
        if not line or line.strip() == "exit":
            return


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=("relay", "page"))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8790)
    parser.add_argument("--url")
    parser.add_argument("--role", choices=("send", "receive"))
    parser.add_argument("--profile")
    parser.add_argument("--clip", default=None)
    a = parser.parse_args()
    if a.what == "relay":
        asyncio.run(relay(a.host, a.port))
    else:
        asyncio.run(page(a.url, a.role, a.profile, a.clip))


if __name__ == "__main__":
    main()
