"""The loop's exception handler while the server runs: asyncio's accept() errors become
one rate-limited line, a retry after a stop is dropped, and everything else still
reaches the handler that was there before."""

from __future__ import annotations

import asyncio
from typing import Any

from parley.server.guard import AcceptErrors


async def test_a_retry_after_stop_is_dropped_and_other_errors_pass_through() -> None:
    loop = asyncio.get_running_loop()
    before = loop.get_exception_handler()
    passed: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: passed.append(context))
    guard = AcceptErrors()
    try:
        guard.install(loop)
        # What asyncio reports when its accept() retry meets a closed listening socket.
        loop.call_exception_handler({
            "message": "Exception in callback BaseSelectorEventLoop._start_serving("
                       "<function ...>, <socket.socket fd=-1>)",
            "exception": OSError(9, "Bad file descriptor")})
        assert passed == []
        other = {"message": "Exception in callback Peer.tick()",
                 "exception": OSError(9, "Bad file descriptor")}
        loop.call_exception_handler(other)
        unrelated = {"message": "Task exception was never retrieved",
                     "exception": ValueError("boom")}
        loop.call_exception_handler(unrelated)
        assert passed == [other, unrelated]
    finally:
        loop.set_exception_handler(before)
