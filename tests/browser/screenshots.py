"""Take docs/screenshots/browser-guest.png: the guest page (Chromium) in a 3-way call
with two desktop participants (CallSessions with the desktop app's synthetic media),
one of them muted with a hand up, and a chat message the guest has not read yet; and
browser-guest-chat.png, the same call with the guest's chat panel open after a few
messages both ways.

    .venv/bin/python -m tests.browser.screenshots [OUT_DIR]

Not a test: it only takes the picture, which a person then looks at.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from parley.server import CallServer, ServerConfig
from tests.browser.support import Desktop, Guest, chromium, until

ROOT = Path(__file__).resolve().parents[2]


async def main(out: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        server = CallServer(ServerConfig(port=0, state_dir=Path(tmp) / "state"))
        await server.start()
        desktops = [Desktop("Grace Hopper"), Desktop("Alan Turing")]
        try:
            for desktop in desktops:
                await desktop.join(server.url, "design-review")
            async with chromium(Path(tmp) / "profile") as browser:
                guest = Guest(await browser.new_page())
                await guest.open(f"http://127.0.0.1:{server.port}/join/design-review")
                gid = await guest.join("Ada Lovelace")
                for desktop in desktops:
                    await until(lambda d=desktop: guest.video_moves(d.id), what=desktop.name)
                    await until(lambda d=desktop: d.sees_moving_video(gid), what="the guest")
                desktops[1].session.mute_audio()
                desktops[1].session.raise_hand()
                await until(lambda: guest.page.locator(".badge.hand").count(), what="hand")
                await guest.page.click("#hand")  # the guest's own hand, shown on its tile
                await until(lambda: guest.page.locator("figure.local .badge.hand").count(),
                            what="own hand")
                desktops[0].session.send_chat(
                    "Morning! The draft is at https://example.org/design-review - "
                    "comments welcome.")
                await until(lambda: guest.page.locator("#chat-unread:not([hidden])").count(),
                            what="the unread badge")
                await guest.page.mouse.move(0, 0)
                out.mkdir(parents=True, exist_ok=True)
                await guest.page.screenshot(path=str(out / "browser-guest.png"))
                print(out / "browser-guest.png")
                await chat(guest, desktops)
                await guest.page.screenshot(path=str(out / "browser-guest-chat.png"))
                print(out / "browser-guest-chat.png")
        finally:
            for desktop in desktops:
                await desktop.session.leave_session()
            await server.stop()


async def badge(guest: Guest, text: str) -> bool:
    return bool(await guest.page.evaluate(
        "(text) => !document.getElementById('chat-unread').hidden"
        " && document.getElementById('chat-unread').textContent === text", text))


async def shows(guest: Guest, messages: int) -> bool:
    return int(await guest.page.locator("#chat-messages li").count()) == messages


async def chat(guest: Guest, desktops: list[Desktop]) -> None:
    """A few messages both ways, then the guest's panel open."""
    grace, alan = (d.session for d in desktops)
    alan.send_chat("Looks good. Can we start with section 3?\nThe <diagram> there changed.")
    await until(lambda: badge(guest, "2"), what="two unread")
    await guest.page.click("#chat-toggle")
    await guest.page.fill("#chat-input", "Sure - I'll share my notes right after.")
    await guest.page.keyboard.press("Enter")
    await until(lambda: guest.page.locator("#chat-messages li.local").count(), what="sent")
    grace.send_chat("Great, thanks Ada.")
    await until(lambda: shows(guest, 4), what="all four")
    await guest.page.fill("#chat-input", "Section 3 it is")
    await guest.page.mouse.move(0, 0)


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots"))
