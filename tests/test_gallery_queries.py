"""The gallery's SQL query count does not grow with the page: at most 6 per page."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fluxweb.gallery.models import Favourite
from fluxweb.generations.models import Generation
from tests.factories import make_finished_generation

pytestmark = pytest.mark.django_db

MAX_QUERIES = 6
PAGES = {
    "gallery": ("/", {}),
    "filtered": ("/", {"model": "demo/placeholder", "status": "succeeded", "favourites": "1"}),
    "search": ("/", {"q": "lighthouse"}),
    "next page": ("/gallery/page/", {}),
    "history": ("/prompts/", {}),
}


def fill(author, count):
    for n in range(count):
        generation = make_finished_generation(
            author, f"a lighthouse, variant {n}", num_images=1 + n % 2
        )
        Favourite.set(author, generation, True)


def count_queries(client, url, params):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params).status_code == 200
    return len(queries)


@pytest.mark.parametrize("name", PAGES)
def test_query_count_is_constant_in_the_page_size(
    name, member, member_client, django_assert_max_num_queries
):
    url, params = PAGES[name]
    fill(member, 2)
    small = count_queries(member_client, url, params)
    fill(member, 10)
    assert Generation.objects.count() == 12
    with django_assert_max_num_queries(MAX_QUERIES):
        large = count_queries(member_client, url, params)
    assert large == small
