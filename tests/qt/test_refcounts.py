"""The guard against PySide6's lost references to None/True/False (parley.qt.refcounts)."""

import sys

from PySide6.QtCore import QObject

import parley.qt  # noqa: F401 - importing the bridge installs the guard
from parley.qt.refcounts import needs_guard


def test_void_qt_calls_cannot_exhaust_none() -> None:
    obj = QObject()
    before = sys.getrefcount(None)
    for _ in range(100_000):  # far beyond None's ordinary reference count on 3.11
        obj.setObjectName("x")
        obj.killTimer(obj.startTimer(1000))
    after = sys.getrefcount(None)
    if needs_guard():
        assert after > 1 << 39  # the boost is there, and survived the calls
    assert after >= before - 300_000  # no crash got us here; the drift is bounded


def test_bools_survive_too() -> None:
    obj = QObject()
    for _ in range(50_000):
        obj.signalsBlocked()  # returns a bool
        obj.blockSignals(False)
    if needs_guard():
        assert sys.getrefcount(True) > 1 << 39 and sys.getrefcount(False) > 1 << 39
