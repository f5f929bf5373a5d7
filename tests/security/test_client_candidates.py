"""The client against hostile candidates, observed on the wire: in a network namespace
of its own (so that this is not a loopback call and nothing leaves this machine), a
room member offers the victim 300 candidates, 100 of them loopback (127.0.0.1:22
first), link-local, multicast, unspecified or broadcast; nftables records where every
STUN binding request goes. The victim joined with an invite (a guest), so its own
answer must carry no host address either."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from ipaddress import ip_address
from typing import Any

import pytest

from parley.media.candidates import REMOTE_CANDIDATE_LIMIT
from tests.faults.harness import require_netns
from tests.faults.netns import Topology
from tests.security.procs import REPO

pytestmark = pytest.mark.slow

V6 = "fd77::1"


@pytest.fixture(scope="module")
def probe() -> Iterator[dict[str, Any]]:
    """One hostile call in a namespace (tests/security/candidate_probe.py), its findings."""
    require_netns()
    topology = Topology(["vic"])
    try:
        topology.create()
        ns = topology.ns("vic")
        subprocess.run(["ip", "-n", ns, "addr", "add", f"{V6}/64", "dev", "eth0", "nodad"],
                       check=True, timeout=10)
        done = subprocess.run(
            [*topology.exec_prefix("vic"), sys.executable, "-m",
             "tests.security.candidate_probe", topology.addr("vic"), "10.77.1.254"],
            capture_output=True, text=True, timeout=120, cwd=REPO)
        assert done.returncode == 0, done.stderr[-3000:]
        yield json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        topology.destroy()


def _unsafe(destination: str) -> bool:
    ip = ip_address(destination.split()[0])
    return ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_unspecified \
        or str(ip) == "255.255.255.255"


def test_300_hostile_candidates_send_no_stun_to_loopback_link_local_or_multicast(
        probe: dict[str, Any]) -> None:
    """What the user sees: nothing (Mal's tile stays connecting); what the machine does:
    no connectivity check reaches 127.0.0.1:22 or any loopback, link-local or multicast
    address, and at most 20 ordinary addresses are checked, not 300."""
    destinations = probe["destinations"]
    assert destinations, "no STUN check was seen at all: the probe saw nothing"
    assert [d for d in destinations if _unsafe(d)] == []
    assert all(d.startswith("10.77.1.254 ") for d in destinations), destinations
    assert len(destinations) <= REMOTE_CANDIDATE_LIMIT


def test_a_guest_answer_carries_no_host_address_and_unreachable_says_why(
        probe: dict[str, Any]) -> None:
    """What the user sees: after 10 s without a path, Mal's tile says its media can't be
    reached (on_media_unreachable), and the log says why: without STUN or TURN, a guest
    that keeps its addresses private sends no candidate. The answer Mal receives names
    none of the victim's addresses."""
    answer = probe["answer"]
    assert "typ host" not in answer
    assert "10.77.1.1" not in answer and V6 not in answer
    assert "m=audio 9 " in answer and "c=IN IP4 0.0.0.0" in answer
    assert "end-of-candidates" not in answer
    assert probe["events"] == [f"on_media_unreachable {probe['mal']}"]
    assert any(f"event=no_candidates to={probe['mal']}" in line for line in probe["log"])
    assert any(f"event=peer_unreachable participant={probe['mal']} cause=no_candidates"
               in line for line in probe["log"])
