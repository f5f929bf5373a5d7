"""Six participants through the SFU (``--sfu always``, a real Janus): six agent
processes on loopback, each publishing a small camera (a 160x120 clip: the machine has
2 cores) as two layers, its full and its low one, and receiving everyone else's video
through its one subscriber connection: the low layer, as small grid tiles show it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import av
import numpy as np
import pytest

from tests.faults.harness import AgentProc, Lab
from tests.sfu.janus import running_janus

pytestmark = [pytest.mark.slow, pytest.mark.long]

NAMES = ["a", "b", "c", "d", "e", "f"]


@pytest.fixture
async def lab(tmp_path: Path) -> AsyncIterator[Lab]:
    lab = Lab(tmp_path)  # agent processes on loopback (no namespace needed)
    try:
        yield lab
    finally:
        await lab.close()


def small_clip(path: Path, size: tuple[int, int] = (160, 120), frames: int = 30) -> Path:
    """A short moving Y4M clip (few pixels: six encoders and thirty decoders share 2
    cores)."""
    with av.open(str(path), "w", format="yuv4mpegpipe") as out:
        stream = out.add_stream("rawvideo", rate=15)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        for i in range(frames):
            image = np.zeros((size[1], size[0], 3), dtype=np.uint8)
            image[:, (i * 5) % size[0]] = 255  # a bar that moves
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


async def test_six_participants_each_receive_everyone_through_the_sfu(
        lab: Lab, tmp_path: Path) -> None:
    clip = small_clip(tmp_path / "small.y4m")
    async with running_janus(tmp_path / "janus") as janus:
        server = lab.server(None, extra=("--sfu", "always", *janus.server_options()))
        await server.start()
        agents: list[AgentProc] = []
        for name in NAMES:  # one after the other (docs/sfu.md: the SDK's join race)
            agent = lab.agent(name)
            await agent.start_module("tests.faults.agent", "--server", server.url,
                                     "--session", "six", "--name", name, "--media",
                                     "--camera", f"file:{clip}", "--tile", "160x120")
            await agent.joined(timeout=30)
            agent.send("mute")  # a dominant speaker is received in full, whatever its tile
            agents.append(agent)
        for agent in agents:
            for other in agents:
                if other is not agent:
                    await agent.wait("video", where=lambda e, o=other: e["pid"] == o.pid,
                                     timeout=60)
        for agent in agents:  # each asks for everyone's low layer (its tiles are small)
            others = {o.pid for o in agents if o is not agent}
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 30
            while (report := await agent.report())["layers"] != dict.fromkeys(others, "low"):
                assert loop.time() < deadline, (report["layers"], report["frames"])
                await asyncio.sleep(0.5)  # polling a report, under the deadline
        for agent in agents:  # and gets it: fresh frames from everyone on the low layer
            event = await agent.expect_video(30)
            assert event["ev"] == "video_ok" and len(event["pids"]) == len(NAMES) - 1, event
        reports = [await agent.report() for agent in agents]
        for agent, report in zip(agents, reports, strict=True):
            assert report["peer_connections"] == 2, report  # publisher + subscriber
            # its camera's two layers, each a video stream of its own, and audio once
            assert sorted(report["sending"]) == ["audio", "video", "video"], report
            others = {o.pid for o in agents if o is not agent}
            assert set(report["frames"]) - {agent.pid} == others, report  # own: the self view
            assert all(report["frames"][pid] > 0 for pid in others), report
        for agent in agents:
            await agent.exit(timeout=30)

