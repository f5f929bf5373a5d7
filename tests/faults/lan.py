"""One LAN for hosting tests: hosts on a bridge, with nothing else in the world.

    host ns (10.78.0.N/24, eth0) --veth-- bridge ns (br0)

Every host reaches every other directly on one segment, multicast included (mDNS),
and has an on-link default route so that the app finds its primary address the way
it does on a real LAN. Addresses exist only inside these namespaces; ``destroy()``
removes everything and is safe to call twice.
"""

from __future__ import annotations

import itertools
import os
import subprocess

from tests.faults.netns import _ip

_counter = itertools.count(1)
SUBNET = "10.78.0"


class Lan:
    """A bridge namespace and one namespace per named host (the n-th gets 10.78.0.n)."""

    def __init__(self, hosts: list[str]) -> None:
        self.tag = f"pl{os.getpid()}x{next(_counter)}"
        self.hosts = list(hosts)
        self._index = {h: i + 1 for i, h in enumerate(hosts)}
        self.bridge = f"{self.tag}-br"
        self._made: list[str] = []

    def ns(self, host: str) -> str:
        return f"{self.tag}-{host}"

    def addr(self, host: str) -> str:
        return f"{SUBNET}.{self._index[host]}"

    def exec_prefix(self, host: str) -> list[str]:
        return ["ip", "netns", "exec", self.ns(host)]

    def create(self) -> None:
        self._add_ns(self.bridge)
        _ip("-n", self.bridge, "link", "add", "br0", "type", "bridge")
        _ip("-n", self.bridge, "link", "set", "br0", "up")
        for host in self.hosts:
            ns = self.ns(host)
            self._add_ns(ns)
            _ip("link", "add", "eth0", "netns", ns, "type", "veth",
                "peer", "name", f"p-{host}", "netns", self.bridge)
            _ip("-n", self.bridge, "link", "set", f"p-{host}", "master", "br0")
            _ip("-n", ns, "addr", "add", f"{self.addr(host)}/24", "dev", "eth0")
            for side, dev in ((ns, "lo"), (ns, "eth0"), (self.bridge, f"p-{host}")):
                _ip("-n", side, "link", "set", dev, "up")
            _ip("-n", ns, "route", "add", "default", "dev", "eth0")

    def destroy(self) -> None:
        for ns in reversed(self._made):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=10)
        self._made.clear()

    def _add_ns(self, name: str) -> None:
        _ip("netns", "add", name)
        self._made.append(name)
