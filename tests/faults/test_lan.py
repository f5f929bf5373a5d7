"""Two machines on one LAN (network namespaces on a bridge) call through a hosted call:
the host does what New call does (tests/faults/lan_host.py), the other machine has only
the invite - or only what mDNS announced, and then asks to join."""

from __future__ import annotations

from pathlib import Path

from parley.protocol.invites import parse_invite
from tests.faults.harness import AgentProc, Lab, require_netns
from tests.faults.lan import Lan


def _lan(lab: Lab, hosts: list[str]) -> Lan:
    require_netns()
    lan = Lan(hosts)
    lab.nets.append(lan)  # type: ignore[arg-type]  # destroyed with the lab's topologies
    lan.create()
    return lan


async def _host(lab: Lab, lan: Lan, tmp_path: Path, *extra: str) -> tuple[AgentProc, str]:
    host = AgentProc("ada", lan.exec_prefix("ada"), tmp_path / "host.log")
    lab.agents.append(host)
    await host.start_module("tests.faults.lan_host", "--dir", str(tmp_path / "ada"),
                            "--name", "Ada", *extra)
    hosted = await host.wait_any("hosted", timeout=30)
    assert hosted["line"] == f"invite: {hosted['invite']}"
    return host, str(hosted["invite"])


async def test_two_machines_on_one_lan_call_with_only_the_invite(
        lab: Lab, tmp_path: Path) -> None:
    lan = _lan(lab, ["ada", "bob"])
    host, link = await _host(lab, lan, tmp_path, "--media")
    invite = parse_invite(link)
    assert invite.server is not None and invite.token is not None
    assert invite.server.startswith(f"ws://{lan.addr('ada')}:")  # reachable, not 127.0.0.1

    bob = lab.agent("bob", lan)  # type: ignore[arg-type]
    await bob.start(invite.server, invite.session_id, media=True, token=invite.token)
    bob_pid = await bob.joined(timeout=30)
    assert (await bob.expect_video(timeout=20))["ev"] == "video_ok"  # the host's media
    await host.wait_any("video", where=lambda e: e["pid"] == bob_pid, timeout=20)
    await bob.exit()


async def test_a_call_found_on_the_lan_asks_to_join_and_is_admitted(
        lab: Lab, tmp_path: Path) -> None:
    lan = _lan(lab, ["ada", "bob"])
    host, link = await _host(lab, lan, tmp_path, "--announce")
    finder = AgentProc("finder", lan.exec_prefix("bob"), tmp_path / "finder.log")
    lab.agents.append(finder)
    await finder.start_module("tests.faults.lan_find")
    found = await finder.wait_any("found", timeout=20)
    invite = parse_invite(link)
    assert (found["session"], found["host_name"]) == (invite.session_id, "Ada")
    assert found["server"] == invite.server  # the announcement names the server, not a token

    bob = lab.agent("bob", lan)  # type: ignore[arg-type]
    await bob.start(found["server"], found["session"])  # no token: the lobby
    await host.wait_any("knock", where=lambda e: e["name"] == "bob", timeout=20)
    await bob.joined(timeout=20)
    await bob.exit()
