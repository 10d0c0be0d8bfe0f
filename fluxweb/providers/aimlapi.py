"""AIML API: FLUX.1 [schnell] (seed 000) and FLUX.1 [dev] (seed 004).

Wire format (``shared/providers.md`` §1, aimlapi/api-docs ``flux-schnell.json`` /
``flux-dev.json``): ``POST {base}/v1/images/generations`` with ``Authorization: Bearer
<key>`` and JSON ``{model, prompt, image_size, num_images, seed, num_inference_steps,
guidance_scale (dev only), enable_safety_checker}``. ``image_size`` is the documented preset
name (``square_hd``, ``landscape_4_3``, ...) when the size is one of them, else the
``{width, height}`` object the schema also allows (§1.2).

Success comes in any of three documented shapes (§1.3), with HTTP 200 or 201:

1. fal-style ``{"images": [{"url", "width", "height", "content_type"}], "seed",
   "has_nsfw_concepts": [bool per image], ...}`` (the flags are kept, §1.3);
2. OpenAI-style ``{"data": [{"url" | "b64_json"}], "meta": {"usage": {"credits_used"}}}``;
3. legacy ``{"output": {"choices": [{"image_base64"}]}, ...}``.

URL images are downloaded (https only, or the base URL's own host). Errors (§1.4) carry
``{"message", "statusCode", "requestId", ...}`` (the docs' example is not even valid JSON,
so the message is read defensively); 401 = bad key, **403 = out of credits**, 429 rate
or free-tier limit, 5xx upstream trouble.

Cost: AIML reports ``meta.usage.credits_used`` in AIML credits, whose USD value it does
not document; fluxweb keeps the credits in ``metadata["credits_used"]`` and reports no
USD cost (the estimate stands).
"""

from __future__ import annotations

from typing import Any, TypedDict

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
from .declaration import ProviderInfo, base_url_var, key_var
from .http import ProviderHTTP, error_for_status, json_body, message_field
from .options import ENABLE_SAFETY_CHECKER, nsfw_flags
from .pricing import per_image

NAME = "AIML API"
# The schema says "seed: integer, minimum 1" with no maximum; 2³¹−1 is safe everywhere.
SEED = Range(1, 2**31 - 1)
API_KEY = key_var("AIMLAPI")
BASE_URL = base_url_var("AIMLAPI", "https://api.aimlapi.com")
# image_size presets (width, height) → name: AIML's enum (§1.2) with fal's pixel sizes for
# it, which AIML's default (landscape_4_3 = 1024×768) matches; the mapping is inferred there.
IMAGE_SIZES = {
    (1024, 1024): "square_hd",
    (512, 512): "square",
    (768, 1024): "portrait_4_3",
    (576, 1024): "portrait_16_9",
    (1024, 768): "landscape_4_3",
    (1024, 576): "landscape_16_9",
}

INFO: ProviderInfo = ProviderInfo(
    "aimlapi",
    NAME,
    env=(API_KEY, BASE_URL),
    build=lambda values: AIMLAPIProvider(values[API_KEY.name], values[BASE_URL.name]),
)


class _Shared(TypedDict):
    """What both AIML models have in common (keyword arguments of :class:`ModelSpec`)."""

    provider: str
    num_images: Range
    seed: Range
    default_width: int
    default_height: int
    options: tuple[str, ...]


class AIMLAPIProvider:
    """AIML API's images endpoint; ``base_url`` like ``https://api.aimlapi.com``."""

    slug = INFO.slug
    label = INFO.label

    def __init__(self, api_key: str, base_url: str) -> None:
        self.http = ProviderHTTP(NAME, base_url, {"Authorization": f"Bearer {api_key}"})

    def models(self) -> list[ModelSpec]:
        """Limits from the AIML model pages (seeds 000/004, providers.md §1.2).

        Prices: AIML's flux pages publish none (its catalogue endpoint carries them at run
        time). schnell: $0.004/image, LiteLLM's datasheet for ``aiml/flux/schnell``
        (providers.md §1.6, secondary). dev: no AIML figure exists; $0.025/image is the
        list price of FLUX.1 [dev] at Replicate and fal per megapixel (§5.1, §5.2).
        """
        common: _Shared = {
            "provider": self.slug,
            "num_images": Range(1, 4),
            "seed": SEED,
            "default_width": 1024,
            "default_height": 768,
            "options": (ENABLE_SAFETY_CHECKER.name,),
        }
        return [
            ModelSpec(
                id="aimlapi/flux-schnell",
                api_name="flux/schnell",
                label="FLUX.1 [schnell] · AIML API",
                width=Range(64, 1536, 32),
                height=Range(64, 1536, 32),
                # Seed 000 documents 1–12; the current schema dropped the maximum (§6.2),
                # 12 is still the most schnell takes anywhere (fal).
                steps=Range(1, 12),
                default_steps=4,
                price=per_image("0.004"),
                **common,
            ),
            ModelSpec(
                id="aimlapi/flux-dev",
                api_name="flux/dev",
                label="FLUX.1 [dev] · AIML API",
                width=Range(512, 1536, 32),
                height=Range(512, 1536, 32),
                steps=Range(1, 50),
                # AIML's default is 50; 28 is FLUX.1 [dev]'s usual (BFL's and fal's default).
                default_steps=28,
                guidance_scale=(1.0, 20.0),
                default_guidance_scale=3.5,
                price=per_image("0.025"),
                **common,
            ),
        ]

    def generate(self, request: GenerationRequest) -> GenerationResult:
        """One synchronous call. Raises :class:`~.base.ProviderError` subclasses."""
        body: dict[str, Any] = {
            "model": request.model.api_name,
            "prompt": request.prompt,
            "image_size": IMAGE_SIZES.get(
                (request.width, request.height), {"width": request.width, "height": request.height}
            ),
            "num_images": request.num_images,
        }
        safety = request.options.get(ENABLE_SAFETY_CHECKER.name)
        if isinstance(safety, bool):
            body[ENABLE_SAFETY_CHECKER.name] = safety
        if request.num_inference_steps is not None:
            body["num_inference_steps"] = request.num_inference_steps
        if request.seed is not None:
            body["seed"] = request.seed
        if request.guidance_scale is not None and request.model.guidance_scale is not None:
            body["guidance_scale"] = request.guidance_scale
        response = self.http.request("POST", "/v1/images/generations", json=body)
        if response.status_code not in (200, 201):
            detail = message_field(response)
            if response.status_code == 403:
                if "credit" in detail.lower():
                    raise OutOfCreditsError(
                        f"{NAME} says the account is out of credits", status_code=403
                    )
                raise AuthenticationError("the provider rejected the API key", status_code=403)
            raise error_for_status(NAME, response.status_code, detail)
        return self._parse(json_body(NAME, response), request.num_images)

    def poll(self, job: PendingJob) -> GenerationResult:
        raise NotImplementedError("AIML API answers synchronously")

    def _parse(self, payload: Any, wanted: int) -> GenerationResult:
        if not isinstance(payload, dict):
            raise InvalidResponseError(f"{NAME} returned a malformed answer")
        metadata: dict[str, Any] = {}
        nsfw = None
        if isinstance(payload.get("images"), list):  # 1. fal-style
            items = requested_images(NAME, payload["images"], wanted)
            images = [fetch_url_image(self.http, _field(item, "url")) for item in items]
            nsfw = nsfw_flags(payload.get("has_nsfw_concepts"), len(payload["images"]))
        elif isinstance(payload.get("data"), list):  # 2. OpenAI-style
            images = [
                self._openai_image(item) for item in requested_images(NAME, payload["data"], wanted)
            ]
            usage = (
                (payload.get("meta") or {}).get("usage")
                if isinstance(payload.get("meta"), dict)
                else None
            )
            if isinstance(usage, dict):
                credits = usage.get("credits_used", usage.get("tokens_used"))
                if isinstance(credits, (int, float)):
                    metadata["credits_used"] = credits
        elif isinstance(payload.get("output"), dict) and isinstance(
            payload["output"].get("choices"), list
        ):
            choices = requested_images(NAME, payload["output"]["choices"], wanted)
            images = [decode_base64(NAME, _field(item, "image_base64")) for item in choices]
        else:
            raise InvalidResponseError(f"{NAME} returned no image")
        if not images:
            raise InvalidResponseError(f"{NAME} returned no image")
        seed = payload.get("seed")
        return GenerationResult(
            images=images,
            seed=seed if isinstance(seed, int) and not isinstance(seed, bool) else None,
            metadata=metadata,
            nsfw=nsfw[: len(images)] if nsfw is not None else None,
        )

    def _openai_image(self, item: Any) -> bytes:
        if isinstance(item, dict) and item.get("b64_json"):
            return decode_base64(NAME, item["b64_json"])
        return fetch_url_image(self.http, _field(item, "url"))


def _field(item: Any, key: str) -> Any:
    return item.get(key) if isinstance(item, dict) else None
