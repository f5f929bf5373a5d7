"""Fixtures for browser guests: a call server on loopback whose participant ids follow
the joining order (so a test decides who is the impolite side of a pair, the one that
offers), a Chromium, and desktop participants that always leave; and the Qt side's
fixtures (tests/qt/support.py) for tests of the desktop app beside a guest."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext

from parley.server import CallServer, ServerConfig, rooms
from tests.browser.support import Desktop, Guest, chromium
from tests.qt.support import (  # noqa: F401 - fixtures for the app beside a guest
    app_settings,
    make_app,
    qloop,
    servers,
    session_qloop,
)
from tests.sfu.conftest import (  # noqa: F401 - two Janus nodes for the guest's failover
    nodes,
    two_node_server,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def ordered_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    """Participant ids in joining order: the first to join has the lowest id."""
    counter = itertools.count(1)
    monkeypatch.setattr(rooms, "new_participant_id", lambda: f"p_{next(counter):08d}")


@pytest.fixture
async def server(tmp_path: Path, ordered_ids: None) -> AsyncIterator[CallServer]:
    srv = CallServer(ServerConfig(port=0, state_dir=tmp_path / "state"))
    await srv.start()
    yield srv
    if srv.running:
        await srv.stop()


@pytest.fixture
async def browser(tmp_path: Path) -> AsyncIterator[BrowserContext]:
    async with chromium(tmp_path / "chromium-profile") as context:
        yield context


@pytest.fixture
async def guest(browser: BrowserContext) -> AsyncIterator[Guest]:
    page = await browser.new_page()
    yield Guest(page)
    await page.close()


@pytest.fixture
async def desktops() -> AsyncIterator[Callable[[str], Desktop]]:
    made: list[Desktop] = []

    def make(name: str) -> Desktop:
        desktop = Desktop(name)
        made.append(desktop)
        return desktop

    yield make
    for desktop in made:
        await desktop.session.leave_session()


def page_url(server: CallServer, room: str, query: str = "", port: int | None = None) -> str:
    return f"http://127.0.0.1:{port or server.port}/join/{room}{query}"
