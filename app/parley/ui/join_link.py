"""An invite link in the join form: unpacked into its fields, its other addresses kept.

A host on several networks names its server through each address (best first). The
server field shows the first; the others are remembered here and go with the join as
long as the server field still names that link's server.
"""

from __future__ import annotations

from parley.protocol.invites import Invite, parse_invite
from parley.protocol.urls import normalize_server_url


class LinkedServers:
    """The servers of the last invite link read into the form."""

    def __init__(self) -> None:
        self._servers: tuple[str, ...] = ()

    def remember(self, invite: Invite) -> Invite:
        """Keep ``invite``'s servers (replacing the last link's); returns it."""
        self._servers = invite.servers
        return invite

    def unpack(self, text: str) -> Invite | None:
        """``text`` read as an invite link (and remembered), or None when it is none (yet):
        a bare session id, or a link still being typed."""
        if "://" not in text:
            return None
        try:
            return self.remember(parse_invite(text))
        except ValueError:
            return None

    def alternates_for(self, server: str) -> tuple[str, ...]:
        """The other addresses of ``server`` the last link named (none for another server)."""
        try:
            url = normalize_server_url(server)
        except ValueError:
            return ()
        return self._servers[1:] if self._servers[:1] == (url,) else ()
