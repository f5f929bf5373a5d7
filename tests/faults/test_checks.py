"""The invariant checker of the random schedules must catch every broken invariant."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.faults.harness import AgentProc
from tests.faults.schedule import check_agent

CLEAN = {"tasks": [], "sockets": 0, "peer_connections": 0}


def agent(tmp_path: Path, *events: tuple[str, str | None]) -> AgentProc:
    a = AgentProc("a.1", [], tmp_path / "none.log")
    a.events = [{"ev": ev, "t": float(i), **({"pid": pid} if pid else {})}
                for i, (ev, pid) in enumerate(events)]
    return a


def check(a: AgentProc, killed: bool = False, report: dict[str, Any] | None = None) -> list[str]:
    return check_agent(a, killed, CLEAN if report is None and not killed else report,
                       {"p1": "b.1", "p2": "b.2", "p3": "c.1"})


GOOD = [("on_session_joined", None), ("on_participant_joined", "p1"),
        ("on_connection_lost", None), ("on_participant_reconnecting", "p1"),
        ("on_connection_restored", None), ("on_participant_restored", "p1"),
        ("on_participant_left", "p1"), ("on_session_left", None)]


def test_a_clean_stream_passes(tmp_path: Path) -> None:
    assert check(agent(tmp_path, *GOOD)) == []
    assert check(agent(tmp_path, ("join_error", None))) == []
    assert check(agent(tmp_path, *GOOD[:5]), killed=True) == []


@pytest.mark.parametrize("events, killed, report, says", [
    (GOOD + [("on_connection_closed", None)], False, None, "after terminal"),
    (GOOD[:-1], False, None, "terminal callbacks []"),
    ([("on_session_joined", None), ("on_connection_restored", None),
      ("on_session_left", None)], False, None, "where on_connection_lost was due"),
    ([("on_session_joined", None), ("on_connection_lost", None),
      ("on_connection_lost", None), ("on_session_left", None)], False, None, "was due"),
    ([("on_connection_lost", None)], True, None, "first callback"),
    ([("join_error", None), ("on_session_joined", None)], False, None, "after a failed join"),
    ([("on_session_joined", None), ("on_participant_joined", "p1"),
      ("on_participant_joined", "p1"), ("on_session_left", None)], False, None, "joined again"),
    ([("on_session_joined", None), ("on_participant_joined", "p1"),
      ("on_participant_left", "p1"), ("on_participant_joined", "p1"),
      ("on_session_left", None)], False, None, "joined again"),
    ([("on_session_joined", None), ("on_participant_left", "p1"),
      ("on_session_left", None)], False, None, "without being present"),
    ([("on_session_joined", None), ("on_participant_restored", "p3"),
      ("on_session_left", None)], False, None, "for absent"),
    (GOOD, False, {"tasks": ["SignalingLink._heartbeat"], "sockets": 0,
                   "peer_connections": 0}, "left behind tasks"),
    (GOOD, False, {"tasks": [], "sockets": 1, "peer_connections": 0}, "left behind sockets"),
    (GOOD, False, {"tasks": [], "sockets": 0, "peer_connections": 2}, "left behind peer"),
])
def test_each_broken_invariant_is_reported(tmp_path: Path, events: list[tuple[str, str | None]],
                                           killed: bool, report: dict[str, Any] | None,
                                           says: str) -> None:
    problems = check(agent(tmp_path, *events), killed, report)
    assert any(says in p for p in problems), problems


def test_two_ids_of_one_agent_at_once_are_reported(tmp_path: Path) -> None:
    a = agent(tmp_path, ("on_session_joined", None), ("on_participant_joined", "p1"),
              ("on_participant_joined", "p4"), ("on_session_left", None))
    problems = check_agent(a, False, CLEAN, {"p1": "b.1", "p4": "b.1"})
    assert any("two ids for b.1" in p for p in problems), problems


def test_an_error_in_the_agent_log_is_reported(tmp_path: Path) -> None:
    a = agent(tmp_path, *GOOD)
    a.log.write_text("12.0 ERROR parley.sdk event=task_failed\n")
    assert any("log:" in p for p in check(a)), check(a)
