"""Who a fresh join is let in as: its grant checked, and invite uses counted.

Pure state with a given clock, like the rooms: the hub asks :meth:`Gate.check`
before it gives a seat, and :meth:`Gate.spend` once it has, so a join that is
refused (a full room) costs no use. A seat dropped without ``leave`` has spent
its use all the same; a resume spends none.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from parley.protocol.errors import ErrorCode, ProtocolError
from parley.protocol.grants import Grant, verify_grant
from parley.protocol.messages import Join
from parley.protocol.names import check_display_name
from parley.server.config import ServerConfig


@dataclass(frozen=True)
class Admission:
    """What :meth:`Gate.check` lets a join in as."""

    name: str
    """The name the room shows: an identity grant's, else the join's."""
    grant: Grant | None
    """The verified grant (None: an open room)."""
    use_key: str | None = None
    """For an invite with a use limit: what its uses are counted under."""


class Gate:
    """Checks join grants against the server's secret, and counts invite uses.

    Uses are kept in memory, per invite, until the invite expires; a restart
    forgets them (a later issue keeps them in the state directory).
    """

    def __init__(self, config: ServerConfig, clock: Callable[[], float]) -> None:
        self._secret = config.secret
        self._max_lifetime = config.max_grant_lifetime
        self._clock = clock
        self._used: dict[str, tuple[int, float]] = {}
        """use key -> (joins so far, when the invite expires)."""

    def check(self, join: Join) -> Admission:
        """What ``join`` (a fresh one, not a resume) is let in as.

        Raises:
            ProtocolError: TOKEN_REQUIRED, TOKEN_INVALID, TOKEN_EXPIRED,
                TOKEN_WRONG_ROOM or TOKEN_USED_UP.
        """
        name = check_display_name(join.display_name)  # decoding checked it: the canonical form
        if self._secret is None:
            return Admission(name, None)  # open rooms ignore any token
        if join.token is None:
            raise ProtocolError(ErrorCode.TOKEN_REQUIRED, "this server needs a join token")
        now = self._clock()
        grant = verify_grant(self._secret, join.token, join.session_id, now,
                             self._max_lifetime)
        if grant.name is not None:
            return Admission(check_display_name(grant.name), grant)
        if grant.uses is None:
            return Admission(name, grant)
        # A canonical token has one spelling, so its digest names the grant.
        key = hashlib.sha256(join.token.encode("ascii")).hexdigest()
        used, _ = self._used.get(key, (0, grant.expires_at))
        if used >= grant.uses:
            raise ProtocolError(ErrorCode.TOKEN_USED_UP,
                                f"this invite has been used {grant.uses} times, its limit")
        return Admission(name, grant, key)

    def spend(self, admission: Admission) -> None:
        """Count one use of ``admission``'s invite (after the seat was given)."""
        if admission.use_key is None or admission.grant is None:
            return
        now = self._clock()
        for key in [k for k, (_, until) in self._used.items() if until <= now]:
            del self._used[key]
        used, until = self._used.get(admission.use_key, (0, admission.grant.expires_at))
        self._used[admission.use_key] = (used + 1, until)
