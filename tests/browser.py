"""How fluxweb's browser tests and benchmarks start Debian's Chromium with Playwright.

``playwright install`` cannot download browsers here, so Playwright drives the system
Chromium. Without the background-networking flags, Chromium keeps trying hosts this
machine's closed network refuses.
"""

from __future__ import annotations

from playwright.sync_api import Browser, Playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def launch_chromium(playwright: Playwright) -> Browser:
    """A headless Debian Chromium with the flags above."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
