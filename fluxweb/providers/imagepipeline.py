"""ImagePipeline: Flux Schnell on the legacy ``generate/v3`` API (seed 001).

Wire format (``shared/providers.md`` §2.1, docs.imagepipeline.io Flux-Schnell page and
ImagePipeline's own frontend ``GenerativeApi.ts``): ``POST {base}/generate/v3`` with header
``API-Key: <key>`` and JSON ``{prompt, negative_prompt, num_inference_steps, samples,
width, height, seed, server_id}``. Every answer carries ``status``:

- ``SUCCESS`` → ``download_urls`` (one per sample);
- ``PENDING`` → an ``id``: poll ``GET {base}/generate/v3/status/{id}`` (same header) until
  ``SUCCESS`` or ``FAILURE``;
- ``FAILURE`` → ``error``, a message.

Error statuses are not documented; errors are FastAPI-style ``{"detail": ...}``, so the
generic mapping applies (401/403 = key rejected, 402 = credits, 429/5xx = retry).
FLUX on v3 runs only on a dedicated server, chosen by ``server_id``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import quote

from django.conf import settings

from fluxweb.core.redact import redact

from .answers import fetch_url_image, requested_images
from .base import (
    AuthenticationError,
    GenerationRequest,
    GenerationResult,
    InvalidResponseError,
    ModelSpec,
    PendingJob,
    ProviderError,
    Range,
)
from .declaration import EnvVar, ProviderInfo, base_url_var, key_var
from .http import ProviderHTTP, error_detail, error_for_status, json_body
from .pricing import Price

NAME = "ImagePipeline"
API_KEY = key_var("IMAGEPIPELINE")
BASE_URL = base_url_var("IMAGEPIPELINE", "https://api.imagepipeline.io")
# The dedicated server FLUX runs on (ImagePipeline serves generate/v3 + FLUX only there).
SERVER_ID = EnvVar("IMAGEPIPELINE_SERVER_ID")

INFO: ProviderInfo = ProviderInfo(
    "imagepipeline",
    NAME,
    env=(API_KEY, BASE_URL, SERVER_ID),
    build=lambda values: ImagePipelineProvider(
        values[API_KEY.name], values[BASE_URL.name], values[SERVER_ID.name]
    ),
)


class ImagePipelineProvider:
    """ImagePipeline's generate/v3; ``base_url`` like ``https://api.imagepipeline.io``.

    ``server_id`` is the dedicated server FLUX runs on (sent when not empty).
    """

    slug = INFO.slug
    label = INFO.label

    def __init__(self, api_key: str, base_url: str, server_id: str = "") -> None:
        self.http = ProviderHTTP(NAME, base_url, {"API-Key": api_key})
        self.server_id = server_id

    def models(self) -> list[ModelSpec]:
        """Limits from seed 001: ``samples`` ≤ 4, width/height ≤ 1536, ``seed`` -1 = random.

        No minimum size or grid is documented: 256 and multiples of 16 (FLUX's latent grid)
        are fluxweb's choice. Steps: the page's default is 20, a [dev]-like figure; schnell
        is distilled for 1–4, so fluxweb defaults to 4 and allows up to 50.

        Price: FLUX on v3 needs a dedicated server billed at $1/hour with unlimited images
        (seed 001, providers.md §2.3). fluxweb prices it as that hour spread over an
        assumed 1,000 images (3.6 s each), i.e. $0.001 per image; admins with other
        volumes change images per hour in the price table.
        """
        return [
            ModelSpec(
                id="imagepipeline/flux-schnell",
                provider=self.slug,
                api_name="flux-schnell",
                label="FLUX.1 [schnell] · ImagePipeline",
                width=Range(256, 1536, 16),
                height=Range(256, 1536, 16),
                steps=Range(1, 50),
                default_steps=4,
                num_images=Range(1, 4),
                seed=Range(0, 2**31 - 1),
                price=Price.per_hour(Decimal("1"), images_per_hour=1000),
                negative_prompt=True,
            )
        ]

    def generate(self, request: GenerationRequest) -> GenerationResult | PendingJob:
        """Submit a job: its images when the server answers ``SUCCESS`` at once, else a
        :class:`PendingJob` to :meth:`poll`. Raises :class:`~.base.ProviderError`."""
        body: dict[str, Any] = {
            "prompt": request.prompt,
            "samples": request.num_images,
            "width": request.width,
            "height": request.height,
        }
        if request.negative_prompt:
            body["negative_prompt"] = request.negative_prompt
        if request.num_inference_steps is not None:
            body["num_inference_steps"] = request.num_inference_steps
        if request.seed is not None:
            body["seed"] = request.seed
        if self.server_id:
            body["server_id"] = self.server_id
        payload = self._call("POST", "/generate/v3", json=body)
        return self._outcome(payload, seed=request.seed, samples=request.num_images)

    def poll(self, job: PendingJob) -> GenerationResult | PendingJob:
        """Ask ``GET /generate/v3/status/{id}`` about ``job``.

        Raises :class:`~.base.ProviderError`.
        """
        payload = self._call("GET", f"/generate/v3/status/{quote(job.job_id, safe='')}")
        samples = job.metadata.get("samples")
        samples = samples if isinstance(samples, int) and not isinstance(samples, bool) else 4
        return self._outcome(
            payload, seed=job.metadata.get("seed"), samples=samples, known_id=job.job_id
        )

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = self.http.request(method, path, **kwargs)
        if response.status_code == 403:
            raise AuthenticationError("the provider rejected the API key", status_code=403)
        if response.status_code != 200:
            raise error_for_status(NAME, response.status_code, error_detail(response))
        payload = json_body(NAME, response)
        if not isinstance(payload, dict):
            raise InvalidResponseError(f"{NAME} returned a malformed answer")
        return payload

    def _outcome(
        self, payload: dict[str, Any], seed: Any, samples: int, known_id: str | None = None
    ) -> GenerationResult | PendingJob:
        status = payload.get("status")
        job_id = payload.get("id", known_id)
        metadata = {"job_id": str(job_id)[:100]} if job_id is not None else {}
        if status == "SUCCESS":
            urls = payload.get("download_urls")
            if not isinstance(urls, list) or not urls:
                raise InvalidResponseError(f"{NAME} returned no image")
            return GenerationResult(
                images=[
                    fetch_url_image(self.http, url) for url in requested_images(NAME, urls, samples)
                ],
                seed=seed if isinstance(seed, int) else None,
                metadata=metadata,
            )
        if status == "PENDING":
            if job_id is None or not str(job_id):
                raise InvalidResponseError(f"{NAME} answered 'pending' without a job id")
            return PendingJob(
                job_id=str(job_id),
                poll_after=settings.FLUXWEB_PENDING_POLL_INTERVAL,
                metadata={"samples": samples, **({"seed": seed} if isinstance(seed, int) else {})},
            )
        if status == "FAILURE":
            error = payload.get("error")
            message = redact(error)[:200] if isinstance(error, str) and error else "no reason given"
            raise ProviderError(f"{NAME} could not generate the image: {message}")
        raise InvalidResponseError(f"{NAME} returned a malformed answer (unknown status)")
