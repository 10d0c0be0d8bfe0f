"""Details of issue 14 that need no browser: error pages in the site's look with a way back,
chart legends and cards without inline styles (the CSP forbids them), alt text from the
prompt, the lightbox's Previous/Next and actions, the theme and menu controls."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from fluxweb.generations.models import Generation
from fluxweb.generations.running import run_generation
from fluxweb.generations.services import submit_generation
from tests.budget_factories import set_price, set_quota, submit_data
from tests.factories import make_finished_generation, make_generation

pytestmark = pytest.mark.django_db

INLINE_STYLE = re.compile(r"<[^>]+\sstyle=", re.IGNORECASE)


def test_a_member_on_an_admin_page_gets_the_styled_403(member_client):
    response = member_client.get(reverse("providerstatus:status"))
    assert response.status_code == 403
    page = response.content.decode()
    assert "Not allowed" in page and 'href="/"' in page and "Back to the gallery" in page
    assert 'class="site-header"' in page


def test_an_unknown_page_gets_the_styled_404(member_client):
    response = member_client.get("/generations/999999/")
    assert response.status_code == 404
    assert "Back to the gallery" in response.content.decode()


def test_the_500_page_needs_no_request():
    page = render_to_string("500.html")
    assert "Something went wrong" in page and 'href="/"' in page
    assert not INLINE_STYLE.search(page) and "<script>" not in page


def test_usage_chart_legend_colours_without_inline_styles(member, member_client):
    set_price(usd="0.01")
    set_quota(member, "1.00")
    run_generation(submit_generation(member, submit_data()).pk)
    page = member_client.get(reverse("usage:usage")).content.decode()
    assert 'class="chart__swatch"' in page
    assert re.search(r'<svg class="chart__swatch"[^>]*><rect [^>]*fill="#[0-9a-fA-F]{6}"', page)
    assert not INLINE_STYLE.search(page)


def test_gallery_cards_have_alt_text_from_the_prompt_and_no_inline_style(member, member_client):
    make_finished_generation(member, "A heron standing in the reeds at dawn", width=96, height=64)
    make_generation(member, "Queued one", status=Generation.Status.QUEUED)
    page = member_client.get("/").content.decode()
    assert 'alt="A heron standing in the reeds at dawn"' in page
    assert "card--r3-2" in page  # laid out at its aspect ratio
    assert not INLINE_STYLE.search(page)


def test_the_lightbox_page_has_its_actions_and_neighbours(member, member_client):
    older = make_finished_generation(member, "An older picture")
    newer = make_finished_generation(member, "A newer picture")
    page = member_client.get(f"/generations/{older.pk}/").content.decode()
    for action in ("Remix", "Download", "Copy prompt", "Delete permanently", "Close"):
        assert action in page
    assert f'href="/generations/{older.pk}/step/previous/"' in page
    assert f'href="/generations/{older.pk}/step/next/"' in page
    assert 'alt="An older picture (image 1)"' in page
    assert newer.pk != older.pk


def test_header_has_the_theme_toggle_and_the_phone_menu(member_client):
    page = member_client.get("/").content.decode()
    assert "data-theme-toggle" in page and 'aria-controls="site-nav"' in page
    assert 'id="site-nav"' in page


def card_of(html: str, pk: int) -> str:
    start = html.index(f'id="generation-{pk}"')
    return html[start : html.index("</article>", start)]


def test_cancel_and_retry_show_for_the_author_and_admins_only(
    member, member_client, alice, admin_client
):
    mine = make_generation(member, "Mine, queued", status=Generation.Status.QUEUED)
    hers = make_generation(alice, "Hers, running", status=Generation.Status.RUNNING)
    failed = make_generation(
        member,
        "Mine, failed",
        status=Generation.Status.FAILED,
        error="it broke",
        estimated_cost_usd=Decimal("0.02"),
    )
    page = member_client.get("/").content.decode()
    assert f'action="/generations/{mine.pk}/cancel/"' in card_of(page, mine.pk)
    assert "refunded in full" in card_of(page, mine.pk)  # the confirmation says what is charged
    assert "/cancel/" not in card_of(page, hers.pk)
    assert f'action="/generations/{failed.pk}/retry/"' in card_of(page, failed.pk)
    assert "was refunded" in card_of(page, failed.pk)
    as_admin = admin_client.get("/").content.decode()
    assert f'action="/generations/{hers.pk}/cancel/"' in card_of(as_admin, hers.pk)
    assert "charged what the provider bills" in card_of(as_admin, hers.pk)


def test_the_filters_fold_away_and_the_search_stays_in_view(member, member_client):
    page = member_client.get("/").content.decode()
    search = page.index('name="q"')
    folded = page.index('<details class="filters__more">')  # not open: nothing filtered
    assert search < folded  # the search box is outside the folded part
    assert 'name="author"' in page[folded:]
    filtered = member_client.get("/", {"author": member.pk}).content.decode()
    assert '<details class="filters__more" open>' in filtered
