"""The provider interface: what fluxweb asks of every image API, and what it gets back.

A provider turns a :class:`GenerationRequest` into a :class:`GenerationResult` (or a
:class:`PendingJob` for APIs that answer "come back later"), raising a
:class:`ProviderError` whose ``retryable`` flag tells the caller whether trying again
may help. Images come back as raw bytes; :mod:`fluxweb.providers.images` checks them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from fluxweb.core.redact import redact

from .pricing import Price


@dataclass(frozen=True)
class Range:
    """Inclusive integer bounds, optionally on a grid (``step``): 512..1536 step 32."""

    minimum: int
    maximum: int
    step: int = 1

    def contains(self, value: int) -> bool:
        return self.minimum <= value <= self.maximum and value % self.step == 0

    def describe(self) -> str:
        if self.minimum == self.maximum:
            return f"exactly {self.minimum}"
        text = f"{self.minimum}–{self.maximum}"
        return f"{text}, a multiple of {self.step}" if self.step > 1 else text


@dataclass(frozen=True)
class ModelSpec:
    """One model as one provider offers it, with the limits that provider documents.

    ``id`` is fluxweb's stable identifier (``"deepinfra/flux-1-schnell"``); ``api_name``
    is what goes on the wire. Sizes are in pixels. A ``None`` steps/seed/guidance range
    means the protocol has no such parameter.
    """

    id: str
    provider: str
    api_name: str
    label: str
    width: Range
    height: Range
    steps: Range | None
    default_steps: int | None
    num_images: Range
    seed: Range | None
    price: Price
    guidance_scale: tuple[float, float] | None = None
    default_guidance_scale: float | None = None
    negative_prompt: bool = False
    is_demo: bool = False
    default_width: int = 1024
    default_height: int = 1024
    # The FLUX.1 variant ("flux-1-schnell", "flux-1-dev") this model is, for best-price
    # routing (fluxweb.providers.routes); "" lets routes.family_of derive it from the id.
    family: str = ""
    # Names of the provider-specific parameters the model takes (fluxweb.providers.options:
    # "enable_safety_checker", "sampler_name", "scheduler", "denoise").
    options: tuple[str, ...] = ()

    def estimate_cost(self, width: int, height: int, steps: int | None, num_images: int) -> Decimal:
        """Estimated USD for a request, from this model's :class:`Price`."""
        return self.price.estimate(width, height, steps or self.default_steps or 1, num_images)


@dataclass(frozen=True)
class GenerationRequest:
    """What the user asked for, already validated against the model's limits.

    ``width``/``height`` in pixels; ``seed`` is the seed to send (fluxweb picks one when
    the user leaves it blank, so every generation is reproducible).
    """

    model: ModelSpec
    prompt: str
    width: int
    height: int
    num_images: int = 1
    num_inference_steps: int | None = None
    guidance_scale: float | None = None
    seed: int | None = None
    negative_prompt: str = ""
    # Provider-specific parameters (fluxweb.providers.options), only those the model takes,
    # already validated: e.g. {"sampler_name": "euler", "denoise": 0.8}.
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class GenerationResult:
    """What a provider returned: image bytes (not yet checked) plus what it reported.

    ``cost_usd`` is the provider's own figure for the call when it reports one;
    ``metadata`` holds small JSON-safe facts worth keeping (request id, credits left);
    ``nsfw`` is the provider's own safety flag per image, in image order (AIML
    ``has_nsfw_concepts``, DeepInfra ``nsfw_content_detected``), None when it reports none.
    """

    images: list[bytes]
    seed: int | None = None
    cost_usd: Decimal | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    nsfw: list[bool] | None = None


@dataclass(frozen=True)
class PendingJob:
    """A job the provider accepted but has not finished; poll it again later.

    ``job_id`` is the provider's id; ``poll_after`` is in seconds.
    """

    job_id: str
    poll_after: float = 2.0
    metadata: dict[str, Any] = field(default_factory=dict)


class ProviderError(Exception):
    """A provider call that did not produce images.

    ``reason`` is a sentence fit to show a user (never contains keys or raw bodies);
    ``retryable`` is True when the same request may succeed later (rate limits, 5xx,
    timeouts), False when it cannot (bad key, no credits, invalid request, bad answer).
    """

    retryable = False

    def __init__(self, reason: str, *, status_code: int | None = None) -> None:
        reason = redact(reason)  # a provider may echo the key back in its error body
        super().__init__(reason)
        self.reason = reason
        self.status_code = status_code


class RetryableProviderError(ProviderError):
    """Try again later: HTTP 429, 5xx, connection errors and timeouts."""

    retryable = True


class AuthenticationError(ProviderError):
    """The provider rejected the API key (HTTP 401, or 403 where that means a bad key)."""


class OutOfCreditsError(ProviderError):
    """The provider account has no credits left (AIML 403, Segmind 406, ...)."""


class InvalidResponseError(ProviderError):
    """The provider answered, but not with something we can use (malformed JSON, no image,
    undecodable or oversized image)."""


class Provider(Protocol):
    """An image API. Implementations live one per module in this package."""

    slug: str
    label: str

    def models(self) -> list[ModelSpec]:
        """The models this provider offers, with their limits and prices."""
        ...

    def generate(self, request: GenerationRequest) -> GenerationResult | PendingJob:
        """Run one request. Raises :class:`ProviderError`."""
        ...

    def poll(self, job: PendingJob) -> GenerationResult | PendingJob:
        """Ask again about a :class:`PendingJob`. Raises :class:`ProviderError`."""
        ...
