"""PySide6 must not lose references to None/True/False (PySide6 6.12 on Python 3.11 did:
every void Qt call dropped None's count by one until the app aborted with none_dealloc;
pyproject.toml pins below it)."""

import sys

from PySide6.QtCore import QObject

CALLS = 2_000  # few enough that a leaking binding fails here instead of crashing


def test_void_qt_calls_keep_none_alive() -> None:
    obj = QObject()
    before = sys.getrefcount(None)
    for _ in range(CALLS):
        obj.setObjectName("x")
        obj.killTimer(obj.startTimer(1000))
    # A leaking binding loses one reference per call; noise is a few dozen either way.
    assert sys.getrefcount(None) > before - CALLS // 2


def test_bool_results_keep_true_and_false_alive() -> None:
    obj = QObject()
    before = sys.getrefcount(True), sys.getrefcount(False)
    for _ in range(CALLS):
        obj.signalsBlocked()
        obj.blockSignals(False)
    after = sys.getrefcount(True), sys.getrefcount(False)
    assert all(a > b - CALLS // 2 for a, b in zip(after, before, strict=True))
