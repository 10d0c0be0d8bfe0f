"""``/v1/``: OpenAI-compatible images API (bearer tokens, no session, no CSRF)."""

from __future__ import annotations

import base64
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from fluxweb.budgets.services import QuotaExceeded
from fluxweb.generations.models import GeneratedImage, Generation
from fluxweb.generations.services import submit_generation
from fluxweb.providers.registry import get_registry
from fluxweb.queue.connections import release_connection

from . import waiting
from .auth import token_for_request, user_for_request
from .errors import allow_methods, api_error
from .schema import openapi_document
from .translate import InvalidParameter, parse_images_request, parse_json

LINK_SALT = "fluxweb.api.image-link"
UNAUTHORIZED = (
    "Invalid or missing API token. Create one at /tokens/ and send it as "
    "'Authorization: Bearer <token>'."
)


@csrf_exempt
@login_not_required
@allow_methods("POST")
async def images_generations(request: HttpRequest) -> HttpResponse:
    """Create images like OpenAI's ``POST /v1/images/generations``, charged to the token
    owner's budget (or the team's named by the body's ``"team"``, else the team the token is
    bound to); waits for the worker up to ``FLUXWEB_API_WAIT_TIMEOUT`` seconds, then
    answers 504 with the generation id. Over budget: 429 ``insufficient_quota``.

    The database work before and after the wait is one synchronous call each (each
    ``sync_to_async`` hop costs a thread handover); in between the request sleeps on the
    process's watch (:mod:`.waiting`) with its connection back in the pool."""
    submitted = await sync_to_async(submit_request)(request)
    if isinstance(submitted, HttpResponse):
        return submitted
    pk, response_format = submitted
    await waiting.wait_until_finished(pk, settings.FLUXWEB_API_WAIT_TIMEOUT)
    return await sync_to_async(answer)(request, pk, response_format)


def submit_request(request: HttpRequest) -> tuple[int, str] | HttpResponse:
    """Check the token and the body and submit the generation: its id and the asked
    ``response_format``, or the error answer (401, 400, 429). Gives the thread's pooled
    connection back before returning: the wait that follows needs none."""
    try:
        token = token_for_request(request)
        if token is None:
            return api_error(401, UNAUTHORIZED, code="invalid_api_key")
        try:
            parsed = parse_images_request(parse_json(request.body))
        except InvalidParameter as exc:
            return api_error(exc.status, exc.message, param=exc.param, code=exc.code)
        cleaned = parsed.cleaned_data
        if cleaned.get("team") is None and token.team is not None:
            cleaned = {**cleaned, "team": token.team}
        try:
            generation = submit_generation(token.user, cleaned, source=Generation.Source.API)
        except QuotaExceeded as exc:
            # OpenAI answers an exhausted quota with 429 insufficient_quota; so do we.
            return api_error(429, exc.message, type="insufficient_quota", code="insufficient_quota")
        return generation.pk, parsed.response_format
    finally:
        release_connection()


def answer(request: HttpRequest, pk: int, response_format: str) -> HttpResponse:
    """The answer for generation ``pk`` after the wait: its images (``response_format``),
    504 while it is still queued or running, 502 when the provider failed, 409 when it was
    deleted or cancelled meanwhile.

    One query for a generation that succeeded: its images with it and its prompt (a
    succeeded generation has at least one); the generation alone otherwise."""
    images = list(
        GeneratedImage.objects.select_related("generation__prompt")
        .filter(generation_id=pk)
        .order_by("index")
    )
    generation = (
        images[0].generation
        if images
        else Generation.objects.select_related("prompt").filter(pk=pk).first()
    )
    if generation is None:
        return gone(pk, "deleted")
    if not generation.is_finished:
        return api_error(
            504,
            f"Generation {generation.pk} is still {generation.status}; "
            "it will appear in the gallery when done.",
            type="timeout_error",
            code="generation_timeout",
            generation_id=generation.pk,
        )
    if generation.status == Generation.Status.FAILED:
        return api_error(
            502,
            f"The provider failed: {generation.error}",
            type="provider_error",
            code="provider_failed",
            generation_id=generation.pk,
        )
    if generation.status != Generation.Status.SUCCEEDED:  # finished otherwise: cancelled
        return gone(pk, generation.status)
    try:
        data = image_payloads(request, generation, images, response_format)
    except OSError:  # its files went with a delete meanwhile
        return gone(pk, "deleted")
    body: dict[str, object] = {"created": int(generation.created_at.timestamp()), "data": data}
    if generation.route:  # fluxweb extension: which host a best-price model ran on, and why
        body["provider"] = generation.provider
        body["route"] = generation.route_summary
    return JsonResponse(body)


def gone(pk: int, what: str) -> JsonResponse:
    """409 ``generation_<what>``: the generation this call waits on was deleted or cancelled
    (by its author or an admin) before it could answer with its images."""
    return api_error(
        409,
        f"Generation {pk} was {what} before it finished; no images are returned.",
        code=f"generation_{what}",
        generation_id=pk,
    )


def image_payloads(
    request: HttpRequest,
    generation: Generation,
    images: list[GeneratedImage],
    response_format: str,
) -> list[dict[str, Any]]:
    """``data[]`` items for ``generation``'s ``images``: base64 bytes, or a signed link valid
    ``FLUXWEB_API_LINK_TTL`` seconds, and ``nsfw_content_detected`` (fluxweb extension):
    whether the provider's safety checker flagged the image."""
    items: list[dict[str, Any]] = []
    for image in images:
        item: dict[str, Any] = {
            "revised_prompt": generation.prompt.text,
            "nsfw_content_detected": image.nsfw_flagged,
        }
        if response_format == "b64_json":
            with image.file.open("rb") as handle:
                item["b64_json"] = base64.b64encode(handle.read()).decode()
        else:
            token = signing.TimestampSigner(salt=LINK_SALT).sign(str(image.pk))
            item["url"] = request.build_absolute_uri(reverse("api:image-link", args=[token]))
        items.append(item)
    return items


@csrf_exempt
@login_not_required
@allow_methods("GET", "HEAD")
def image_link(request: HttpRequest, token: str) -> HttpResponseBase:
    """The image behind a signed, expiring link from :func:`image_payloads`."""
    try:
        pk = signing.TimestampSigner(salt=LINK_SALT).unsign(
            token, max_age=settings.FLUXWEB_API_LINK_TTL
        )
    except signing.BadSignature:
        return api_error(404, "This image link is invalid or has expired.", code="link_expired")
    image = GeneratedImage.objects.filter(pk=pk).first()
    if image is None:
        return api_error(404, "This image no longer exists.", code="not_found")
    return FileResponse(image.file.open("rb"), content_type=image.content_type)


@csrf_exempt
@login_not_required
@allow_methods("GET", "HEAD")
def models(request: HttpRequest) -> JsonResponse:
    """``GET /v1/models``: the enabled models, OpenAI-style."""
    if user_for_request(request) is None:
        return api_error(401, UNAUTHORIZED, code="invalid_api_key")
    data = [
        {"id": m.id, "object": "model", "created": 0, "owned_by": m.provider}
        for m in get_registry().models.values()
    ]
    return JsonResponse({"object": "list", "data": data})


@csrf_exempt
@login_not_required
@allow_methods("GET", "HEAD")
def openapi(request: HttpRequest) -> JsonResponse:
    """The OpenAPI description of this API."""
    return JsonResponse(
        openapi_document(request.build_absolute_uri("/v1"), list(get_registry().models))
    )
