"""The lightbox's Previous/Next: the gallery's order under the filters of the query string,
worked out on the server (links that work without JavaScript)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from fluxweb.gallery.templatetags.gallery_wall import aspect
from fluxweb.generations.models import Generation
from tests.factories import make_generation

pytestmark = pytest.mark.django_db


@pytest.fixture
def four(member, alice) -> list[Generation]:
    """Newest first: alice's, member's, alice's, alice's; the last two at the same instant."""
    now = timezone.now()
    made = [make_generation(alice if i != 1 else member, f"picture {i}") for i in range(4)]
    for i, generation in enumerate(made):
        created = now - timedelta(minutes=i if i < 3 else 2)
        Generation.objects.filter(pk=generation.pk).update(created_at=created)
    return made


def target(response) -> str:
    assert response.status_code == 302
    return response["Location"]


def test_next_and_previous_follow_the_gallery_order(member_client, four):
    newest = four[0]
    assert (
        target(member_client.get(f"/generations/{newest.pk}/step/next/"))
        == f"/generations/{four[1].pk}/"
    )
    assert (
        target(member_client.get(f"/generations/{four[1].pk}/step/previous/"))
        == f"/generations/{newest.pk}/"
    )


def test_ties_on_the_time_are_broken_by_id_both_ways(member_client, four):
    # four[2] and four[3] share created_at: the higher id comes first in the gallery.
    first, second = sorted([four[2], four[3]], key=lambda g: -g.pk)
    assert (
        target(member_client.get(f"/generations/{first.pk}/step/next/"))
        == f"/generations/{second.pk}/"
    )
    assert (
        target(member_client.get(f"/generations/{second.pk}/step/previous/"))
        == f"/generations/{first.pk}/"
    )


def test_the_filters_decide_the_neighbours_and_travel_along(member_client, four, alice):
    location = target(
        member_client.get(f"/generations/{four[0].pk}/step/next/", {"author": alice.pk})
    )
    # The member's generation (four[1]) is filtered out; of the tied pair, the higher id is first.
    assert location == f"/generations/{max(four[2].pk, four[3].pk)}/?author={alice.pk}"


def test_at_either_end_it_stays_with_a_message(member_client, four):
    oldest = min(four[2:], key=lambda g: g.pk)
    response = member_client.get(f"/generations/{oldest.pk}/step/next/", follow=True)
    assert response.redirect_chain[-1][0] == f"/generations/{oldest.pk}/"
    assert "This is the last one." in response.content.decode()
    assert (
        target(member_client.get(f"/generations/{four[0].pk}/step/previous/"))
        == f"/generations/{four[0].pk}/"
    )


def test_back_is_kept_only_when_it_is_on_this_site(member_client, four):
    local = target(
        member_client.get(f"/generations/{four[0].pk}/step/next/", {"back": "/?q=picture"})
    )
    assert local == f"/generations/{four[1].pk}/?back=%2F%3Fq%3Dpicture"
    foreign = target(
        member_client.get(f"/generations/{four[0].pk}/step/next/", {"back": "//evil.example/"})
    )
    assert foreign == f"/generations/{four[1].pk}/"


def test_unknown_generation_or_direction_is_404(member_client, four):
    assert member_client.get("/generations/999999/step/next/").status_code == 404
    assert member_client.get(f"/generations/{four[0].pk}/step/sideways/").status_code == 404


def test_the_detail_page_links_to_its_neighbours_with_its_filters(member_client, four, alice):
    html = member_client.get(f"/generations/{four[2].pk}/", {"author": alice.pk}).content.decode()
    assert f'href="/generations/{four[2].pk}/step/next/?author={alice.pk}"' in html
    assert f'href="/generations/{four[2].pk}/step/previous/?author={alice.pk}"' in html


@pytest.mark.parametrize(
    ("width", "height", "expected"),
    [
        (1024, 1024, "1-1"),
        (1344, 768, "16-9"),
        (768, 1344, "9-16"),
        (1152, 896, "4-3"),
        (832, 1216, "2-3"),
        (1216, 832, "3-2"),
        (896, 1152, "3-4"),
        (4000, 100, "16-9"),
        (0, 512, "1-1"),
        (None, None, "1-1"),
    ],
)
def test_aspect_class_is_the_nearest_preset(width, height, expected):
    assert aspect(width, height) == expected
