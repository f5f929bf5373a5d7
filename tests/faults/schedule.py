"""Randomised fault schedules: link flaps, server crashes and restarts, joins, leaves and
killed clients at random times, from a seed.

A schedule is made up front from its seed (``make_schedule``), so a failing seed
can be run again (``PARLEY_FAULT_SEED=<seed> make faults``); the timing of a real
network and real processes still varies from run to run, which is the point.

After the schedule every cable is back and the server is up; the run waits for
the call to settle, lets everyone leave, and checks the invariants of
DESIGN.md on every participant's event stream (``check_agent``):

- exactly one terminal callback ends every joined session, and nothing follows it;
- on_connection_lost and on_connection_restored strictly alternate;
- no participant appears twice (joined while present, or joined again after left),
  and no two ids of the same agent are ever present at once;
- the settled room is exactly the agents still in the call, on every agent;
- nothing is left behind: no task, socket or peer connection after leaving;
- neither the server nor an agent logged an error or a traceback.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.faults.harness import STATUS, TERMINAL, AgentProc, Lab, ServerProc, status

CLIENT_HOSTS = ["h1", "h2", "h3", "h4"]
RECONNECT_TIMEOUT = 4.0
DEPARTURE = 3.0
SERVER_HEARTBEAT = 3.0
DURATION = 10.0


@dataclass(frozen=True)
class Step:
    at: float
    action: str
    """cut, restore, block, unblock, crash, stop, start, join, leave, kill"""
    host: str | None = None

    def __str__(self) -> str:
        return f"{self.at:5.2f} {self.action} {self.host or ''}".rstrip()


def make_schedule(seed: int, duration: float = DURATION, media: bool = False) -> list[Step]:
    """The steps of one run, from its seed alone. With ``media``, cuts between two
    participants only (``block``) join the mix."""
    rng = random.Random(seed)
    steps: list[Step] = []
    present = set(CLIENT_HOSTS[:3])
    cut_until: dict[str, float] = {}
    server_back = 0.0
    blocked_until: dict[str, float] = {}
    t = 0.8
    while t < duration:
        kinds = ["flap", "flap", "flap", "join", "leave", "kill"]
        if t >= server_back:
            kinds += ["crash", "stop"]
        if media:
            kinds += ["block", "block"]
        kind = rng.choice(kinds)
        idle = [h for h in CLIENT_HOSTS if h not in present]
        live = sorted(present)
        if kind == "flap":
            free = [h for h in ["srv", *CLIENT_HOSTS] if cut_until.get(h, 0.0) <= t]
            host = rng.choice(free)
            # Shorter than the heartbeat timeout, past it, and past reconnect_timeout.
            length = rng.choice([rng.uniform(0.3, 1.2), rng.uniform(1.5, 3.5),
                                 rng.uniform(RECONNECT_TIMEOUT + 1.6, RECONNECT_TIMEOUT + 3)])
            steps += [Step(t, "cut", host), Step(t + length, "restore", host)]
            cut_until[host] = t + length
        elif kind == "block":
            pair = sorted(rng.sample(CLIENT_HOSTS, 2))
            key = "+".join(pair)
            if blocked_until.get(key, 0.0) <= t:
                length = rng.uniform(1.0, 6.0)
                steps += [Step(t, "block", key), Step(t + length, "unblock", key)]
                blocked_until[key] = t + length
        elif kind in ("crash", "stop"):
            down = rng.uniform(0.0, 2.5)
            steps += [Step(t, kind), Step(t + down, "start")]
            server_back = t + down + 0.5
        elif kind == "join" and idle:
            host = rng.choice(idle)
            steps.append(Step(t, "join", host))
            present.add(host)
        elif kind in ("leave", "kill") and live:
            host = rng.choice(live)
            steps.append(Step(t, kind, host))
            present.discard(host)
        t += rng.uniform(0.3, 1.8)
    return sorted(steps, key=lambda s: s.at)


@dataclass
class Outcome:
    seed: int
    violations: list[str] = field(default_factory=list)
    agents: int = 0
    lost: int = 0
    closed: int = 0
    join_errors: int = 0
    seconds: float = 0.0


class Run:
    """Executes one schedule in its own namespaces with its own server."""

    def __init__(self, seed: int, lab: Lab, media: bool = False) -> None:
        self.seed = seed
        self.lab = lab
        self.media = media
        self.steps = make_schedule(seed, media=media)
        """Timed from when the first three participants are in the call."""
        self.net = lab.net(["srv", *CLIENT_HOSTS])
        self.server: ServerProc = lab.server(self.net, extra=(
            "--departure-timeout", str(DEPARTURE),
            "--heartbeat-timeout", str(SERVER_HEARTBEAT)))
        self.current: dict[str, AgentProc] = {}
        self.killed: set[AgentProc] = set()
        self.incarnation = 0
        self.cut: set[str] = set()
        self.blocked: set[str] = set()
        self.leaving: list[AgentProc] = []
        self._stopping: asyncio.Task[Any] | None = None

    async def execute(self) -> Outcome:
        out = Outcome(self.seed)
        await self.server.start()
        for host in CLIENT_HOSTS[:3]:
            await self._perform(Step(0.0, "join", host))
        for agent in self.lab.agents:
            await agent.joined()
        for agent in self.lab.agents:
            for other in self.lab.agents:
                if other is not agent:
                    await agent.wait("on_participant_joined",
                                     where=lambda e, o=other: e["pid"] == o.pid)
        started = time.monotonic()
        for step in self.steps:
            delay = started + step.at - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)  # the schedule itself, not a wait for an event
            await self._perform(step)
        await self._heal()
        await self._settle(out)
        await self._finish(out)
        out.seconds = round(time.monotonic() - started, 1)
        return out

    # -- steps

    async def _perform(self, step: Step) -> None:
        host = step.host
        if step.action == "cut" and host is not None:
            self.net.cut(host)
            self.cut.add(host)
        elif step.action == "restore" and host is not None:
            self.net.restore(host)
            self.cut.discard(host)
        elif step.action == "block" and host is not None:
            self.net.block(*host.split("+"))
            self.blocked.add(host)
        elif step.action == "unblock" and host is not None:
            self.net.unblock(*host.split("+"))
            self.blocked.discard(host)
        elif step.action == "crash":
            await self.server.kill()
        elif step.action == "stop":
            self._stopping = asyncio.ensure_future(self.server.stop())
        elif step.action == "start":
            await self._start_server()
        elif step.action == "join" and host is not None:
            self.incarnation += 1
            agent = self.lab.agent(f"{host}.{self.incarnation}", self.net, host)
            self.current[host] = agent
            await agent.start(self.server.url or f"ws://{self.net.addr('srv')}:8787/ws",
                              f"run{self.seed}", reconnect_timeout=RECONNECT_TIMEOUT,
                              media=self.media)
        elif step.action == "leave" and host in self.current:
            agent = self.current.pop(host)
            self.leaving.append(agent)
            agent.send("leave")
        elif step.action == "kill" and host in self.current:
            agent = self.current.pop(host)
            agent.kill()
            self.killed.add(agent)

    async def _start_server(self) -> None:
        if self._stopping is not None:
            await self._stopping
            self._stopping = None
        if self.server.proc is None or self.server.proc.returncode is not None:
            await self.server.start()

    async def _heal(self) -> None:
        for host in list(self.cut):
            self.net.restore(host)
        self.cut.clear()
        for pair in list(self.blocked):
            self.net.unblock(*pair.split("+"))
        self.blocked.clear()
        await self._start_server()

    # -- settling and checks

    async def _settle(self, out: Outcome) -> None:
        """Every agent reaches a stable state: joined (or restored) or ended."""
        for agent in self.leaving:
            if agent.running:  # a leave is obeyed once the agent has joined (or failed to)
                await agent.wait_any(("leave_done", "join_error"), after=0.0,
                                     timeout=15)
        for agent in self.lab.agents:
            if agent in self.killed or not agent.running:
                continue
            first = await agent.wait_any(("joined_as", "join_error"), timeout=20)
            if first["ev"] == "join_error":
                continue
            last = _last_status(agent)
            if last == "on_connection_lost":
                await agent.wait_any(("on_connection_restored", *TERMINAL),
                                     after=_time_of_last_status(agent),
                                     timeout=RECONNECT_TIMEOUT + 3)
        in_call = [a for a in self._live()
                   if _last_status(a) in ("on_session_joined", "on_connection_restored")]
        expected = sorted(str(a.pid) for a in in_call)
        # Departed seats leave every roster within the grace period (+ detection).
        deadline = time.monotonic() + DEPARTURE + SERVER_HEARTBEAT + 4
        for agent in in_call:
            while True:
                report = await agent.report()
                roster = sorted(pid for pid, _, reconnecting in report["roster"])
                waiting = [pid for pid, _, reconnecting in report["roster"] if reconnecting]
                if roster == expected and not waiting:
                    break
                if time.monotonic() > deadline:
                    out.violations.append(
                        f"{agent.name}: roster {report['roster']} never settled to {expected}")
                    break
                # A departed seat leaves; a peer whose media is being rebuilt comes back.
                await agent.wait_any(("on_participant_left", "on_participant_restored"),
                                     after=report["t"],
                                     timeout=max(0.1, deadline - time.monotonic()))
        if self.media and len(in_call) > 1:  # media flows again between everyone left
            for agent in in_call:
                answer = await agent.expect_video(timeout=10)
                if answer["ev"] != "video_ok":
                    out.violations.append(f"{agent.name}: no video from {answer['pids']}")

    def _live(self) -> list[AgentProc]:
        return [a for a in self.lab.agents if a not in self.killed and a.running
                and a.pid is not None]

    async def _finish(self, out: Outcome) -> None:
        reports: dict[AgentProc, dict[str, Any]] = {}
        for agent in self.lab.agents:
            if agent not in self.killed and agent.running:
                reports[agent] = await agent.exit()
        names = {a.pid: a.name for a in self.lab.agents if a.pid}
        for agent in self.lab.agents:
            out.agents += 1
            out.violations += check_agent(agent, agent in self.killed, reports.get(agent),
                                          names)
            out.lost += status(agent).count("on_connection_lost")
            out.closed += status(agent).count("on_connection_closed")
            out.join_errors += bool(agent.matching("join_error"))
        if self.server.proc is None or self.server.proc.returncode is not None:
            out.violations.append("server is not running at the end")
        out.violations += [f"server log: {line}" for line in _errors(self.server.log)]
        if out.violations:
            out.violations.insert(0, "schedule: " + "; ".join(str(s) for s in self.steps))


def check_agent(agent: AgentProc, killed: bool, report: dict[str, Any] | None,
                names: dict[str | None, str]) -> list[str]:
    """The DESIGN.md invariants on one agent's event stream (empty: all hold)."""
    bad: list[str] = []
    who = agent.name
    st = status(agent)
    if agent.matching("join_error"):
        if st:
            bad.append(f"{who}: callbacks {st} after a failed join")
        return bad
    if not st:
        return [] if killed else [f"{who}: never joined ({agent.brief()})"]
    if st[0] != "on_session_joined":
        bad.append(f"{who}: first callback {st[0]}")
    expect_lost = True
    for i, name in enumerate(st[1:], 1):
        if name in TERMINAL:
            if i != len(st) - 1:
                bad.append(f"{who}: {st[i + 1:]} after terminal {name}")
            break
        wanted = "on_connection_lost" if expect_lost else "on_connection_restored"
        if name != wanted:
            bad.append(f"{who}: {name} where {wanted} was due: {st}")
            break
        expect_lost = not expect_lost
    terminals = [s for s in st if s in TERMINAL]
    if len(terminals) > 1 or (not killed and not terminals):
        bad.append(f"{who}: terminal callbacks {terminals}")
    bad += _presence(agent, names)
    if report is not None:
        for key in ("tasks", "sockets", "peer_connections"):
            if report[key]:
                bad.append(f"{who}: left behind {key}={report[key]}")
    bad += [f"{who} log: {line}" for line in _errors(agent.log)]
    return bad


def _presence(agent: AgentProc, names: dict[str | None, str]) -> list[str]:
    bad: list[str] = []
    present: set[str] = set()
    gone: set[str] = set()
    for e in agent.events:
        ev, pid = e["ev"], e.get("pid")
        if not ev.startswith("on_participant") or pid is None:
            continue
        if ev == "on_participant_joined":
            if pid in present or pid in gone:
                bad.append(f"{agent.name}: {pid} joined again at {e['t']:.3f}")
            present.add(pid)
            same = [p for p in present if names.get(p, p) == names.get(pid, pid)]
            if len(same) > 1:
                bad.append(f"{agent.name}: two ids for {names.get(pid)}: {same}")
        elif ev == "on_participant_left":
            if pid not in present:
                bad.append(f"{agent.name}: {pid} left without being present")
            present.discard(pid)
            gone.add(pid)
        elif pid not in present:
            bad.append(f"{agent.name}: {ev} for absent {pid}")
    return bad


def _last_status(agent: AgentProc) -> str | None:
    st = status(agent)
    return st[-1] if st else None


def _time_of_last_status(agent: AgentProc) -> float:
    last = [e["t"] for e in agent.events if e["ev"] in STATUS]
    return float(last[-1]) if last else 0.0


def _errors(log: Path) -> list[str]:
    try:
        text = log.read_text(errors="replace")
    except OSError:
        return []
    return [line for line in text.splitlines()
            if "Traceback" in line or " ERROR " in line or "level=ERROR" in line][:5]

