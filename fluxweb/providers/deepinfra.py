"""DeepInfra's native inference endpoint for FLUX.1 [schnell] and [dev].

Wire format (``shared/providers.md`` §4.2, DeepInfra model pages and ``deepinfra-node``):
``POST {base}/v1/inference/black-forest-labs/FLUX-1-schnell`` with
``Authorization: Bearer <key>`` and JSON ``{prompt, width, height, num_inference_steps,
num_images, seed}``; 200 answers ``{"images": ["data:image/png;base64,..."],
"nsfw_content_detected": [bool per image], "seed", "request_id", "inference_status":
{"status", "cost", "runtime_ms"}}`` with ``cost`` in USD; the flags are kept.
Errors: 401/403 ``{"detail": {"error": "Not authenticated"}}``, 422 validation,
429 rate limited, 5xx.
"""

from __future__ import annotations

import base64
import binascii
from decimal import Decimal
from typing import Any, TypedDict

from .answers import reported_cost, requested_images
from .base import (
    AuthenticationError,
    GenerationRequest,
    GenerationResult,
    InvalidResponseError,
    ModelSpec,
    PendingJob,
    Range,
    RetryableProviderError,
)
from .declaration import ProviderInfo, base_url_var, key_var
from .http import ProviderHTTP, error_detail, error_for_status, json_body
from .options import nsfw_flags
from .pricing import FLUX_DEV, FLUX_SCHNELL

NAME = "DeepInfra"
# DeepInfra does not document FLUX size limits (providers.md §7); FLUX works on a
# 32-pixel grid and 1536 is the largest side the other hosts document.
SIDE = Range(128, 1536, 32)
SEED = Range(0, 2**32 - 1)
API_KEY = key_var("DEEPINFRA")
# Shared with DeepInfra's OpenAI-compatible mount (fluxweb/providers/openai_images.py).
BASE_URL = base_url_var("DEEPINFRA", "https://api.deepinfra.com")

INFO: ProviderInfo = ProviderInfo(
    "deepinfra",
    NAME,
    env=(API_KEY, BASE_URL),
    build=lambda values: DeepInfraProvider(values[API_KEY.name], values[BASE_URL.name]),
)


class _Shared(TypedDict):
    """What both DeepInfra models have in common (keyword arguments of :class:`ModelSpec`)."""

    provider: str
    width: Range
    height: Range
    num_images: Range
    seed: Range


class DeepInfraProvider:
    """DeepInfra native inference API; ``base_url`` like ``https://api.deepinfra.com``."""

    slug = INFO.slug
    label = INFO.label

    def __init__(self, api_key: str, base_url: str) -> None:
        self.http = ProviderHTTP(NAME, base_url, {"Authorization": f"Bearer {api_key}"})

    def models(self) -> list[ModelSpec]:
        common: _Shared = {
            "provider": self.slug,
            "width": SIDE,
            "height": SIDE,
            "num_images": Range(1, 4),
            "seed": SEED,
        }
        return [
            ModelSpec(
                id="deepinfra/flux-1-schnell",
                api_name="black-forest-labs/FLUX-1-schnell",
                label="FLUX.1 [schnell] · DeepInfra",
                steps=Range(1, 50),
                default_steps=4,
                price=FLUX_SCHNELL,
                **common,
            ),
            ModelSpec(
                id="deepinfra/flux-1-dev",
                api_name="black-forest-labs/FLUX-1-dev",
                label="FLUX.1 [dev] · DeepInfra",
                steps=Range(1, 50),
                default_steps=25,
                price=FLUX_DEV,
                **common,
            ),
        ]

    def generate(self, request: GenerationRequest) -> GenerationResult:
        body: dict[str, Any] = {
            "prompt": request.prompt,
            "width": request.width,
            "height": request.height,
            "num_images": request.num_images,
        }
        if request.num_inference_steps is not None:
            body["num_inference_steps"] = request.num_inference_steps
        if request.seed is not None:
            body["seed"] = request.seed
        response = self.http.request("POST", f"/v1/inference/{request.model.api_name}", json=body)
        if response.status_code == 403:
            raise AuthenticationError("the provider rejected the API key", status_code=403)
        if response.status_code == 423:
            raise RetryableProviderError(
                f"{NAME} says the model is busy (HTTP 423)", status_code=423
            )
        if response.status_code != 200:
            raise error_for_status(NAME, response.status_code, error_detail(response))
        return self._parse(json_body(NAME, response), request.num_images)

    def poll(self, job: PendingJob) -> GenerationResult:
        raise NotImplementedError("DeepInfra's native endpoint answers synchronously")

    def _parse(self, payload: Any, wanted: int) -> GenerationResult:
        if not isinstance(payload, dict):
            raise InvalidResponseError(f"{NAME} returned a malformed answer")
        status = payload.get("inference_status") or {}
        if isinstance(status, dict) and status.get("status") == "failed":
            raise RetryableProviderError(f"{NAME} reports the inference failed")
        images = payload.get("images")
        if not isinstance(images, list) or not images:
            raise InvalidResponseError(f"{NAME} returned no image")
        seed = payload.get("seed")
        decoded = [decode_data_url(item) for item in requested_images(NAME, images, wanted)]
        nsfw = nsfw_flags(payload.get("nsfw_content_detected"), len(images))
        return GenerationResult(
            images=decoded,
            seed=seed if isinstance(seed, int) else None,
            cost_usd=_cost(status),
            metadata={"request_id": payload.get("request_id")} if payload.get("request_id") else {},
            nsfw=nsfw[: len(decoded)] if nsfw is not None else None,
        )


def decode_data_url(item: Any) -> bytes:
    """Bytes of ``data:image/...;base64,XXXX`` (or bare base64). Raises InvalidResponseError."""
    if not isinstance(item, str):
        raise InvalidResponseError(f"{NAME} returned an image in an unknown form")
    encoded = item.split(",", 1)[1] if item.startswith("data:") else item
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidResponseError(f"{NAME} returned an image that is not valid base64") from exc


def _cost(status: Any) -> Decimal | None:
    return reported_cost(status.get("cost")) if isinstance(status, dict) else None
