"""Contract emulator for AIML API's images endpoint (seeds 000/004, ``shared/providers.md`` §1).

``POST /v1/images/generations`` with ``Authorization: Bearer <key>``. Validates the body
like the flux schemas (model enum, prompt ≤ 4000, ``image_size`` object with per-model
limits on a 32-pixel grid or a preset, num_images 1–4, seed ≥ 1, dev steps 1–50 and
guidance 1–20, no guidance for schnell, no unknown fields) and answers 400 ``Body
validation error``. ``shape`` picks the documented success shape:

- ``"fal"`` (default): 200 ``{"images": [{"url", ...}], "seed", ...}``, URLs on this host;
- ``"fal-201"``: the same with HTTP 201;
- ``"openai-url"`` / ``"openai-b64"``: 200
  ``{"data": [{"url"|"b64_json"}], "meta": {"usage": {"credits_used"}}}``;
- ``"legacy"``: 201 ``{"status", ..., "output": {"choices": [{"image_base64"}]}}``.

Errors use AIML's envelope ``{"message", "path", "requestId", "statusCode", "timestamp"}``.
Faults: ``"401"``, ``"403-credits"``, ``"429"``, ``"500"``, ``"504"``, ``"malformed"``
(the docs' comma-less error example as a 400), ``"broken-json"`` (200, truncated JSON),
``"html"`` (200 text/html), ``"no-image"``, ``"url-offsite"`` (an http URL on another
host), ``"truncated"``, ``"not-image"``, ``"bomb"``.

``nsfw``: when not None, the fal shape's ``has_nsfw_concepts`` as given (any JSON value, so
tests can send hostile ones); else ``[false]`` per image. ``enable_safety_checker`` must be a
boolean when sent.
"""

from __future__ import annotations

import base64
import random
import uuid
from datetime import UTC, datetime

from .server import BaseEmulator, Request, Response, main

API_KEY = "test-aimlapi-key"
PATH = "/v1/images/generations"
PRESETS = {
    "square_hd",
    "square",
    "portrait_4_3",
    "portrait_16_9",
    "landscape_4_3",
    "landscape_16_9",
}
PRESET_SIZES = {  # fal's sizes for AIML's enum (providers.md §1.2, inferred for AIML)
    "square_hd": (1024, 1024),
    "square": (512, 512),
    "portrait_4_3": (768, 1024),
    "portrait_16_9": (576, 1024),
    "landscape_4_3": (1024, 768),
    "landscape_16_9": (1024, 576),
}
LIMITS = {"flux/schnell": (64, 1536), "flux/dev": (512, 1536)}
CREDITS_MESSAGE = (
    "You've run out of credits. "
    "Please top up your balance or update your payment method to continue."
)
BAD_KEY_MESSAGE = (
    "This request requires a valid API key. You can create a new API key on the dashboard."
)


def error(status: int, message: str) -> Response:
    return Response.json(
        {
            "message": message,
            "path": PATH,
            "requestId": str(uuid.uuid4()),
            "statusCode": status,
            "timestamp": datetime.now(UTC).isoformat(),
        },
        status=status,
    )


class AIMLAPIEmulator(BaseEmulator):
    def __init__(self) -> None:
        super().__init__()
        self.shape = "fal"
        self.nsfw: object = None

    def handle_api(self, request: Request) -> Response:
        if request.method != "POST" or request.path.split("?")[0] != PATH:
            return error(404, "Cannot find route")
        if request.headers.get("authorization") != f"Bearer {API_KEY}":
            return error(401, BAD_KEY_MESSAGE)
        try:
            body = request.json()
        except ValueError:
            return error(400, "Body validation error: invalid JSON")
        problems = validate(body)
        if problems:
            return error(400, "Body validation error: " + "; ".join(problems))

        fault = self.take_fault()
        if fault == "401":
            return error(401, BAD_KEY_MESSAGE)
        if fault == "403-credits":
            return error(403, CREDITS_MESSAGE)
        if fault == "429":
            return error(429, "Too Many Requests")
        if fault == "500":
            return error(500, "Something wrong with the server. Please, try again later.")
        if fault == "504":
            return error(504, "Generation timeout")
        if fault == "malformed":
            # The documented example itself, commas missing (providers.md §1.4).
            return Response(
                400,
                b'{"message": "Body validation error" "statusCode": "400"}',
                {"Content-Type": "application/json"},
            )
        if fault == "broken-json":
            return Response(200, b'{"images": [{"url": "', {"Content-Type": "application/json"})
        if fault == "html":
            return Response(
                200, b"<html><body>Bad Gateway</body></html>", {"Content-Type": "text/html"}
            )

        width, height = size_of(body)
        count = body.get("num_images", 1)
        seed = body.get("seed") or random.randrange(1, 2**31)
        images = (
            []
            if fault == "no-image"
            else [self.image(width, height, fault, seed=seed) for _ in range(count)]
        )
        return self.success(images, seed, fault)

    def success(self, images: list[bytes], seed: int, fault: str | None) -> Response:
        def url(data: bytes) -> str:
            if fault == "url-offsite":
                return "http://cdn.aimlapi.example/eagle/files/lion/x.png"
            return self.file_url(data)

        if self.shape in ("fal", "fal-201"):
            return Response.json(
                {
                    "images": [
                        {"url": url(d), "width": 0, "height": 0, "content_type": "image/png"}
                        for d in images
                    ],
                    "timings": {"inference": 0.35},
                    "seed": seed,
                    "has_nsfw_concepts": (
                        [False] * len(images) if self.nsfw is None else self.nsfw
                    ),
                    "prompt": "...",
                },
                status=201 if self.shape == "fal-201" else 200,
            )
        if self.shape in ("openai-url", "openai-b64"):
            data = [
                {"url": url(d), "b64_json": None}
                if self.shape == "openai-url"
                else {"url": None, "b64_json": base64.b64encode(d).decode()}
                for d in images
            ]
            return Response.json(
                {"data": data, "meta": {"usage": {"credits_used": 5250 * max(1, len(images))}}}
            )
        if self.shape == "legacy":
            return Response.json(
                {
                    "status": "completed",
                    "prompt": ["..."],
                    "model": "flux/schnell",
                    "model_owner": "flux",
                    "tags": {},
                    "num_returns": len(images),
                    "args": {},
                    "subjobs": [],
                    "output": {
                        "choices": [{"image_base64": base64.b64encode(d).decode()} for d in images]
                    },
                },
                status=201,
            )
        raise AssertionError(f"unknown shape {self.shape}")


def size_of(body: dict) -> tuple[int, int]:
    size = body.get("image_size", "landscape_4_3")
    if isinstance(size, dict):
        return size["width"], size["height"]
    return PRESET_SIZES.get(size, (1024, 1024))


def validate(body: object) -> list[str]:
    """Problems with a request body, per flux-schnell.json / flux-dev.json."""
    if not isinstance(body, dict):
        return ["expected an object"]
    problems = []
    model = body.get("model")
    if model not in LIMITS:
        return [f"Invalid enum value. Expected 'flux/schnell' | 'flux/dev', received '{model}'"]
    allowed = {
        "model",
        "prompt",
        "image_size",
        "num_images",
        "seed",
        "num_inference_steps",
        "enable_safety_checker",
    }
    if model == "flux/dev":
        allowed.add("guidance_scale")
    problems += [f"Unrecognized key: '{key}'" for key in sorted(set(body) - allowed)]
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt or len(prompt) > 4000:
        problems.append("prompt: required, at most 4000 characters")
    size = body.get("image_size", "landscape_4_3")
    low, high = LIMITS[model]
    if isinstance(size, dict):
        for side in ("width", "height"):
            value = size.get(side)
            if not isinstance(value, int) or not low <= value <= high or value % 32:
                problems.append(f"image_size.{side}: {low}–{high}, a multiple of 32")
    elif size not in PRESETS:
        problems.append("image_size: invalid enum value")
    if not _int_in(body.get("num_images", 1), 1, 4):
        problems.append("num_images: 1–4")
    if "seed" in body and not _int_in(body["seed"], 1, None):
        problems.append("seed: integer, minimum 1")
    max_steps = 50 if model == "flux/dev" else None  # schnell: no maximum since 2025-11-25
    if "num_inference_steps" in body and not _int_in(body["num_inference_steps"], 1, max_steps):
        problems.append("num_inference_steps: out of range")
    if "enable_safety_checker" in body and not isinstance(body["enable_safety_checker"], bool):
        problems.append("enable_safety_checker: boolean")
    if "guidance_scale" in body:
        value = body["guidance_scale"]
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not 1 <= value <= 20:
            problems.append("guidance_scale: 1–20")
    return problems


def _int_in(value: object, low: int, high: int | None) -> bool:
    if not isinstance(value, int) or isinstance(value, bool):
        return False
    return value >= low and (high is None or value <= high)


def env(base_url: str) -> dict[str, str]:
    """The environment that points fluxweb's provider at an emulator at ``base_url``."""
    return {"AIMLAPI_API_KEY": API_KEY, "AIMLAPI_BASE_URL": base_url}


if __name__ == "__main__":  # python -m tests.emulators.aimlapi [PORT [LATENCY]]
    main(AIMLAPIEmulator(), 8767, env)
