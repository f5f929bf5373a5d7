"""Process faults on loopback: the server crashes or is replaced, a client is killed.

The crash test runs with synthetic media: after the restart, video must flow between
everyone again (the media mesh outlives the signalling link or is rebuilt).

Every participant is its own process (tests/faults/agent.py). The server keeps
its resume key in its state directory, so a server restarted with the same
directory on the same port honours the resume tokens of the old one.
"""

from __future__ import annotations

import time

from tests.faults.figures import record
from tests.faults.harness import AgentProc, Lab, about, start_call, status

RESTORED_WITHIN = 1.5


async def _all_back(agents: list[AgentProc], after: float) -> dict[str, float]:
    """Wait until every agent is restored and sees every other one present again; return
    when each one was restored."""
    restored = {a.name: await a.wait("on_connection_restored", after=after, timeout=10)
                for a in agents}
    pids = {a.pid for a in agents}
    for agent in agents:
        for other in pids - {agent.pid}:
            seen = about(agent, other, after)
            if "on_participant_reconnecting" in seen:  # shown as waiting: must come back
                await agent.wait("on_participant_restored", after=after, timeout=10,
                                 where=lambda e, o=other: e["pid"] == o)
    return restored


async def _check_room(agents: list[AgentProc], since: float) -> None:
    """Same participants, same ids, nobody waiting, nobody left or joined again."""
    pids = sorted(str(a.pid) for a in agents)
    for agent in agents:
        report = await agent.report()
        assert sorted(pid for pid, _, _ in report["roster"]) == pids, report
        assert not any(reconnecting for _, _, reconnecting in report["roster"]), report
        for other in set(pids) - {agent.pid}:
            assert set(about(agent, other, since)) <= {
                "on_participant_reconnecting", "on_participant_restored"}, \
                f"{agent.name} saw {about(agent, other, since)} for {other}"


async def _exit_clean(agents: list[AgentProc]) -> None:
    for agent in agents:
        report = await agent.exit()
        assert report["tasks"] == [] and report["sockets"] == 0, report
        assert report["peer_connections"] == 0, report
        terminal = [s for s in status(agent) if s in ("on_session_left", "on_connection_closed",
                                                      "on_session_timed_out")]
        assert terminal == ["on_session_left"], status(agent)


async def test_a_server_killed_mid_call_and_restarted_on_its_port_restores_the_call(
        lab: Lab) -> None:
    server, agents = await start_call(lab, None, ["a", "b", "c"], media=True)
    for agent in agents:
        assert (await agent.expect_video(timeout=20))["ev"] == "video_ok"
    killed_at = time.monotonic()
    await server.kill()
    for agent in agents:
        await agent.wait("on_connection_lost", after=killed_at, timeout=3)
    lost = {a.name: a.matching("on_connection_lost", killed_at)[0]["t"] - killed_at
            for a in agents}
    await server.start()
    up_at = time.monotonic()
    restored = await _all_back(agents, killed_at)
    after_up = {name: t - up_at for name, t in restored.items()}
    assert max(after_up.values()) <= RESTORED_WITHIN, after_up
    await _check_room(agents, killed_at)
    video = {}
    for agent in agents:  # media between everyone flows again (rebuilt after the resume)
        answer = await agent.expect_video(timeout=10)
        assert answer["ev"] == "video_ok", answer
        video[agent.name] = answer["t"] - up_at
    for agent in agents:
        assert status(agent) == ["on_session_joined", "on_connection_lost",
                                 "on_connection_restored"]
    await _exit_clean(agents)
    record("faults", "server_sigkill_restart", {
        "lost_after_kill_s_max": round(max(lost.values()), 3),
        "restored_after_restart_s_max": round(max(after_up.values()), 3),
        "video_from_everyone_after_restart_s_max": round(max(video.values()), 3)})


async def test_a_server_stopped_gracefully_is_replaced_and_clients_resume_on_it(
        lab: Lab) -> None:
    server, agents = await start_call(lab, None, ["a", "b"])
    stopped_at = time.monotonic()
    assert await server.stop() == 0, "a graceful stop exits 0"
    for agent in agents:
        await agent.wait("on_connection_lost", after=stopped_at, timeout=3)
    await server.start()
    up_at = time.monotonic()
    restored = await _all_back(agents, stopped_at)
    after_up = {name: t - up_at for name, t in restored.items()}
    assert max(after_up.values()) <= RESTORED_WITHIN, after_up
    await _check_room(agents, stopped_at)
    await _exit_clean(agents)
    record("faults", "server_graceful_replace", {
        "restored_after_replacement_s_max": round(max(after_up.values()), 3)})


async def test_a_killed_client_is_reconnecting_then_gone_after_the_grace_period(
        lab: Lab) -> None:
    departure = 2.0
    _server, (a, b, c) = await start_call(
        lab, None, ["a", "b", "c"], server_extra=("--departure-timeout", str(departure)))
    killed_at = time.monotonic()
    a.kill()
    for other in (b, c):
        reconnecting = await other.wait("on_participant_reconnecting", after=killed_at,
                                        timeout=5, where=lambda e: e["pid"] == a.pid)
        left = await other.wait("on_participant_left", after=killed_at, timeout=departure + 3,
                                where=lambda e: e["pid"] == a.pid)
        assert reconnecting - killed_at <= 1.0, "the server sees a closed socket at once"
        assert departure - 0.1 <= left - reconnecting <= departure + 1.0
        assert about(other, a.pid, killed_at) == ["on_participant_reconnecting",
                                                  "on_participant_left"]
        assert status(other) == ["on_session_joined"]
    await _exit_clean([b, c])
