"""Ending the call for everyone: the host's request, and the wait for the server to
close the room (it closes our link too, with ROOM_CLOSED, which then means "we left")."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from parley.protocol.messages import EndCall, Message

END_CALL_TIMEOUT = 3.0
"""Seconds end_call_for_everyone() waits for the server to close the room."""


class CallEnder:
    """One ``end_call`` at a time, and whether it is being waited for.

    Args:
        send: Sends a message on the link now; False when there is none.
        leave: Leaves the call on our own (the server could not be told, or did not
            answer in time).
    """

    def __init__(self, send: Callable[[Message], bool],
                 leave: Callable[[], Awaitable[None]]) -> None:
        self._send = send
        self._leave = leave
        self._ended: asyncio.Future[None] | None = None

    @property
    def waiting(self) -> bool:
        """Our own end_call was sent and the room has not closed yet."""
        return self._ended is not None

    async def end(self) -> bool:
        """Ask the server to close the room, and wait until it did (True); else leave
        (False)."""
        if not self._send(EndCall()):
            await self._leave()
            return False
        ended = self._ended = asyncio.get_running_loop().create_future()
        try:
            await asyncio.wait_for(asyncio.shield(ended), END_CALL_TIMEOUT)
        except TimeoutError:
            await self._leave()
            return False
        return True

    def finished(self) -> None:
        """The call is over: a waiting end() returns True."""
        ended, self._ended = self._ended, None
        if ended is not None and not ended.done():
            ended.set_result(None)
