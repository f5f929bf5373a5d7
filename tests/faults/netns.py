"""Real links for fault tests: one network namespace per host, joined by a router.

    host ns (10.77.N.1/24) --veth-- router ns (10.77.N.254, ip_forward=1)

Every host has its own /24 and a default route through the router, so the
router's end of a host's veth is that host's cable: ``cut(host)`` sets it down
(the host sees no local error, only silence) and ``restore(host)`` sets it up.
``block(a, b)`` drops what the router forwards between two hosts only, with
blackhole policy rules, leaving both of them connected to everybody else.

Namespace names carry the pid and a counter, so concurrent runs never collide;
``destroy()`` deletes everything the topology made and is safe to call twice.
Addresses exist only inside these namespaces.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
from functools import cache

_counter = itertools.count(1)
SUBNET = "10.77"


class NetnsError(RuntimeError):
    """An ``ip`` command failed."""


def _ip(*args: str) -> None:
    done = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=10)
    if done.returncode != 0:
        raise NetnsError(f"ip {' '.join(args)}: {done.stderr.strip()}")


@cache
def unavailable_reason() -> str | None:
    """None when namespaces with veth pairs can be made here, else why not."""
    if os.geteuid() != 0:
        return "network-namespace fault tests need root (CI runs them as root)"
    if shutil.which("ip") is None:
        return "network-namespace fault tests need iproute2 (`ip`)"
    probe = Topology(["a"])
    try:
        probe.create()
    except (NetnsError, OSError, subprocess.TimeoutExpired) as exc:
        return f"cannot create network namespaces with veth pairs: {exc}"
    finally:
        probe.destroy()
    return None


class Topology:
    """A router namespace and one namespace per named host.

    Args:
        hosts: Short host names (letters and digits, at most 6 characters);
            the n-th host (from 1) gets ``10.77.n.1``.
    """

    def __init__(self, hosts: list[str]) -> None:
        self.tag = f"pf{os.getpid()}x{next(_counter)}"
        self.hosts = list(hosts)
        self._index = {h: i + 1 for i, h in enumerate(hosts)}
        self.router = f"{self.tag}-router"
        self._made: list[str] = []
        self._rules: set[tuple[str, str]] = set()

    def ns(self, host: str) -> str:
        return f"{self.tag}-{host}"

    def addr(self, host: str) -> str:
        return f"{SUBNET}.{self._index[host]}.1"

    def exec_prefix(self, host: str) -> list[str]:
        """Prefix a command with this to run it inside ``host``'s namespace."""
        return ["ip", "netns", "exec", self.ns(host)]

    def create(self) -> None:
        self._add_ns(self.router)
        _ip("-n", self.router, "link", "set", "lo", "up")
        with open(os.devnull, "w") as quiet:
            subprocess.run(["ip", "netns", "exec", self.router, "sysctl", "-qw",
                            "net.ipv4.ip_forward=1"], check=True, stdout=quiet, timeout=10)
        for host in self.hosts:
            n = self._index[host]
            ns = self.ns(host)
            self._add_ns(ns)
            _ip("link", "add", "eth0", "netns", ns, "type", "veth",
                "peer", "name", f"r-{host}", "netns", self.router)
            _ip("-n", ns, "addr", "add", f"{SUBNET}.{n}.1/24", "dev", "eth0")
            _ip("-n", self.router, "addr", "add", f"{SUBNET}.{n}.254/24", "dev", f"r-{host}")
            for side, dev in ((ns, "lo"), (ns, "eth0"), (self.router, f"r-{host}")):
                _ip("-n", side, "link", "set", dev, "up")
            _ip("-n", ns, "route", "add", "default", "via", f"{SUBNET}.{n}.254")

    def cut(self, host: str) -> None:
        """Pull ``host``'s cable: nothing in or out, no error on the host."""
        _ip("-n", self.router, "link", "set", f"r-{host}", "down")

    def restore(self, host: str) -> None:
        _ip("-n", self.router, "link", "set", f"r-{host}", "up")

    def block(self, a: str, b: str) -> None:
        """Drop everything between ``a`` and ``b`` only (both ways)."""
        for src, dst in ((a, b), (b, a)):
            _ip("-n", self.router, "rule", "add", "from", self.addr(src), "to",
                self.addr(dst), "blackhole")
            self._rules.add((src, dst))

    def unblock(self, a: str, b: str) -> None:
        for src, dst in ((a, b), (b, a)):
            if (src, dst) in self._rules:
                _ip("-n", self.router, "rule", "del", "from", self.addr(src), "to",
                    self.addr(dst), "blackhole")
                self._rules.discard((src, dst))

    def destroy(self) -> None:
        """Delete every namespace made (veths go with them). Idempotent."""
        for ns in reversed(self._made):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=10)
        self._made.clear()
        self._rules.clear()

    def _add_ns(self, name: str) -> None:
        _ip("netns", "add", name)
        self._made.append(name)
