"""Issue 14's checks of the layout, in a browser: every page at 1440×900 and 390×844, light
and dark, scrolls no sideways, breaks no CSP rule, logs no console error and has no serious
or critical axe-core violation (axe-core vendored in tests/e2e/vendor/); the lightbox steps
through the filtered gallery with the arrow keys, closes with Esc back to the same place and
lets Tab reach every action; the theme toggle is remembered.

``FLUXWEB_SCREENSHOTS=1`` also writes the screenshots of docs/screenshots/.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.storage.cookie import CookieStorage
from django.template.loader import render_to_string
from django.test import RequestFactory
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from fluxweb.generations.models import Generation
from tests.factories import make_finished_generation, make_generation

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text()
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
VIEWPORTS = {"desktop": {"width": 1440, "height": 900}, "phone": {"width": 390, "height": 844}}
RECORD = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""
PROMPTS = [
    ("A red fox asleep in fresh snow, morning light", 512, 512),
    ("A lighthouse on a cliff at dusk, long exposure", 768, 512),
    ("A glass of iced tea on a wooden table, macro", 512, 768),
    ("A neon street in the rain, cinematic wide shot", 896, 512),
    ("A bowl of ramen seen from above, " + "steam, chopsticks, " * 60, 512, 512),
    ("Portrait of a ceramic owl, studio backdrop", 384, 512),
]


@pytest.fixture
def team(django_user_model):
    """An admin (ada) and a member (milo), a gallery of finished images of several aspect
    ratios, a failed and a queued generation."""
    ada = django_user_model.objects.create_user("ada", password="ada-password-1", is_staff=True)
    milo = django_user_model.objects.create_user("milo", password="milo-password-1")
    for index, (prompt, width, height) in enumerate(PROMPTS):
        make_finished_generation(ada if index % 2 else milo, prompt, width=width, height=height)
    make_generation(
        milo,
        "A paper crane on a desk",
        status=Generation.Status.FAILED,
        error="the provider rejected the prompt",
    )
    make_generation(milo, "A mountain hut under stars", status=Generation.Status.QUEUED)
    return {"ada": ("ada", "ada-password-1"), "milo": ("milo", "milo-password-1")}


def open_context(
    browser: Browser, base_url: str, viewport: str, scheme: str, who: tuple[str, str] | None
) -> Page:
    context = browser.new_context(
        viewport=VIEWPORTS[viewport], color_scheme=scheme, base_url=base_url
    )
    context.add_init_script(RECORD)
    page = context.new_page()
    page.errors = []  # type: ignore[attr-defined]
    page.on("console", lambda message: message.type == "error" and page.errors.append(message.text))
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    if who:
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill(who[0])
        page.get_by_label("Password").fill(who[1])
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{base_url}/")
    return page


def settle(page: Page) -> None:
    page.wait_for_load_state("load")
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"
    )
    page.wait_for_function(
        "() => [...document.images].every(img => img.loading === 'lazy' || img.complete)"
    )


def audit(page: Page, label: str) -> list[str]:
    """What is wrong with the page as shown: sideways scrolling, CSP violations, console
    errors, serious or critical axe-core violations."""
    settle(page)
    problems = []
    scroll_width, inner_width = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
    if scroll_width > inner_width:
        problems.append(f"{label}: scrolls sideways ({scroll_width} > {inner_width} px)")
    violations = page.evaluate("window.__cspViolations")
    if violations:
        problems.append(f"{label}: CSP violations {violations}")
    if page.errors:  # type: ignore[attr-defined]
        problems.append(f"{label}: console errors {page.errors}")  # type: ignore[attr-defined]
    page.evaluate(AXE)
    found = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
            .filter(v => v.impact === "serious" || v.impact === "critical")
            .map(v => v.id + ": " + v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(" | "))"""
    )
    problems.extend(f"{label}: axe {violation}" for violation in found)
    return problems


def serve_error_page(page: Page, path: str, status: int, username: str | None) -> None:
    """Serve our ``<status>.html`` as rendered by Django for ``path``, under the site's CSP
    header: the server under test runs with DEBUG on, where Django shows its technical 404
    and 500 pages instead of ours."""
    request = RequestFactory().get(path)
    request.user = get_user_model().objects.get(username=username) if username else AnonymousUser()
    request._messages = CookieStorage(request)
    # Django renders 500.html without a request (nor the database) behind it.
    html = (
        render_to_string("500.html")
        if status == 500
        else render_to_string(f"{status}.html", request=request)
    )
    policy = page.request.get("/accounts/login/").headers["content-security-policy"]
    page.route(
        f"**{path}",
        lambda route: route.fulfill(
            status=status,
            body=html,
            content_type="text/html; charset=utf-8",
            headers={"Content-Security-Policy": policy},
        ),
    )


def pages_to_check(detail_pk: int) -> list[tuple[str, str, str | None]]:
    """(name, path, who): who is "ada" (admin), "milo" (member) or None (logged out)."""
    return [
        ("home", "/", "milo"),
        ("home-filtered", "/?q=lighthouse", "milo"),
        ("detail", f"/generations/{detail_pk}/", "milo"),
        ("prompt-history", "/prompts/", "milo"),
        ("usage", "/usage/", "milo"),
        ("tokens", "/tokens/", "milo"),
        ("account", "/accounts/me/", "milo"),
        ("not-found", "/no-such-page/", "milo"),
        ("server-error", "/server-error/", "milo"),
        ("forbidden", "/providers/status/", "milo"),
        ("provider-status", "/providers/status/", "ada"),
        ("team", "/team/", "ada"),
        ("login", "/accounts/login/", None),
    ]


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_every_page_fits_obeys_the_csp_and_passes_axe(app, team, viewport, scheme):
    detail_pk = (
        Generation.objects.filter(status=Generation.Status.SUCCEEDED).latest("created_at").pk
    )
    pages = {
        who: open_context(app.browser, app.base_url, viewport, scheme, team[who] if who else None)
        for who in ("ada", "milo", None)
    }
    problems = []
    for name, path, who in pages_to_check(detail_pk):
        page = pages[who]
        page.errors.clear()  # type: ignore[attr-defined]
        if name in ("not-found", "server-error"):
            status = 404 if name == "not-found" else 500
            serve_error_page(page, path, status, who)
        response = page.goto(path)
        if name in ("not-found", "server-error"):
            # The browser reports the error status itself as a console error.
            page.errors[:] = [e for e in page.errors if "status of" not in e]  # type: ignore[attr-defined]
            assert response.status in (404, 500)
            expect(page.get_by_role("link", name="Back to the gallery")).to_be_visible()
        elif name == "forbidden":
            assert response.status == 403
            page.errors[:] = [e for e in page.errors if "status of" not in e]  # type: ignore[attr-defined]
            expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
        else:
            assert response.status == 200, name
        problems += audit(page, f"{name} {viewport} {scheme}")
    for page in pages.values():
        page.context.close()
    assert not problems, "\n".join(problems)


def test_the_phone_menu_opens_and_the_gallery_shows_two_columns(app, team):
    page = open_context(app.browser, app.base_url, "phone", "light", team["milo"])
    nav = page.locator("#site-nav")
    expect(nav).to_be_hidden()
    page.get_by_role("button", name="Menu").click()
    expect(nav.get_by_role("button", name="Log out")).to_be_in_viewport()
    page.keyboard.press("Escape")
    expect(nav).to_be_hidden()
    squares = page.locator("#gallery-cards article.card--r1-1")
    first, second = squares.nth(0).bounding_box(), squares.nth(1).bounding_box()
    # Two square tiles share a row, each about half the screen wide.
    assert first["width"] < 390 / 2 and second["width"] < 390 / 2


def test_the_theme_toggle_is_remembered(app, team):
    page = open_context(app.browser, app.base_url, "desktop", "light", team["milo"])
    background = "getComputedStyle(document.documentElement).backgroundColor"
    light = page.evaluate(background)
    toggle = page.get_by_role("button", name="Dark mode")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    dark = page.evaluate(background)
    assert dark != light
    page.goto("/usage/")
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    assert page.evaluate(background) == dark


def test_lightbox_steps_through_the_filtered_gallery_and_closes_where_it_was(app, team):
    page = open_context(app.browser, app.base_url, "desktop", "light", team["milo"])
    ada = Generation.objects.filter(author__username="ada").first().author
    page.goto(f"/?author={ada.pk}")  # the filter: lighthouse, neon street, owl
    matching = list(Generation.objects.filter(author=ada).order_by("-created_at", "-id"))
    cards = page.locator("#gallery-cards article.card")
    expect(cards).to_have_count(len(matching))
    page.evaluate("window.scrollTo(0, 150)")
    scroll = page.evaluate("scrollY")
    cards.first.locator("a.card__image-link").click()
    expect(page).to_have_url(re.compile(rf"/generations/{matching[0].pk}/\?"))

    page.keyboard.press("ArrowRight")
    expect(page).to_have_url(re.compile(rf"/generations/{matching[1].pk}/\?"))
    expect(page.locator("#detail-prompt")).to_have_text(matching[1].prompt.text)
    page.keyboard.press("ArrowRight")
    expect(page).to_have_url(re.compile(rf"/generations/{matching[2].pk}/\?"))
    page.keyboard.press("ArrowLeft")
    expect(page).to_have_url(re.compile(rf"/generations/{matching[1].pk}/\?"))

    # Tab reaches every action.
    reached = set()
    for _ in range(40):
        page.keyboard.press("Tab")
        reached.add(page.evaluate("(document.activeElement.textContent || '').trim()"))
    for action in (
        "Remix",
        "Download",
        "Copy prompt",
        "Zoom to 100 %",
        "Close",
        "← Previous",
        "Next →",
    ):
        assert action in reached, action
    assert any("Favourite" in text for text in reached)

    page.keyboard.press("Escape")
    expect(page).to_have_url(re.compile(rf"/\?author={ada.pk}$"))
    expect(cards).to_have_count(len(matching))
    page.wait_for_function(f"() => Math.abs(scrollY - {scroll}) < 2")


def test_the_lightbox_works_without_javascript(app, team):
    context = app.browser.new_context(java_script_enabled=False, base_url=app.base_url)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("milo")
    page.get_by_label("Password").fill("milo-password-1")
    page.get_by_role("button", name="Log in").click()
    newest_first = list(Generation.objects.order_by("-created_at", "-id"))
    page.goto(f"/generations/{newest_first[0].pk}/")
    page.get_by_role("link", name="Next →").click()
    expect(page).to_have_url(re.compile(rf"/generations/{newest_first[1].pk}/"))
    page.get_by_role("link", name="← Previous").click()
    expect(page).to_have_url(re.compile(rf"/generations/{newest_first[0].pk}/"))
    context.close()


@pytest.mark.skipif(
    not os.environ.get("FLUXWEB_SCREENSHOTS"),
    reason="FLUXWEB_SCREENSHOTS=1 writes docs/screenshots/",
)
def test_screenshots(app, team):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    detail_pk = (
        Generation.objects.filter(status=Generation.Status.SUCCEEDED).latest("created_at").pk
    )
    for viewport, scheme, name, path in [
        ("desktop", "light", "gallery-desktop", "/"),
        ("desktop", "dark", "gallery-desktop-dark", "/"),
        ("desktop", "light", "lightbox-desktop", f"/generations/{detail_pk}/"),
        ("phone", "light", "gallery-phone", "/"),
        ("phone", "dark", "lightbox-phone-dark", f"/generations/{detail_pk}/"),
        ("phone", "light", "usage-phone", "/usage/"),
    ]:
        page = open_context(app.browser, app.base_url, viewport, scheme, team["milo"])
        page.goto(path)
        settle(page)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path))
        page.context.close()
        # 256 colours keep each file small enough for the repository.
        with Image.open(path) as shot:
            small = shot.convert("RGB").quantize(256, method=Image.Quantize.FASTOCTREE)
        small.save(path, optimize=True)


HIDDEN_TAB = """
window.__hidden = false;
Object.defineProperty(document, "hidden", {get: () => window.__hidden});
"""
# The browser's notifications, recorded: permission asked for ("default") until the member
# opts in with the gallery's button.
NOTIFICATIONS = """
window.__notes = [];
window.Notification = class {
  constructor(title, options) { window.__notes.push({title, body: options.body}); }
  static requestPermission() {
    window.Notification.permission = "granted";
    return Promise.resolve("granted");
  }
};
window.Notification.permission = "default";
"""


def test_a_finished_generation_counts_in_the_title_while_the_tab_is_hidden(app, team):
    page = open_context(app.browser, app.base_url, "desktop", "light", team["milo"])
    page.context.add_init_script(HIDDEN_TAB + NOTIFICATIONS)
    page.reload()
    settle(page)
    title = page.title()
    opt_in = page.get_by_role("button", name="Notify me when my images are ready")
    opt_in.click()
    expect(page.get_by_role("button", name="Notifications on")).to_have_attribute(
        "aria-pressed", "true"
    )
    page.evaluate("window.__hidden = true")
    form = page.locator("#generation-form")
    form.get_by_label("Prompt", exact=True).fill("A kite over the dunes")
    form.get_by_role("button", name="Generate").click()
    card = page.locator("#gallery-cards article.card--succeeded", has_text="A kite over the dunes")
    expect(card).to_have_count(1, timeout=20_000)
    expect(page).to_have_title(f"(1) {title}")
    assert page.evaluate("window.__notes") == [
        {"title": "Your image is ready", "body": "A kite over the dunes"}
    ]
    page.evaluate("window.__hidden = false; document.dispatchEvent(new Event('visibilitychange'))")
    expect(page).to_have_title(title)


def test_notifications_are_turned_on_from_the_account_page_too(app, team):
    page = open_context(app.browser, app.base_url, "phone", "light", team["milo"])
    page.context.add_init_script(NOTIFICATIONS)
    page.goto("/accounts/me/")
    notifications = page.locator("section", has=page.get_by_role("heading", name="Notifications"))
    notifications.get_by_role("button", name="Notify me when my images are ready").click()
    expect(notifications.get_by_role("button", name="Notifications on")).to_have_attribute(
        "aria-pressed", "true"
    )
    problems = audit(page, "account phone light")
    assert not problems, "\n".join(problems)


# For every prompt history row: how far "Use this prompt" overlaps the "Used … by …" line
# above it (pixels; 0 or less is clear of it).
HISTORY_OVERLAP = """() => [...document.querySelectorAll(".prompt-row")].map(row => {
  const used = row.querySelector(".help").getBoundingClientRect();
  const links = [...row.querySelectorAll("a")];
  const use = links.find(a => a.textContent.trim() === "Use this prompt");
  const button = use.getBoundingClientRect();
  const across = Math.min(used.right, button.right) - Math.max(used.left, button.left);
  return across > 0 ? used.bottom - button.top : 0;
})"""


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_prompt_history_button_clears_the_used_by_line(app, team, viewport):
    page = open_context(app.browser, app.base_url, viewport, "light", team["milo"])
    page.goto("/prompts/")
    settle(page)
    overlaps = page.evaluate(HISTORY_OVERLAP)
    assert len(overlaps) == len(PROMPTS) + 2
    assert all(overlap <= 0 for overlap in overlaps), overlaps
    page.context.close()


def test_an_admin_reaches_pin_and_delete_in_the_lightbox_by_keyboard(app, team):
    page = open_context(app.browser, app.base_url, "desktop", "light", team["ada"])
    own = Generation.objects.filter(author__username="ada").latest("created_at")
    page.goto(f"/generations/{own.pk}/")
    settle(page)
    reached = set()
    for _ in range(40):
        page.keyboard.press("Tab")
        reached.add(page.evaluate("(document.activeElement.textContent || '').trim()"))
        if "Pin for the team" in reached and "Delete…" in reached:
            break
    assert {"Pin for the team", "Delete…"} <= reached, reached
    pin = page.get_by_role("button", name="Pin for the team")
    pin.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Unpin for the team")).to_have_attribute(
        "aria-pressed", "true"
    )
    own.refresh_from_db()
    assert own.pinned
    page.context.close()


# The focused element's ring: its own outline, or its label's for the aspect presets (their
# radio buttons are hidden inside the chip that draws the ring).
FOCUS_RING = """() => {
  const el = document.activeElement;
  const ring = (e) => {
    const style = getComputedStyle(e);
    return style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
  };
  const chip = el.closest(".aspect-chip");
  return [el.outerHTML.slice(0, 80), ring(el) || (chip !== null && ring(chip))];
}"""


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_every_control_reached_by_tab_shows_a_focus_ring(app, team, viewport):
    page = open_context(app.browser, app.base_url, viewport, "light", team["milo"])
    settle(page)
    seen = 0
    for _ in range(45):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement === document.body"):
            continue
        what, ringed = page.evaluate(FOCUS_RING)
        assert ringed, what
        seen += 1
    assert seen >= 30
    page.context.close()
