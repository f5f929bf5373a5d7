"""The yardstick of bench/links.py: a Chromium pair (the clip both stacks send is
bench/_clip.py's).

- ``python -m bench._chromium relay --host H --port P``: a tiny signaling service (the
  page below, and a WebSocket that relays each message to the other page), run in the
  rig's server namespace.
- ``python -m bench._chromium page --url U --role send|receive --profile DIR [--clip F]``:
  one headless Chromium (Debian's /usr/bin/chromium through Playwright, never a
  download) in a host's namespace, with one RTCPeerConnection; the sender's camera is
  the clip (``--use-file-for-fake-video-capture``). Once a second, its stats (getStats:
  video, and the receiver's audio) and the frame stamps (bench/_stamp.py) it read since
  the last: each page shows its video (the sender its camera, the receiver what
  arrives) in a ``<video>``, and for every frame presented (``requestVideoFrameCallback``)
  reads the stamp through a canvas and notes [raw bits, ``performance.timeOrigin +``
  the frame's ``presentationTime``, in ms] (the machine's clock, as Parley's
  ``time.time()``).

Both print one JSON object per line with ``ev`` and ``t`` (time.monotonic()), the way
tests/faults/agent.py does, so tests/faults/harness.py's AgentProc drives them; ``exit``
on stdin (or its end) closes them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

from bench._stamp import READER_JS

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
    # the rig has no mDNS: give ICE the namespace's real address
    "--disable-features=WebRtcHideLocalIpsWithMdns",
]


def emit(ev: str, **fields: Any) -> None:
    print(json.dumps({"ev": ev, "t": time.monotonic(), **fields}), flush=True)


PAGE = """<!doctype html><meta charset="utf-8"><title>pair</title><body><script>
""" + READER_JS + """
const stamps = [];
function watch(v) {
  // the time the frame was handed to the compositor (the callback's own time is the
  // next vsync's, 16.7 ms steps); the same clock as Date.now()
  const each = (now, meta) => {
    const at = performance.timeOrigin + (meta.presentationTime || now);
    stamps.push([readStamp(v), Math.round(at * 10) / 10]);
    v.requestVideoFrameCallback(each);
  };
  v.requestVideoFrameCallback(each);
}
function show(stream) {
  const v = document.createElement("video");
  v.muted = true; v.autoplay = true; v.srcObject = stream;
  document.body.appendChild(v); v.play(); watch(v);
}
const role = new URLSearchParams(location.search).get("role");
const pc = new RTCPeerConnection({iceServers: []});
const ws = new WebSocket(`ws://${location.host}/ws`);
const pending = [];
window.pc = pc;
const send = (m) => ws.send(JSON.stringify(m));
pc.onicecandidate = (e) => { if (e.candidate) send({candidate: e.candidate.toJSON()}); };
pc.ontrack = (e) => {
  if (e.track.kind === "video") show(new MediaStream([e.track]));
  else {  // played, so that its samples are pulled (and counted, concealed or not)
    const a = document.createElement("audio");
    a.autoplay = true; a.srcObject = new MediaStream([e.track]);
    document.body.appendChild(a); a.play();
  }
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
    show(new MediaStream(media.getVideoTracks()));
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
  const out = {state: pc.connectionState, stamps: stamps.splice(0)};
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
    } else if (s.type === "inbound-rtp" && s.kind === "audio") {
      out.audio = {packetsReceived: s.packetsReceived, packetsLost: s.packetsLost,
        concealedSamples: s.concealedSamples, totalSamplesReceived: s.totalSamplesReceived,
        silentConcealedSamples: s.silentConcealedSamples};
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
