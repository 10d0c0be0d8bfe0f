"""A real browser against uvicorn + a worker: log in, generate, watch the card arrive over
SSE, all under the Content-Security-Policy, with no violation reported."""

from __future__ import annotations

import pytest
from playwright.sync_api import sync_playwright

from tests.processes import app_env, web_server, worker

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


def test_live_gallery_works_under_the_csp(settings, django_user_model, tmp_path, monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the ORM calls here are safe.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]  # what the server checks
    django_user_model.objects.create_user("dana", password="dana-password-123")
    env = app_env()
    with (
        web_server(env, tmp_path / "web.log") as base_url,
        worker(env, tmp_path / "worker.log"),
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page()
        console_errors: list[str] = []
        page.on("console", lambda message: message.type == "error" and console_errors.append(message.text))
        page.add_init_script(RECORD_VIOLATIONS)

        page.goto(f"{base_url}/accounts/login/")
        page.fill("#id_username", "dana")
        page.fill("#id_password", "dana-password-123")
        page.click("button[type=submit]")
        page.wait_for_selector("#generation-form")

        page.fill("#id_prompt", "A paper boat on a puddle")
        page.click("#generation-form button[type=submit]")
        card = page.locator(".card--succeeded", has_text="A paper boat on a puddle")
        card.wait_for(timeout=30_000)  # arrives through the SSE stream
        image = card.locator("img.card__image").first
        image.wait_for()
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())

        assert page.evaluate("window.__cspViolations") == []
        assert page.evaluate("document.querySelectorAll('style').length") == 0  # htmx injected none
        # Nothing but the browser's favicon probe may fail (htmx reports its errors here too).
        assert [text for text in console_errors if "404" not in text] == []
        browser.close()
