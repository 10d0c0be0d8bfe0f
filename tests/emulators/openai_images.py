"""Contract emulator for an OpenAI-style images endpoint (seed 003, ``shared/providers.md`` §4.1).

``POST {prefix}/images/generations`` with ``Authorization: Bearer <key>``; ``prefix`` is
``/v1/openai`` for DeepInfra's mount. Validates ``OpenAIImagesGenerationsIn`` (model from
``models``, prompt, n 1–4, size ``"WxH"``, response_format ``b64_json``; no other fields,
which proves fluxweb sends no steps or seed) with 422 ``{"detail": [...]}``; a wrong key
gets DeepInfra's 403 ``{"detail": {"error": "Not authenticated"}}``. Success: 200
``{"created", "data": [{"b64_json": <JPEG>, "revised_prompt"}]}``, or ``data[].url`` on
this host when ``url_images``.

Faults: ``"401"`` (OpenAI's error object), ``"403"``, ``"insufficient-quota"`` (OpenAI's
429), ``"429"``, ``"500"``, ``"malformed"``, ``"html"`` (200 text/html), ``"no-image"``,
``"url-offsite"``, ``"truncated"``, ``"not-image"``, ``"bomb"``.
"""

from __future__ import annotations

import base64
import re
import time

from .server import BaseEmulator, Request, Response, main

API_KEY = "test-openai-images-key"
DEEPINFRA_MODELS = ("black-forest-labs/FLUX-1-schnell", "black-forest-labs/FLUX-1-dev")
GENERIC_PREFIX = "/v1"  # a proxy's version prefix, part of OPENAI_IMAGES_BASE_URL
GENERIC_MODELS = ("black-forest-labs/FLUX.1-schnell", "flux-dev")
SIZE = re.compile(r"^(\d{2,4})x(\d{2,4})$")


def openai_error(status: int, message: str, type_: str, code: str | None = None) -> Response:
    error = {"message": message, "type": type_, "param": None, "code": code}
    return Response.json({"error": error}, status=status)


class OpenAIImagesEmulator(BaseEmulator):
    def __init__(
        self,
        prefix: str = "/v1/openai",
        models: tuple[str, ...] = DEEPINFRA_MODELS,
        api_key: str = API_KEY,
    ) -> None:
        super().__init__()
        self.prefix = prefix
        self.models = models
        self.api_key = api_key
        self.url_images = False

    def handle_api(self, request: Request) -> Response:
        if (
            request.method != "POST"
            or request.path.split("?")[0] != f"{self.prefix}/images/generations"
        ):
            return Response.json({"detail": "Not Found"}, status=404)
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return Response.json({"detail": {"error": "Not authenticated"}}, status=403)
        try:
            body = request.json()
        except ValueError:
            return Response.json(
                {"detail": [{"loc": ["body"], "msg": "invalid json", "type": "value_error"}]},
                status=422,
            )
        problems = self.validate(body)
        if problems:
            return Response.json(
                {
                    "detail": [
                        {"loc": ["body", f], "msg": m, "type": "value_error"} for f, m in problems
                    ]
                },
                status=422,
            )

        fault = self.take_fault()
        if fault == "401":
            return openai_error(
                401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key"
            )
        if fault == "403":
            return Response.json({"detail": {"error": "Not authenticated"}}, status=403)
        if fault == "insufficient-quota":
            return openai_error(
                429, "You exceeded your current quota.", "insufficient_quota", "insufficient_quota"
            )
        if fault == "429":
            return openai_error(429, "Rate limited", "rate_limit_error")
        if fault == "500":
            return Response(
                500, b"<html>Internal Server Error</html>", {"Content-Type": "text/html"}
            )
        if fault == "malformed":
            truncated = b'{"created": 1707000000, "data": [{"b64_json": "/9j/'
            return Response(200, truncated, {"Content-Type": "application/json"})
        if fault == "html":
            return Response(
                200, b"<html><body>proxy login</body></html>", {"Content-Type": "text/html"}
            )

        width, height = (int(v) for v in SIZE.match(body.get("size", "1024x1024")).groups())
        images = (
            []
            if fault == "no-image"
            else [self.image(width, height, fault, fmt="JPEG") for _ in range(body.get("n", 1))]
        )
        data = []
        for image in images:
            if fault == "url-offsite":
                data.append({"url": "http://images.example/out.jpeg", "b64_json": None})
            elif self.url_images:
                data.append({"url": self.file_url(image, "image/jpeg"), "b64_json": None})
            else:
                data.append(
                    {"b64_json": base64.b64encode(image).decode(), "revised_prompt": body["prompt"]}
                )
        return Response.json({"created": int(time.time()), "data": data})

    def validate(self, body: object) -> list[tuple[str, str]]:
        if not isinstance(body, dict):
            return [("body", "expected an object")]
        problems = []
        if body.get("model") not in self.models:
            problems.append(("model", "unknown model"))
        if not isinstance(body.get("prompt"), str) or not body["prompt"]:
            problems.append(("prompt", "field required"))
        n = body.get("n", 1)
        if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= 4:
            problems.append(("n", "ensure 1 ≤ n ≤ 4"))
        if not isinstance(body.get("size", "1024x1024"), str) or not SIZE.match(
            body.get("size", "1024x1024")
        ):
            problems.append(("size", "size must look like 1024x1024"))
        if body.get("response_format", "b64_json") != "b64_json":
            problems.append(("response_format", "only b64_json is supported"))
        allowed = {"model", "prompt", "n", "size", "response_format", "user", "quality", "style"}
        problems += [(name, "extra fields not permitted") for name in sorted(set(body) - allowed)]
        return problems


def deepinfra_env(base_url: str, api_key: str = API_KEY) -> dict[str, str]:
    """The environment that enables DeepInfra's OpenAI-compatible mount on an emulator at
    ``base_url`` (built with the default ``/v1/openai`` prefix)."""
    return {"DEEPINFRA_API_KEY": api_key, "DEEPINFRA_BASE_URL": base_url, "DEEPINFRA_OPENAI": "1"}


def env(base_url: str) -> dict[str, str]:
    """The environment that points the generic ``OPENAI_IMAGES_*`` provider at an emulator
    at ``base_url`` built with ``prefix=GENERIC_PREFIX, models=GENERIC_MODELS``."""
    return {
        "OPENAI_IMAGES_BASE_URL": base_url + GENERIC_PREFIX,
        "OPENAI_IMAGES_API_KEY": API_KEY,
        "OPENAI_IMAGES_MODELS": ",".join(GENERIC_MODELS),
    }


if __name__ == "__main__":  # python -m tests.emulators.openai_images [PORT [LATENCY]]: generic
    main(OpenAIImagesEmulator(prefix=GENERIC_PREFIX, models=GENERIC_MODELS), 8770, env)
