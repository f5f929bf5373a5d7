"""One call participant in its own process, for fault tests.

    python -m tests.faults.agent --server ws://10.77.1.1:8787 --session s --name Ada

Joins with the public SDK and prints one JSON object per line on stdout, each
with ``ev`` and ``t`` (``time.monotonic()``, which every network namespace of
the machine shares, so the orchestrator can compare times across processes):

- ``joined_as`` (pid) once joined, or ``join_error`` (reason) and exit 3;
- every SessionStatusListener callback by name (``on_connection_lost`` ...);
- participant events ``on_participant_joined|left|reconnecting|restored`` and
  ``on_audio_muted|unmuted`` with ``pid`` and ``name``;
- ``video`` (pid, gap) for the first frame of each remote peer, and for the
  first one after no frame came from that peer for ``--video-gap`` seconds;
- ``report`` on request: state, end reason, roster, video frames received per
  peer, and what is left alive (asyncio tasks, sockets, open peer connections).

Commands, one per line on stdin: ``leave``, ``end`` (end the call for everyone: the
host; answers ``end_done``), ``mute``, ``unmute``, ``report``,
``expect_video <s>`` (answers ``video_ok`` once a new frame came from every remote
participant not reconnecting, or ``video_missing`` after ``s`` seconds), ``exit``
(leave if still in the call, report, exit 0). End of stdin is ``exit``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import logging
import os
import sys
import time
from typing import Any

from parley.sdk import (
    CallSession,
    Devices,
    JoinError,
    ParticipantEventListener,
    SessionSettings,
    SessionState,
    SessionStatusListener,
)

STATUS = ("on_session_joined", "on_session_left", "on_session_timed_out",
          "on_connection_lost", "on_connection_restored", "on_connection_closed")
PEOPLE = ("on_participant_joined", "on_participant_left", "on_participant_reconnecting",
          "on_participant_restored", "on_audio_muted", "on_audio_unmuted",
          "on_media_unreachable", "on_media_reachable",
          "on_video_paused_for_bandwidth", "on_video_resumed_for_bandwidth")


def emit(ev: str, **fields: Any) -> None:
    print(json.dumps({"ev": ev, "t": time.monotonic(), **fields}), flush=True)


class Agent:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.session = CallSession()
        self.local_id: str | None = None
        self.last_frame: dict[str, float] = {}
        self.frames: dict[str, int] = {}
        self._frame_arrived = asyncio.Event()
        self.status = SessionStatusListener(**{n: self._status_hook(n) for n in STATUS})
        self.people = ParticipantEventListener(**{n: self._people_hook(n) for n in PEOPLE})
        self.session.add_session_status_listener(self.status)
        self.session.add_participant_event_listener(self.people)
        self.session.add_video_sink(self._frame)

    def _status_hook(self, name: str) -> Any:
        return lambda: emit(name)

    def _people_hook(self, name: str) -> Any:
        def hook(p: Any) -> None:
            if name == "on_participant_joined":
                self._show(p.id)
            emit(name, pid=p.id, name=p.name)
        return hook

    def _show(self, pid: str) -> None:
        """Show ``pid`` in a tile of ``--tile`` (what a grid of that many people would)."""
        if self.args.tile:
            width, height = (int(v) for v in self.args.tile.split("x"))
            self.session.set_participant_view(pid, width, height)

    def _frame(self, pid: str, frame: Any) -> None:
        if pid == self.local_id:
            return
        now = time.monotonic()
        self.frames[pid] = self.frames.get(pid, 0) + 1
        self._frame_arrived.set()
        last = self.last_frame.get(pid)
        self.last_frame[pid] = now
        if last is None or now - last >= self.args.video_gap:
            emit("video", pid=pid, gap=None if last is None else round(now - last, 3))

    async def join(self) -> bool:
        a = self.args
        settings = SessionSettings(
            a.name, reconnect_timeout=a.reconnect_timeout, idle_timeout_period=a.idle_timeout,
            media=a.media, fake_media=a.media, devices=Devices(camera=a.camera))
        try:
            await self.session.join_session(a.session, settings, server=a.server, token=a.token)
        except JoinError as exc:
            emit("join_error", reason=exc.reason.value, message=exc.message)
            return False
        local = self.session.local_participant
        self.local_id = local.id if local else None
        for p in self.session.participants:
            if not p.is_local:
                self._show(p.id)
        emit("joined_as", pid=self.local_id)
        return True

    async def command(self, line: str) -> bool:
        """Obey one command; False when the agent should exit."""
        cmd = line.strip()
        if cmd == "leave":
            await self.session.leave_session()
            emit("leave_done")
        elif cmd == "end":
            emit("end_done", ended=await self.session.end_call_for_everyone())
        elif cmd == "mute":
            self.session.mute_audio()
        elif cmd == "unmute":
            self.session.unmute_audio()
        elif cmd.startswith("expect_video "):
            ev, fields = await self.expect_video(float(cmd.split()[1]))
            emit(ev, **fields)
        elif cmd == "report":
            emit("report", **await self.report())
        elif cmd in ("exit", ""):
            if self.session.state in (SessionState.JOINED, SessionState.RECONNECTING):
                await self.session.leave_session()
            emit("report", **await self.report(settle=True))
            return False
        else:
            emit("bad_command", command=cmd)
        return True

    async def expect_video(self, timeout: float) -> tuple[str, dict[str, Any]]:
        """Wait for a fresh frame from every remote participant not reconnecting."""
        since = dict(self.frames)
        want = {p.id for p in self.session.participants
                if not p.is_local and not p.reconnecting}
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            missing = sorted(pid for pid in want
                             if self.frames.get(pid, 0) <= since.get(pid, 0))
            if not missing:
                return "video_ok", {"pids": sorted(want)}
            if loop.time() >= deadline:
                return "video_missing", {"pids": missing}
            self._frame_arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._frame_arrived.wait(), deadline - loop.time())

    async def report(self, settle: bool = False) -> dict[str, Any]:
        """What is still alive. With ``settle``, first give finishing tasks up to 2 s."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (2.0 if settle else 0.0)
        while True:
            tasks = self._tasks()
            if not tasks or loop.time() >= deadline:
                break
            await asyncio.sleep(0.05)
        s = self.session
        return {
            "state": s.state.value,
            "end_reason": s.end_reason.value if s.end_reason else None,
            "roster": [[p.id, p.name, p.reconnecting] for p in s.participants],
            "tasks": [t.get_coro().__qualname__ for t in tasks],  # type: ignore[union-attr]
            "sockets": _open_sockets(),
            "peer_connections": _open_peer_connections(),
            "sending": _sending(),
            "retransmission": _retransmission(),
            "frames": dict(self.frames),
            "layers": {p.id: s.received_layer(p.id) for p in s.participants
                       if not p.is_local},
            "paths": {pid: None if st.path is None else
                      [st.path.kind, st.path.local, st.path.remote, st.path.protocol]
                      for pid, st in s.stats().items()},
            "audio_levels": {p.id: s.audio_level(p.id) for p in s.participants
                             if not p.is_local},
        }

    def _tasks(self) -> list[asyncio.Task[Any]]:
        current = asyncio.current_task()
        return [t for t in asyncio.all_tasks() if t is not current and not t.done()]


def _open_sockets() -> int:
    """TCP and UDP sockets this process holds (not the loop's own socketpair)."""
    inodes: set[str] = set()
    for table in ("tcp", "tcp6", "udp", "udp6"):
        try:
            with open(f"/proc/self/net/{table}") as f:
                inodes.update(line.split()[9] for line in list(f)[1:])
        except OSError:
            continue
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:[") and target[8:-1] in inodes:
            count += 1
    return count


def _open_peer_connections() -> int:
    if "aiortc" not in sys.modules:
        return 0
    from aiortc import RTCPeerConnection

    gc.collect()
    return sum(1 for o in gc.get_objects()
               if isinstance(o, RTCPeerConnection) and o.connectionState != "closed")


def _sending() -> list[str]:
    """The kind of every m-line that sends, over the open peer connections."""
    if "aiortc" not in sys.modules:
        return []
    from aiortc import RTCPeerConnection

    return [t.kind for o in gc.get_objects()
            if isinstance(o, RTCPeerConnection) and o.connectionState != "closed"
            for t in o.getTransceivers() if t.currentDirection in ("sendonly", "sendrecv")]


def _retransmission() -> dict[str, int]:
    """What the receivers of the open peer connections NACKed, got back, gave up on."""
    if "aiortc" not in sys.modules:
        return {}
    from aiortc import RTCPeerConnection

    from parley.media.rtx import nack_limiters

    limiters = [limiter for o in gc.get_objects()
                if isinstance(o, RTCPeerConnection) and o.connectionState != "closed"
                for t in o.getTransceivers()
                for limiter in nack_limiters(t.receiver).values()]
    return {"nacks": sum(x.nacks_sent for x in limiters),
            "recovered": sum(x.recovered for x in limiters),
            "given_up": sum(x.given_up for x in limiters)}


async def read_commands(agent: Agent) -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while True:
        line = (await reader.readline()).decode()
        if not await agent.command(line):
            return


def _log_to_stderr() -> None:
    """SDK logs at INFO on stderr (the harness keeps them in a file), stamped with the
    same monotonic clock as the events."""
    handler = logging.StreamHandler(sys.stderr)

    def stamp(record: logging.LogRecord) -> bool:
        record.mono = time.monotonic()
        return True

    handler.addFilter(stamp)
    handler.setFormatter(logging.Formatter("%(mono).3f %(levelname)s %(name)s %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    logging.getLogger("parley.sdk").setLevel(logging.DEBUG)


def arguments() -> argparse.ArgumentParser:
    """The agent's command line (bench/_stamp_agent.py's too)."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--server", required=True)
    p.add_argument("--session", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--token", default=None, help="join token, when the server has a secret")
    p.add_argument("--reconnect-timeout", type=float, default=30.0)
    p.add_argument("--idle-timeout", type=float, default=0.0)
    p.add_argument("--media", action="store_true", help="fake audio/video through aiortc")
    p.add_argument("--camera", default=None, help="camera id; file:<path> sends a video file")
    p.add_argument("--video-gap", type=float, default=0.4)
    p.add_argument("--tile", default=None,
                   help="WxH: every remote participant is shown in a tile this large")
    return p


async def main(kind: type[Agent] = Agent) -> int:
    """Run an agent of ``kind`` (an :class:`Agent` or a subclass) until ``exit``."""
    _log_to_stderr()
    args = arguments().parse_args()
    if args.media:
        # aiortc and PyAV load in seconds on a loaded machine: before the join, not inside
        # the first heartbeat window (a link that dies while the session is still
        # connecting is not recovered: docs/sfu.md)
        import parley.sdk.call_media  # noqa: F401
    agent = kind(args)
    if not await agent.join():
        return 3
    await read_commands(agent)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
