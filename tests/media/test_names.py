"""Replacing a library's names and putting them back (media/names.py)."""

from __future__ import annotations

import types

import pytest

from parley.media.names import Replaced


def test_installed_replaces_uninstalled_restores_both_idempotent() -> None:
    module = types.SimpleNamespace(clock="upstream clock")

    class Library:
        def recv(self) -> str:
            return "upstream"

    original = Library.recv
    replaced = Replaced((module, "clock", "parley clock"),
                        (Library, "recv", lambda self: "parley"))
    assert not replaced.installed
    replaced.install()
    replaced.install()  # a second install keeps the originals, not the replacements
    assert replaced.installed and module.clock == "parley clock" and Library().recv() == "parley"
    assert replaced.upstream("recv") is original and replaced.upstream("clock") == "upstream clock"
    replaced.uninstall()
    replaced.uninstall()
    assert not replaced.installed
    assert module.clock == "upstream clock" and Library.recv is original


def test_two_replacements_of_one_name_are_refused() -> None:
    a, b = types.SimpleNamespace(x=1), types.SimpleNamespace(x=2)
    with pytest.raises(ValueError, match="name of its own"):
        Replaced((a, "x", 3), (b, "x", 4))
