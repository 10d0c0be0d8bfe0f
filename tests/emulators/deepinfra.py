"""Contract emulator for DeepInfra's native inference endpoint (``shared/providers.md`` §4.2).

``POST /v1/inference/black-forest-labs/FLUX-1-{schnell,dev}`` with ``Authorization: Bearer
<key>`` and a JSON body. Validates like the real API (422 ``{"detail": [...]}``), rejects bad
keys with 403 ``{"detail": {"error": "Not authenticated"}}`` and answers
``{"images": ["data:image/png;base64,..."], "seed", "request_id", "inference_status"}``
with the cost from DeepInfra's published formula. ``fault`` injects the documented errors
and bad answers.
"""

from __future__ import annotations

import base64
import random
import threading
import time
import uuid

from .server import BaseEmulator, Request, Response, answer_image, main

API_KEY = "test-deepinfra-key"
PRICES = {  # model → (USD per unit, steps per unit), DeepInfra model pages
    "black-forest-labs/FLUX-1-schnell": (0.0005, 1),
    "black-forest-labs/FLUX-1-dev": (0.009, 25),
}


class DeepInfraEmulator(BaseEmulator):
    """Set ``fault`` to one of: ``"401"``, ``"422"``, ``"429"``, ``"500"``, ``"malformed"``,
    ``"no-images"``, ``"not-image"``, ``"truncated"``; ``fault_times`` limits how many
    requests get it (None = all). ``latency`` delays answers (seconds). ``gate``, when set
    to a :class:`threading.Event`, holds every answer until the test sets it, so a test can
    act (signal a worker, count concurrent calls) while calls are in flight; ``in_flight``
    counts requests received and not yet answered."""

    def __init__(self) -> None:
        super().__init__()
        self.api_key = API_KEY  # the key it accepts
        self.gate: threading.Event | None = None
        self.in_flight = 0
        # When not None: the answer's nsfw_content_detected as given (any JSON value).
        self.nsfw: object = None

    def handle(self, request: Request) -> Response:
        with self._lock:
            self.requests.append(request)
            self.in_flight += 1
        try:
            if self.gate is not None:
                self.gate.wait(timeout=120)
            if self.latency:
                time.sleep(self.latency)
            return self._answer(request)
        finally:
            with self._lock:
                self.in_flight -= 1

    def _answer(self, request: Request) -> Response:
        prefix = "/v1/inference/"
        if request.method != "POST" or not request.path.startswith(prefix):
            return Response.json({"detail": "Not Found"}, status=404)
        model = request.path[len(prefix) :].split("?")[0]
        if request.headers.get("authorization", "").lower() != f"bearer {self.api_key}".lower():
            return Response.json({"detail": {"error": "Not authenticated"}}, status=403)
        if model not in PRICES:
            return Response.json({"error": "Model not found"}, status=404)
        try:
            body = request.json()
        except ValueError:
            return Response.json(
                {"detail": [{"loc": ["body"], "msg": "invalid json", "type": "value_error"}]}, 422
            )
        errors = validate(body)
        if errors:
            return Response.json({"detail": errors}, status=422)

        fault = self.take_fault()
        if fault == "401":
            return Response.json({"detail": {"error": "Invalid token"}}, status=401)
        if fault == "422":
            return Response.json(
                {
                    "detail": [
                        {"loc": ["body", "prompt"], "msg": "unsafe prompt", "type": "value_error"}
                    ]
                },
                422,
            )
        if fault == "429":
            return Response.json({"error": "Rate limited"}, status=429)
        if fault == "500":
            return Response(
                500, b"<html>Internal Server Error</html>", {"Content-Type": "text/html"}
            )
        if fault == "malformed":
            return Response(
                200, b'{"images": ["data:image/png;base64,', {"Content-Type": "application/json"}
            )

        width, height = body.get("width", 1024), body.get("height", 1024)
        steps, count = body.get("num_inference_steps", 1), body.get("num_images", 1)
        seed = body.get("seed", random.randrange(2**32))
        image = answer_image(width, height)
        if fault == "not-image":
            image = b"<html>this is not an image</html>"
        if fault == "truncated":
            image = image[: len(image) // 2]
        images = (
            []
            if fault == "no-images"
            else ["data:image/png;base64," + base64.b64encode(image).decode() for _ in range(count)]
        )
        rate, per = PRICES[model]
        return Response.json(
            {
                "images": images,
                "nsfw_content_detected": (
                    [False] * len(images) if self.nsfw is None else self.nsfw
                ),
                "seed": seed,
                "request_id": str(uuid.uuid4()),
                "inference_status": {
                    "status": "succeeded",
                    "runtime_ms": 300,
                    "cost": rate * width / 1024 * height / 1024 * steps / per * count,
                },
            }
        )


def validate(body: object) -> list[dict]:
    """FastAPI-style validation errors for a native inference body."""
    if not isinstance(body, dict):
        return [{"loc": ["body"], "msg": "expected an object", "type": "type_error"}]
    errors = []

    def bad(field: str, msg: str) -> None:
        errors.append({"loc": ["body", field], "msg": msg, "type": "value_error"})

    if not isinstance(body.get("prompt"), str) or not body["prompt"]:
        bad("prompt", "field required")
    for field, low, high in (
        ("width", 128, 2048),
        ("height", 128, 2048),
        ("num_images", 1, 4),
        ("num_inference_steps", 1, 50),
    ):
        if field in body and (not isinstance(body[field], int) or not low <= body[field] <= high):
            bad(field, f"ensure this value is between {low} and {high}")
    if "seed" in body and not isinstance(body["seed"], int):
        bad("seed", "value is not a valid integer")
    unknown = set(body) - {
        "prompt",
        "width",
        "height",
        "num_images",
        "num_inference_steps",
        "seed",
        "negative_prompt",
        "guidance_scale",
        "webhook",
    }
    for field in unknown:
        bad(field, "extra fields not permitted")
    return errors


def env(base_url: str) -> dict[str, str]:
    """The environment that points fluxweb's DeepInfra provider at an emulator at ``base_url``."""
    return {"DEEPINFRA_API_KEY": API_KEY, "DEEPINFRA_BASE_URL": base_url}


if __name__ == "__main__":  # python -m tests.emulators.deepinfra [PORT [LATENCY]]
    main(DeepInfraEmulator(), 8766, env)
