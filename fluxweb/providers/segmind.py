"""Segmind: FLUX.1 [schnell] on the synchronous v1 API (seed 002).

Wire format (``shared/providers.md`` §3.1, segmind.com/models/flux-schnell/api):
``POST {base}/v1/flux-schnell`` with header ``x-api-key: <key>`` (a Bearer token is not
accepted) and JSON ``{prompt, steps, seed, sampler_name, scheduler, samples, width,
height, denoise}``. Success is HTTP 200 whose **body is the image** (``image/jpeg``); headers carry
``x-remaining-credits`` and, per Segmind's docs as summarised in §3.3 (secondary),
``x-cost`` (USD) and ``x-request-id``.

Errors (§3.4): 401 bad/missing key ``{"error": ...}``, 403 model not allowed for the
account, 404 unknown model, 405 wrong method (an HTML page), **406 not enough credits**
(a plain-text body), 410 model retired, 422 validation, 429 rate limit, 500 server error.

``sampler_name``, ``scheduler`` and ``denoise`` are the member's choice (the documented
values in :mod:`.options`), else the documented defaults ``euler``, ``normal`` and 1.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings

from .answers import reported_cost
from .base import (
    AuthenticationError,
    GenerationRequest,
    GenerationResult,
    InvalidResponseError,
    ModelSpec,
    OutOfCreditsError,
    PendingJob,
    ProviderError,
    Range,
)
from .declaration import ProviderInfo, base_url_var, key_var
from .http import ProviderHTTP, error_detail, error_for_status
from .options import DENOISE, SAMPLER_NAME, SCHEDULER
from .pricing import per_image

NAME = "Segmind"
API_KEY = key_var("SEGMIND")
BASE_URL = base_url_var("SEGMIND", "https://api.segmind.com")

INFO: ProviderInfo = ProviderInfo(
    "segmind",
    NAME,
    env=(API_KEY, BASE_URL),
    build=lambda values: SegmindProvider(values[API_KEY.name], values[BASE_URL.name]),
)


class SegmindProvider:
    """Segmind's v1 model endpoints; ``base_url`` like ``https://api.segmind.com``."""

    slug = INFO.slug
    label = INFO.label

    def __init__(self, api_key: str, base_url: str) -> None:
        self.http = ProviderHTTP(NAME, base_url, {"x-api-key": api_key})

    def models(self) -> list[ModelSpec]:
        """Limits from the flux-schnell model page (seed 002).

        One image per call: the answer body is a single image, so ``samples`` > 1 could not
        come back. Seed: no range documented; 0–2³¹−1 is safe. Price: the model page's
        estimate "~$0.008 per run" (providers.md §3.5), charged per image.
        """
        return [
            ModelSpec(
                id="segmind/flux-schnell",
                provider=self.slug,
                api_name="flux-schnell",
                label="FLUX.1 [schnell] · Segmind",
                width=Range(512, 2048, 8),
                height=Range(512, 2048, 8),
                steps=Range(1, 8),
                default_steps=4,
                num_images=Range(1, 1),
                seed=Range(0, 2**31 - 1),
                price=per_image("0.008"),
                options=(SAMPLER_NAME.name, SCHEDULER.name, DENOISE.name),
            )
        ]

    def generate(self, request: GenerationRequest) -> GenerationResult:
        """One synchronous call; the body is read up to ``FLUXWEB_MAX_IMAGE_BYTES``.

        Raises :class:`~.base.ProviderError` subclasses.
        """
        options = request.options
        body: dict[str, Any] = {
            "prompt": request.prompt,
            "sampler_name": options.get(SAMPLER_NAME.name, SAMPLER_NAME.default),
            "scheduler": options.get(SCHEDULER.name, SCHEDULER.default),
            "samples": 1,
            "width": request.width,
            "height": request.height,
            "denoise": options.get(DENOISE.name, DENOISE.default),
        }
        if request.num_inference_steps is not None:
            body["steps"] = request.num_inference_steps
        if request.seed is not None:
            body["seed"] = request.seed
        response = self.http.request(
            "POST",
            f"/v1/{request.model.api_name}",
            json=body,
            max_bytes=settings.FLUXWEB_MAX_IMAGE_BYTES,
        )
        status = response.status_code
        if status == 406:
            raise OutOfCreditsError(
                f"{NAME} says the account does not have enough credits", status_code=406
            )
        if status == 403:
            raise AuthenticationError(
                "the provider rejected the API key (it may not use this model)", status_code=403
            )
        if status == 410:
            raise ProviderError(f"{NAME} has retired this model", status_code=410)
        if status != 200:
            raise error_for_status(NAME, status, error_detail(response))
        content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if not content_type.startswith("image/"):
            raise InvalidResponseError(
                f"{NAME} answered with {content_type or 'no content type'}, not an image"
            )
        metadata: dict[str, Any] = {}
        credits = _decimal(response.headers.get("x-remaining-credits"))
        if credits is not None:
            metadata["credits_remaining"] = str(credits)
        if response.headers.get("x-request-id"):
            metadata["request_id"] = response.headers["x-request-id"][:100]
        return GenerationResult(
            images=[response.content],
            seed=request.seed,
            cost_usd=reported_cost(response.headers.get("x-cost")),
            metadata=metadata,
        )

    def poll(self, job: PendingJob) -> GenerationResult:
        raise NotImplementedError("Segmind's v1 API answers synchronously")


def _decimal(value: str | None) -> Decimal | None:
    """A header's number as Decimal, or None when absent or not a finite number."""
    if not value:
        return None
    try:
        number = Decimal(value.strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None
