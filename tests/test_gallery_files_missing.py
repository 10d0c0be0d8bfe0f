"""An image whose file is gone from storage answers 404, not a server error."""

import pytest
from django.core.files.storage import default_storage

from tests.factories import make_finished_generation

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("suffix", ["", "thumb/", "download/"])
def test_missing_file_is_404(member, member_client, suffix):
    image = make_finished_generation(member, "a harbour").images.get()
    default_storage.delete(image.file.name)
    if image.thumbnail:
        default_storage.delete(image.thumbnail.name)
    assert member_client.get(f"/images/{image.pk}/{suffix}").status_code == 404
