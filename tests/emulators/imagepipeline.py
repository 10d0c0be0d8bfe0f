"""Contract emulator for ImagePipeline's legacy generate/v3 (seed 001,
``shared/providers.md`` §2.1).

``POST /generate/v3`` and ``GET /generate/v3/status/{id}``, both with header ``API-Key``.
Validates the body (prompt required, samples 1–4, width/height ≤ 1536, integer seed, the
documented fields only, ``server_id`` naming this dedicated server) and answers FastAPI-
style ``{"detail": ...}`` errors. Every answer carries ``status``: ``SUCCESS`` with
``download_urls`` on this host, ``PENDING`` with an ``id`` (for the first
``pending_polls`` status requests of a job), or ``FAILURE`` with ``error``.

Faults on the submit (``fault``/``fault_times``) or on status polls
(``poll_fault``/``poll_fault_times``): ``"401"``,
``"403"``, ``"402"``, ``"429"``, ``"500"``, ``"failure"``, ``"malformed"``, ``"no-image"``,
``"unknown-status"``, ``"url-offsite"``, ``"truncated"``, ``"not-image"``, ``"bomb"``.
"""

from __future__ import annotations

import threading
import uuid

from .server import BaseEmulator, Request, Response, main

API_KEY = "test-imagepipeline-key"
SERVER_ID = "srv-test-flux"
FIELDS = {
    "prompt",
    "negative_prompt",
    "num_inference_steps",
    "samples",
    "height",
    "width",
    "seed",
    "direct_link",
    "server_id",
    "webhook",
    "batch_id",
    "file_prefix",
    "queued_image_urls",
}


class ImagePipelineEmulator(BaseEmulator):
    def __init__(self) -> None:
        super().__init__()
        self.pending_polls = 0
        self.poll_fault: str | None = None
        self.poll_fault_times: int | None = None
        self.jobs: dict[str, dict] = {}
        self._jobs_lock = threading.Lock()

    def handle_api(self, request: Request) -> Response:
        if request.headers.get("api-key") != API_KEY:
            return Response.json({"detail": "Invalid API key"}, status=401)
        path = request.path.split("?")[0]
        if request.method == "POST" and path == "/generate/v3":
            return self.submit(request)
        prefix = "/generate/v3/status/"
        if request.method == "GET" and path.startswith(prefix):
            return self.status(path[len(prefix) :])
        return Response.json({"detail": "Not Found"}, status=404)

    def submit(self, request: Request) -> Response:
        try:
            body = request.json()
        except ValueError:
            return Response.json({"detail": "invalid JSON"}, status=422)
        problems = validate(body)
        if problems:
            return Response.json(
                {
                    "detail": [
                        {"loc": ["body", f], "msg": m, "type": "value_error"} for f, m in problems
                    ]
                },
                status=422,
            )
        if body.get("server_id") != SERVER_ID:
            return Response.json(
                {"detail": "Flux is available on dedicated servers only: unknown server_id"}, 400
            )
        job_id = uuid.uuid4().hex
        job = {"body": body, "polls_left": self.pending_polls}
        with self._jobs_lock:
            self.jobs[job_id] = job
        fault = self.take_fault()
        if self.pending_polls and fault is None:
            return Response.json({"id": job_id, "status": "PENDING"})
        return self.answer(job_id, job, fault)

    def status(self, job_id: str) -> Response:
        job = self.jobs.get(job_id)
        if job is None:
            return Response.json({"detail": "Task not found"}, status=404)
        with self._jobs_lock:
            fault = None
            if self.poll_fault is not None and self.poll_fault_times != 0:
                fault = self.poll_fault
                if self.poll_fault_times is not None:
                    self.poll_fault_times -= 1
            if fault is None and job["polls_left"] > 0:
                job["polls_left"] -= 1
                return Response.json({"id": job_id, "status": "PENDING"})
        return self.answer(job_id, job, fault)

    def answer(self, job_id: str, job: dict, fault: str | None) -> Response:
        if fault in ("401", "403", "402", "429", "500"):
            messages = {
                "401": "Invalid API key",
                "403": "Forbidden",
                "402": "Insufficient credits",
                "429": "Too many requests",
                "500": "Internal Server Error",
            }
            return Response.json({"detail": messages[fault]}, status=int(fault))
        if fault == "malformed":
            return Response(200, b'{"status": "SUCC', {"Content-Type": "application/json"})
        if fault == "failure":
            return Response.json({"id": job_id, "status": "FAILURE", "error": "CUDA out of memory"})
        if fault == "unknown-status":
            return Response.json({"id": job_id, "status": "FAILED"})
        if fault == "no-image":
            return Response.json({"id": job_id, "status": "SUCCESS", "download_urls": []})
        body = job["body"]
        width, height = body.get("width", 1024), body.get("height", 1024)
        urls = []
        for _ in range(body.get("samples", 2)):
            if fault == "url-offsite":
                urls.append("http://cdn.imagepipeline.example/out.png")
            else:
                urls.append(
                    self.file_url(self.image(width, height, fault, seed=body.get("seed", 0)))
                )
        return Response.json({"id": job_id, "status": "SUCCESS", "download_urls": urls})


def validate(body: object) -> list[tuple[str, str]]:
    """(field, message) problems with a generate/v3 body, per seed 001's parameter table."""
    if not isinstance(body, dict):
        return [("body", "expected an object")]
    problems = []
    if not isinstance(body.get("prompt"), str) or not body["prompt"]:
        problems.append(("prompt", "field required"))
    if "samples" in body and not _int_in(body["samples"], 1, 4):
        problems.append(("samples", "ensure this value is between 1 and 4"))
    for side in ("width", "height"):
        if side in body and not _int_in(body[side], 1, 1536):
            problems.append((side, "ensure this value is less than or equal to 1536"))
    if "seed" in body and not _int_in(body["seed"], -1, 2**63):
        problems.append(("seed", "value is not a valid integer"))
    if "num_inference_steps" in body and not _int_in(body["num_inference_steps"], 1, 100):
        problems.append(("num_inference_steps", "out of range"))
    if "negative_prompt" in body and not isinstance(body["negative_prompt"], str):
        problems.append(("negative_prompt", "str type expected"))
    problems += [(name, "extra fields not permitted") for name in sorted(set(body) - FIELDS)]
    return problems


def _int_in(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def env(base_url: str) -> dict[str, str]:
    """The environment that points fluxweb's provider at an emulator at ``base_url``."""
    return {
        "IMAGEPIPELINE_API_KEY": API_KEY,
        "IMAGEPIPELINE_BASE_URL": base_url,
        "IMAGEPIPELINE_SERVER_ID": SERVER_ID,
    }


if __name__ == "__main__":  # python -m tests.emulators.imagepipeline [PORT [LATENCY]]
    main(ImagePipelineEmulator(), 8769, env)
