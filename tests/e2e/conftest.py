"""Browser tests: Debian's Chromium driven by Playwright against uvicorn + a real worker.

Run in their own pytest invocation (``pytest -m e2e``, bin/test does it): Playwright's
sync API runs an event loop in the main thread, so the ORM calls these tests make need
DJANGO_ALLOW_ASYNC_UNSAFE.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.browser import launch_chromium
from tests.emulators.deepinfra import API_KEY
from tests.processes import app_env, web_server, worker

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# An assertion waits up to 15 s (Playwright's default is 5 s): on a 2-core CI machine the
# server, the worker and Chromium share the cores, and a card can take longer than 5 s to
# arrive there without anything being wrong. A passing assertion returns as soon as it holds.
expect.set_options(timeout=15_000)

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-results"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.django_db(transaction=True))


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()


@dataclass
class App:
    base_url: str
    browser: Browser

    def login(self, username: str, password: str, init_script: str | None = None) -> Page:
        """A fresh browser context logged in through the login form; ``init_script`` runs
        in every page before its own scripts."""
        context = self.browser.new_context(viewport={"width": 1280, "height": 900})
        if init_script:
            context.add_init_script(init_script)
        page = context.new_page()
        page.goto(f"{self.base_url}/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{self.base_url}/")
        return page


@pytest.fixture
def app(browser, deepinfra, tmp_path) -> Iterator[App]:
    """fluxweb served as in production (uvicorn + `manage.py worker`) with DeepInfra pointed
    at the emulator."""
    env = app_env(
        DEEPINFRA_API_KEY=API_KEY, DEEPINFRA_BASE_URL=deepinfra.base_url, FLUXWEB_DEMO_DELAY="0.5"
    )
    with worker(env, tmp_path / "worker.log"), web_server(env, tmp_path / "web.log") as base_url:
        yield App(base_url, browser)


@pytest.fixture
def screenshot():
    ARTIFACTS.mkdir(exist_ok=True)

    def take(page: Page, name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
