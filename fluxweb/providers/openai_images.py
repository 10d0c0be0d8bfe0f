"""Any OpenAI-style images endpoint: ``POST {base}/images/generations`` (seed 003).

Wire format (OpenAI's images API as DeepInfra mounts it, ``shared/providers.md`` §4.1,
schemas ``OpenAIImagesGenerationsIn``/``OpenAIImagesOut``): ``Authorization: Bearer <key>``
and JSON ``{model, prompt, n, size: "WIDTHxHEIGHT", response_format: "b64_json"}``; 200
answers ``{"created", "data": [{"b64_json" | "url", "revised_prompt"}]}``. The protocol
has **no steps, seed, guidance or negative prompt**, so those are absent from the models.
Errors: 401/403 key rejected (DeepInfra answers 403 ``{"detail": {"error": "Not
authenticated"}}``), 402 or OpenAI's 429 ``insufficient_quota`` = out of credits, 422/400
validation, 429 rate limit, 5xx.

Two instances are built from settings: DeepInfra's (``DEEPINFRA_OPENAI=1``, base
``{DEEPINFRA_BASE_URL}/v1/openai``) and a generic one (``OPENAI_IMAGES_*``) for Together,
a LiteLLM proxy and the like.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from .answers import decode_base64, fetch_url_image, requested_images
from .base import (
    AuthenticationError,
    GenerationRequest,
    GenerationResult,
    InvalidResponseError,
    ModelSpec,
    OutOfCreditsError,
    PendingJob,
    Range,
)
from .declaration import EnvVar, ProviderInfo, key_var
from .deepinfra import API_KEY as DEEPINFRA_API_KEY
from .deepinfra import BASE_URL as DEEPINFRA_BASE_URL
from .http import ProviderHTTP, error_detail, error_for_status, json_body
from .pricing import FLUX_DEV, FLUX_SCHNELL, Price

# FLUX works on a 32-pixel grid; 1536 is the largest side the FLUX hosts document.
SIDE = Range(128, 1536, 32)
MAX_MODEL_ID = 64  # Generation.model's max_length

# DeepInfra's mount: its key and base URL, plus a switch.
DEEPINFRA_OPENAI = EnvVar("DEEPINFRA_OPENAI", kind="bool", default=False, enables=True)
DEEPINFRA_INFO: ProviderInfo = ProviderInfo(
    "deepinfra-openai",
    "DeepInfra (OpenAI API)",
    env=(DEEPINFRA_API_KEY, DEEPINFRA_BASE_URL, DEEPINFRA_OPENAI),
    build=lambda values: deepinfra_openai(
        values[DEEPINFRA_API_KEY.name], values[DEEPINFRA_BASE_URL.name]
    ),
)

# Any other endpoint: base URL including its version prefix (https://api.together.xyz/v1),
# key, and the model names it serves (comma-separated). No default host: all three enable it.
BASE_URL = EnvVar("OPENAI_IMAGES_BASE_URL", enables=True)
API_KEY = key_var("OPENAI_IMAGES")
MODELS = EnvVar("OPENAI_IMAGES_MODELS", kind="list", default=(), enables=True)
GENERIC_INFO: ProviderInfo = ProviderInfo(
    "openai-images",
    "OpenAI-compatible endpoint",
    env=(BASE_URL, API_KEY, MODELS),
    build=lambda values: generic_openai(
        values[API_KEY.name], values[BASE_URL.name], values[MODELS.name]
    ),
)


class OpenAIImagesProvider:
    """An OpenAI-compatible images API at ``base_url`` (including any version prefix,
    e.g. ``https://api.together.xyz/v1``), offering ``models`` (ModelSpecs built with
    :func:`openai_model`)."""

    def __init__(
        self, slug: str, label: str, api_key: str, base_url: str, models: list[ModelSpec]
    ) -> None:
        self.slug = slug
        self.label = label
        self.http = ProviderHTTP(label, base_url, {"Authorization": f"Bearer {api_key}"})
        self._models = models

    def models(self) -> list[ModelSpec]:
        return list(self._models)

    def generate(self, request: GenerationRequest) -> GenerationResult:
        """One synchronous call. Raises :class:`~.base.ProviderError` subclasses."""
        body = {
            "model": request.model.api_name,
            "prompt": request.prompt,
            "n": request.num_images,
            "size": f"{request.width}x{request.height}",
            "response_format": "b64_json",
        }
        response = self.http.request("POST", "/images/generations", json=body)
        status = response.status_code
        if status == 403:
            raise AuthenticationError("the provider rejected the API key", status_code=403)
        if status == 429 and _error_code(response) == "insufficient_quota":
            raise OutOfCreditsError(
                f"{self.label} says the account is out of credits", status_code=429
            )
        if status != 200:
            raise error_for_status(self.label, status, error_detail(response))
        payload = json_body(self.label, response)
        data = payload.get("data") if isinstance(payload, dict) else None
        if not isinstance(data, list) or not data:
            raise InvalidResponseError(f"{self.label} returned no image")
        return GenerationResult(
            images=[
                self._image(item) for item in requested_images(self.label, data, request.num_images)
            ]
        )

    def poll(self, job: PendingJob) -> GenerationResult:
        raise NotImplementedError("the OpenAI images API answers synchronously")

    def _image(self, item: Any) -> bytes:
        if not isinstance(item, dict):
            raise InvalidResponseError(f"{self.label} returned an image in an unknown form")
        if item.get("b64_json"):
            return decode_base64(self.label, item["b64_json"])
        return fetch_url_image(self.http, item.get("url"))


def openai_model(
    slug: str,
    provider_label: str,
    api_name: str,
    model_label: str | None = None,
    price: Price | None = None,
    assumed_steps: int | None = None,
) -> ModelSpec:
    """The :class:`ModelSpec` of model ``api_name`` on OpenAI-style provider ``slug``.

    Steps and seed are ``None`` (the protocol has neither). ``assumed_steps`` is only used
    to estimate a per-step price. Without an explicit ``price``, a reference price is
    used: DeepInfra's list price for FLUX.1 [dev] when the name says "dev", else for
    [schnell] (providers.md §4.4); the endpoint's own price is unknown to fluxweb.
    """
    is_dev = "dev" in api_name.lower()
    model_id = f"{slug}/{api_name}" if model_label is None else f"{slug}/{_short(api_name)}"
    if len(model_id) > MAX_MODEL_ID:
        raise ImproperlyConfigured(
            f"the model name {api_name!r} is too long "
            f"(model ids have at most {MAX_MODEL_ID} characters)"
        )
    return ModelSpec(
        id=model_id,
        provider=slug,
        api_name=api_name,
        label=model_label or f"{api_name} · {provider_label}",
        width=SIDE,
        height=SIDE,
        steps=None,
        default_steps=assumed_steps or (25 if is_dev else 4),
        num_images=Range(1, 4),
        seed=None,
        price=price or (FLUX_DEV if is_dev else FLUX_SCHNELL),
    )


def deepinfra_openai(api_key: str, deepinfra_base_url: str) -> OpenAIImagesProvider:
    """DeepInfra's OpenAI-compatible endpoint (seed 003) at ``{base}/v1/openai``.

    Prices: DeepInfra's per-pixel-per-step formula (§4.4). Which step count the endpoint
    bills is not documented; the estimate assumes schnell's usual 4 and dev's 25.
    """
    slug, label = DEEPINFRA_INFO.slug, DEEPINFRA_INFO.label
    models = [
        openai_model(
            slug,
            label,
            "black-forest-labs/FLUX-1-schnell",
            "FLUX.1 [schnell] · DeepInfra OpenAI API",
            FLUX_SCHNELL,
            assumed_steps=4,
        ),
        openai_model(
            slug,
            label,
            "black-forest-labs/FLUX-1-dev",
            "FLUX.1 [dev] · DeepInfra OpenAI API",
            FLUX_DEV,
            assumed_steps=25,
        ),
    ]
    return OpenAIImagesProvider(
        slug, label, api_key, deepinfra_base_url.rstrip("/") + "/v1/openai", models
    )


def generic_openai(api_key: str, base_url: str, model_names: list[str]) -> OpenAIImagesProvider:
    """The ``OPENAI_IMAGES_*`` endpoint; models ``openai-images/<name>`` for each name."""
    slug = GENERIC_INFO.slug
    host = urlsplit(base_url).netloc or base_url
    label = f"OpenAI-compatible ({host})"
    models = [openai_model(slug, label, name.strip()) for name in model_names if name.strip()]
    return OpenAIImagesProvider(slug, label, api_key, base_url, models)


def _short(api_name: str) -> str:
    """``black-forest-labs/FLUX-1-schnell`` → ``flux-1-schnell``."""
    return api_name.rsplit("/", 1)[-1].lower()


def _error_code(response: Any) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    error = body.get("error") if isinstance(body, dict) else None
    return str(error.get("code") or error.get("type") or "") if isinstance(error, dict) else ""
