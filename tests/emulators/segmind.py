"""Contract emulator for Segmind's v1 flux-schnell endpoint (seed 002, ``shared/providers.md`` §3).

``POST /v1/flux-schnell`` with ``x-api-key`` (a Bearer token is refused like a missing
key) and a JSON body (other content types get 406). Validates prompt, steps 1–8,
width/height 512–2048 multiples of 8, the sampler/scheduler enums, samples, seed and
denoise; answers 200 with the JPEG itself as the body plus ``x-remaining-credits`` and
(when ``report_cost``) ``x-cost``. Other methods get the documented 405 HTML page.

Faults: ``"401"``, ``"403"`` (model not allowed), ``"406"`` (not enough credits, plain
text), ``"429"``, ``"500"``, ``"wrong-type"`` (200 text/html), ``"truncated"``,
``"not-image"`` (image/jpeg header, HTML body), ``"bomb"``.
"""

from __future__ import annotations

from decimal import Decimal

from .server import BaseEmulator, Request, Response, main

API_KEY = "test-segmind-key"
SAMPLERS = {
    "euler",
    "euler_pp",
    "euler_ancestral",
    "euler_ancestral_pp",
    "heun",
    "heunpp2",
    "dpm_2",
    "dpm_2_ancestral",
    "lms",
    "dpm_fast",
}
SCHEDULERS = {"normal", "karras", "exponential", "sgm_uniform", "simple", "ddim_uniform"}
COST = Decimal("0.0062")


def error(status: int, message: str) -> Response:
    return Response.json({"error": message}, status=status)


class SegmindEmulator(BaseEmulator):
    def __init__(self) -> None:
        super().__init__()
        self.credits = Decimal("10.5")
        self.report_cost = True
        self.cost_header: str | None = None  # what x-cost says, when not the real cost

    def handle_api(self, request: Request) -> Response:
        if request.path.split("?")[0] != "/v1/flux-schnell":
            return error(404, "Model not found")
        if request.method != "POST":
            return Response(
                405,
                b"<html><body><h1>405 Method Not Allowed</h1></body></html>",
                {"Content-Type": "text/html"},
            )
        key = request.headers.get("x-api-key")
        if not key:
            return error(401, "Missing Authorization or x-api-key in header")
        if key != API_KEY:
            return error(
                401,
                "Unauthorized. API key is invalid or may have expired. Please check your API key.",
            )
        if not request.headers.get("content-type", "").startswith("application/json"):
            return Response(406, b"Invalid content type", {"Content-Type": "text/plain"})
        try:
            body = request.json()
        except ValueError:
            return error(400, "Invalid JSON body")
        problems = validate(body)
        if problems:
            return error(400, "; ".join(problems))

        fault = self.take_fault()
        if fault == "401":
            return error(
                401,
                "Unauthorized. API key is invalid or may have expired. Please check your API key.",
            )
        if fault == "403":
            return error(403, "This model is not available for your account")
        if fault == "406":
            return Response(406, b"Insufficient credits", {"Content-Type": "text/plain"})
        if fault == "429":
            return error(429, "rate_limit_exceeded")
        if fault == "500":
            return error(500, "Internal server error")
        if fault == "wrong-type":
            return Response(
                200, b"<html><body>Maintenance</body></html>", {"Content-Type": "text/html"}
            )

        image = self.image(
            body.get("width", 1024),
            body.get("height", 1024),
            fault,
            fmt="JPEG",
            seed=body.get("seed", 123456789),
        )
        with self._lock:
            self.credits -= COST
        headers = {
            "Content-Type": "image/jpeg",
            "x-remaining-credits": str(self.credits),
            "x-request-id": "seg-req-1",
        }
        if self.report_cost:
            headers["x-cost"] = str(COST) if self.cost_header is None else self.cost_header
        return Response(200, image, headers)


def validate(body: object) -> list[str]:
    """Problems with a flux-schnell body, per the model page's attributes."""
    if not isinstance(body, dict):
        return ["expected an object"]
    problems = []
    if not isinstance(body.get("prompt"), str) or not body["prompt"]:
        problems.append("prompt is required")
    if "steps" in body and not _int_in(body["steps"], 1, 8):
        problems.append("steps must be between 1 and 8")
    for side in ("width", "height"):
        if side in body and (not _int_in(body[side], 512, 2048) or body[side] % 8):
            problems.append(f"{side} must be between 512 and 2048 in multiples of 8")
    if body.get("sampler_name", "euler") not in SAMPLERS:
        problems.append("sampler_name is not an allowed value")
    if body.get("scheduler", "normal") not in SCHEDULERS:
        problems.append("scheduler is not an allowed value")
    if "samples" in body and not _int_in(body["samples"], 1, 4):
        problems.append("samples must be a positive integer")
    if "seed" in body and not _int_in(body["seed"], -1, 2**63):
        problems.append("seed must be an integer")
    if "denoise" in body and not (
        isinstance(body["denoise"], (int, float)) and 0 <= body["denoise"] <= 1
    ):
        problems.append("denoise must be between 0 and 1")
    unknown = set(body) - {
        "prompt",
        "steps",
        "seed",
        "sampler_name",
        "scheduler",
        "samples",
        "width",
        "height",
        "denoise",
    }
    problems += [f"unknown field {name}" for name in sorted(unknown)]
    return problems


def _int_in(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def env(base_url: str) -> dict[str, str]:
    """The environment that points fluxweb's provider at an emulator at ``base_url``."""
    return {"SEGMIND_API_KEY": API_KEY, "SEGMIND_BASE_URL": base_url}


if __name__ == "__main__":  # python -m tests.emulators.segmind [PORT [LATENCY]]
    main(SegmindEmulator(), 8768, env)
