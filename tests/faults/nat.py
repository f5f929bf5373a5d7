"""Private LANs behind NAT gateways, a public side with a call server and coturn.

    host a (10.79.1.2) -- gw-a (10.79.1.1 | 10.80.1.2, nftables masquerade) --+
                                                                              pub
    host b (10.79.2.2) -- gw-b (10.79.2.1 | 10.80.2.2, nftables masquerade) --+

``pub`` is the Internet: it routes between the gateways' public addresses and holds
the public address ``10.80.0.1`` (on its loopback), where parley-server and coturn
listen; anything else it sends into a void. Nothing routes to a private LAN, so
hosts reach each other only through their gateways' mappings or a relay. A
gateway's NAT is ``cone`` (plain masquerade: netfilter keeps the source port, so one
mapping serves every destination) or ``symmetric`` (``masquerade random``: each
destination gets its own random port, which STUN cannot predict). Every LAN gets its
own gateway, so ``cut(host)`` (its cable) and ``drop_udp(host)`` (a firewall) act on
one host only.

Namespace names carry the pid and a counter; ``destroy()`` deletes them all and is
safe to call twice. Addresses exist only inside these namespaces.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import subprocess
import sys
import time
from pathlib import Path

from tests.faults.netns import NetnsError, _ip

_counter = itertools.count(1)
PUBLIC = "10.80.0.1"
"""The public address of the call server and coturn."""
TURN_PORT = 3478
TURN_TLS_PORT = 443
NAT_MODES = ("cone", "symmetric")


def _nft(ns: str, ruleset: str) -> None:
    done = subprocess.run(["ip", "netns", "exec", ns, "nft", "-f", "-"], input=ruleset,
                          capture_output=True, text=True, timeout=10)
    if done.returncode != 0:
        raise NetnsError(f"nft in {ns}: {done.stderr.strip()}\n{ruleset}")


class NatRig:
    """One LAN per host, each behind its own NAT gateway, all joined by ``pub``.

    Args:
        hosts: Host name (letters and digits, at most 5 characters) -> NAT mode of its
            gateway (``cone`` or ``symmetric``).
    """

    def __init__(self, hosts: dict[str, str]) -> None:
        assert all(mode in NAT_MODES for mode in hosts.values()), hosts
        self.tag = f"pn{os.getpid()}x{next(_counter)}"
        self.hosts = dict(hosts)
        self._index = {h: i + 1 for i, h in enumerate(hosts)}
        self.pub = f"{self.tag}-pub"
        self._made: list[str] = []

    def ns(self, host: str) -> str:
        return self.pub if host == "pub" else f"{self.tag}-{host}"

    def gateway(self, host: str) -> str:
        return f"{self.tag}-gw{host}"

    def addr(self, host: str) -> str:
        """A host's private address (``pub``: the public one)."""
        return PUBLIC if host == "pub" else f"10.79.{self._index[host]}.2"

    def public_addr(self, host: str) -> str:
        """The public address a host's gateway maps it to."""
        return f"10.80.{self._index[host]}.2"

    def exec_prefix(self, host: str) -> list[str]:
        return ["ip", "netns", "exec", self.ns(host)]

    def create(self) -> None:
        self._add_ns(self.pub)
        _ip("-n", self.pub, "link", "set", "lo", "up")
        _ip("-n", self.pub, "addr", "add", f"{PUBLIC}/32", "dev", "lo")
        # What routes nowhere leaves by a default route and vanishes, as on the Internet
        # (an unreachable network would make coturn drop an allocation that tried it).
        # (a sink namespace that forwards nothing: no dummy module needed)
        sink = f"{self.tag}-sink"
        self._add_ns(sink)
        _ip("link", "add", "void", "netns", self.pub, "type", "veth", "peer", "name", "eth0",
            "netns", sink)
        _ip("-n", self.pub, "addr", "add", "10.80.255.1/30", "dev", "void")
        _ip("-n", sink, "addr", "add", "10.80.255.2/30", "dev", "eth0")
        _ip("-n", self.pub, "link", "set", "void", "up")
        _ip("-n", sink, "link", "set", "eth0", "up")
        _ip("-n", self.pub, "route", "add", "default", "via", "10.80.255.2")
        self._sysctl(self.pub, "net.ipv4.ip_forward=1")
        for host, mode in self.hosts.items():
            self._add_lan(host, mode)

    def _add_lan(self, host: str, mode: str) -> None:
        n, ns, gw = self._index[host], self.ns(host), self.gateway(host)
        self._add_ns(ns)
        self._add_ns(gw)
        _ip("link", "add", "eth0", "netns", ns, "type", "veth", "peer", "name", "lan",
            "netns", gw)
        _ip("link", "add", "wan", "netns", gw, "type", "veth", "peer", "name", f"to-{host}",
            "netns", self.pub)
        _ip("-n", ns, "addr", "add", f"10.79.{n}.2/24", "dev", "eth0")
        _ip("-n", gw, "addr", "add", f"10.79.{n}.1/24", "dev", "lan")
        _ip("-n", gw, "addr", "add", f"10.80.{n}.2/24", "dev", "wan")
        _ip("-n", self.pub, "addr", "add", f"10.80.{n}.1/24", "dev", f"to-{host}")
        for side, dev in ((ns, "lo"), (ns, "eth0"), (gw, "lo"), (gw, "lan"), (gw, "wan"),
                          (self.pub, f"to-{host}")):
            _ip("-n", side, "link", "set", dev, "up")
        _ip("-n", ns, "route", "add", "default", "via", f"10.79.{n}.1")
        _ip("-n", gw, "route", "add", "default", "via", f"10.80.{n}.1")
        self._sysctl(gw, "net.ipv4.ip_forward=1")
        flags = " random" if mode == "symmetric" else ""
        _nft(gw, f"""
table ip nat {{
  chain postrouting {{
    type nat hook postrouting priority srcnat; policy accept;
    oifname "wan" masquerade{flags}
  }}
}}
table inet firewall {{
  chain input {{
    type filter hook input priority filter; policy accept;
    iifname "wan" ct state new drop
  }}
  chain forward {{
    type filter hook forward priority filter; policy accept;
  }}
}}
""")
        # Unsolicited packets from outside are dropped before conntrack keeps them: a
        # kept one would take the reply tuple of the host's own next packet to that
        # sender and force netfilter to map it to another port (hole punching fails).

    def cut(self, host: str) -> None:
        """Pull the host's cable (at its gateway): nothing in or out, no error on it."""
        _ip("-n", self.gateway(host), "link", "set", "lan", "down")

    def restore(self, host: str) -> None:
        _ip("-n", self.gateway(host), "link", "set", "lan", "up")

    def drop_udp(self, host: str) -> None:
        """The host's gateway drops every UDP packet it would forward (a firewall that
        lets only TCP out)."""
        self.drop(host, "meta l4proto udp")

    def drop(self, host: str, match: str) -> None:
        """The host's gateway drops what it would forward that matches ``match`` (an
        nftables match, ``tcp dport 3478``)."""
        _nft(self.gateway(host), f"add rule inet firewall forward {match} drop\n")

    def silence_udp_port(self, port: int) -> None:
        """``pub`` drops UDP to ``port`` unanswered: a server that never answers."""
        _nft(self.pub, f"""
table inet silent {{
  chain input {{
    type filter hook input priority filter; policy accept;
    udp dport {port} drop
  }}
}}
""")

    def destroy(self) -> None:
        for ns in reversed(self._made):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=10)
        self._made.clear()

    def _sysctl(self, ns: str, setting: str) -> None:
        subprocess.run(["ip", "netns", "exec", ns, "sysctl", "-qw", setting], check=True,
                       capture_output=True, timeout=10)

    def _add_ns(self, name: str) -> None:
        _ip("netns", "add", name)
        self._made.append(name)


class Coturn:
    """coturn (Debian's ``turnserver``) on ``pub``, in coturn's REST-API mode
    (use-auth-secret): it accepts the credentials parley-server mints with the same
    secret. UDP and TCP on 3478, TLS on 443 with ``tls`` (a certificate and key, PEM;
    clients must trust it: ``SSL_CERT_FILE``), no daemon, the log on stdout (kept in a
    file)."""

    def __init__(self, rig: NatRig, secret: str, log: Path,
                 tls: tuple[Path, Path] | None = None) -> None:
        self.rig, self.secret, self.log, self.tls = rig, secret, log, tls
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self, timeout: float = 10.0) -> None:
        args = [*self.rig.exec_prefix("pub"), "turnserver", "-n", "--no-cli",
                "--listening-ip", PUBLIC, "--relay-ip", PUBLIC,
                "--listening-port", str(TURN_PORT), "--no-dtls",
                *(["--tls-listening-port", str(TURN_TLS_PORT), "--cert", str(self.tls[0]),
                   "--pkey", str(self.tls[1])] if self.tls else ["--no-tls"]),
                "--use-auth-secret", f"--static-auth-secret={self.secret}",
                "--realm", "parley.test", "--fingerprint", "--log-file", "stdout",
                "--simple-log", "--verbose", "--pidfile", str(self.log.with_suffix(".pid")),
                "--min-port", "49152", "--max-port", "65535"]
        with open(self.log, "ab") as log:
            self.proc = await asyncio.create_subprocess_exec(
                *args, stdout=log, stderr=log, stdin=asyncio.subprocess.DEVNULL,
                start_new_session=True)
        deadline = time.monotonic() + timeout
        while not self._listening():
            if self.proc.returncode is not None or time.monotonic() > deadline:
                tail = self.log.read_text(errors="replace")[-2000:]
                await self.stop()
                raise AssertionError(f"coturn did not start listening:\n{tail}")
            await asyncio.sleep(0.1)  # polling a socket table, not synchronising events

    def _listening(self) -> bool:
        done = subprocess.run([*self.rig.exec_prefix("pub"), "ss", "-Hltnu"],
                              capture_output=True, text=True, timeout=5)
        tcp = udp = False
        tls = self.tls is None
        for line in done.stdout.splitlines():
            if f"{PUBLIC}:{TURN_PORT}" in line:
                tcp |= line.startswith("tcp")
                udp |= line.startswith("udp")
            tls |= f"{PUBLIC}:{TURN_TLS_PORT}" in line and line.startswith("tcp")
        return tcp and udp and tls

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()


def main() -> int:
    """``python -m tests.faults.nat``: build a rig, print its namespaces, wait for Enter
    and tear it down (to poke at it by hand)."""
    rig = NatRig({"a": "symmetric", "b": "cone"})
    try:
        rig.create()
        print({h: rig.ns(h) for h in [*rig.hosts, "pub"]})
        sys.stdin.readline()
    finally:
        rig.destroy()
    return 0


if __name__ == "__main__":
    sys.exit(main())
