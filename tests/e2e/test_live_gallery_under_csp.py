"""A real browser against uvicorn + a worker: log in, generate, watch the card arrive over
SSE, all under the Content-Security-Policy, with no violation reported."""

from __future__ import annotations

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


def test_live_gallery_works_under_the_csp(app, django_user_model):
    django_user_model.objects.create_user("dana", password="dana-password-123")
    page = app.login("dana", "dana-password-123", init_script=RECORD_VIOLATIONS)
    console_errors: list[str] = []
    page.on(
        "console", lambda message: message.type == "error" and console_errors.append(message.text)
    )

    # The deferred estimate loads first: submitting cancels it (hx-sync), which htmx reports.
    page.wait_for_load_state("networkidle")
    page.fill("#id_prompt", "A paper boat on a puddle")
    page.click("#generation-form button[type=submit]")
    card = page.locator(".card--succeeded", has_text="A paper boat on a puddle")
    card.wait_for(timeout=30_000)  # arrives through the SSE stream
    image = card.locator("img.card__image").first
    image.wait_for()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
    )

    assert page.evaluate("window.__cspViolations") == []
    assert page.evaluate("document.querySelectorAll('style').length") == 0  # htmx injected none
    # Nothing may fail, the favicon included (htmx reports its errors here too).
    assert console_errors == []
