"""Image files, only to logged-in users (the storage itself is never public): the
original, its gallery thumbnail, and the original as a download with a readable name and
the generation's parameters embedded (:mod:`fluxweb.generations.embedding`) and, when
configured, signed Content Credentials (:mod:`fluxweb.generations.provenance`)."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from fluxweb.generations.embedding import with_parameters
from fluxweb.generations.models import GeneratedImage
from fluxweb.generations.provenance import with_provenance
from fluxweb.generations.storing import ensure_thumbnail
from fluxweb.generations.thumbnails import CONTENT_TYPE as THUMBNAIL_TYPE
from fluxweb.providers.images import EXTENSIONS

CACHE_CONTROL = "private, max-age=86400, immutable"
SLUG_LENGTH = 60


@require_GET
def image(request: HttpRequest, pk: int) -> FileResponse:
    """The original file, shown on the detail view."""
    record = get_object_or_404(GeneratedImage, pk=pk)
    return _file(record.file, record.content_type)


@require_GET
def thumbnail(request: HttpRequest, pk: int) -> FileResponse:
    """The WebP thumbnail, made now if the image has none yet (made through the API, or
    stored before thumbnails existed); the original if one cannot be made."""
    record = get_object_or_404(GeneratedImage, pk=pk)
    if ensure_thumbnail(record):
        return _file(record.thumbnail, THUMBNAIL_TYPE)
    return _file(record.file, record.content_type)


@require_GET
def download(request: HttpRequest, pk: int) -> HttpResponse:
    """The original as an attachment named ``<prompt-slug>-<generation id>-<n>.<ext>``,
    carrying its generation's prompt and parameters (PNG text chunk, XMP) and, when a
    signing certificate is configured, a signed C2PA manifest."""
    record = get_object_or_404(GeneratedImage.objects.select_related("generation__prompt"), pk=pk)
    with _open(record.file) as handle:
        data = handle.read()
    data = with_parameters(data, record.content_type, record.generation)
    data = with_provenance(data, record.content_type, record.generation)
    response = HttpResponse(data, content_type=record.content_type)
    response["Cache-Control"] = CACHE_CONTROL
    response["Content-Disposition"] = f'attachment; filename="{download_name(record)}"'
    return response


def download_name(record: GeneratedImage) -> str:
    """``a-lighthouse-at-dusk-42-1.png``: prompt slug (≤ 60 chars), generation id, image
    number (1-based), extension from the stored content type. ASCII only."""
    slug = slugify(record.generation.prompt.text)[:SLUG_LENGTH].strip("-") or "image"
    extension = EXTENSIONS.get(record.content_type, (record.file.name or "").rsplit(".", 1)[-1])
    return f"{slug}-{record.generation_id}-{record.index + 1}.{extension}"


def _file(field, content_type: str) -> FileResponse:
    """Stream ``field``'s file (see :func:`_open` for the 404s)."""
    response = FileResponse(_open(field), content_type=content_type)
    response["Cache-Control"] = CACHE_CONTROL
    return response


def _open(field):
    """``field``'s file opened for reading; 404 when the row has no file or storage no
    longer has it (restored database, hand-cleaned bucket) instead of a server error."""
    if not field:
        raise Http404("This image has no file.")
    try:
        return field.open("rb")
    except FileNotFoundError:
        raise Http404("This image's file is missing from storage.") from None
