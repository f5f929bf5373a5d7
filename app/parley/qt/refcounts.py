"""A guard against PySide6 6.12's lost references to None, True and False on Python 3.11.

PySide6 6.12 returns ``None`` (and ``True``/``False``) from its bindings without
taking a reference, which is only correct on Python 3.12+, where those objects
are immortal (PEP 683). On 3.11 every call of a void Qt method -
``setObjectName``, ``QPainter.setPen``, ``QObject.killTimer`` (qasync calls it for
every asyncio callback), ``QTimer.stop`` ... - drops None's reference count by
one, and after some tens of thousands of calls the interpreter aborts with
``Fatal Python error: none_dealloc`` (or ``bool_dealloc``). A video call gets
there in well under a minute.

The guard does what 3.12 does: it gives those three singletons a reference
count so large that no run of the app can use it up (2**40 decrements is a
void Qt call every microsecond for twelve days). They are never deallocated
anyway. Nothing is done on 3.12+ or on other interpreters. The real fix is a
PySide6 release that increments before returning, or Python >= 3.12.
"""

from __future__ import annotations

import ctypes
import sys

_BOOST = 1 << 40
_done = False


def needs_guard() -> bool:
    """True on CPython before 3.12, where None, True and False are reference counted."""
    return sys.implementation.name == "cpython" and sys.version_info < (3, 12)


def immortalize_singletons() -> None:
    """Raise the reference counts of None, True and False out of reach (once)."""
    global _done
    if _done or not needs_guard():
        return
    _done = True
    for singleton in (None, True, False):
        # ob_refcnt is the first field of every CPython object (a Py_ssize_t).
        ctypes.c_ssize_t.from_address(id(singleton)).value += _BOOST
