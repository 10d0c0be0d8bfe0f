"""The offline demo provider: a labelled placeholder picture, no network, no key.

Deterministic: the same (prompt, seed) always gives the same pixels, so remixing a demo
generation with its seed reproduces it. It is never presented as FLUX.
"""

from __future__ import annotations

import hashlib
import io
import random
import textwrap
import time

from PIL import Image, ImageDraw, ImageFont

from .base import GenerationRequest, GenerationResult, ModelSpec, PendingJob, Range
from .declaration import EnvVar, ProviderInfo
from .pricing import FREE

LABEL = "Demo (offline)"
# On by default, so a fresh install generates something; FLUXWEB_DEMO_PROVIDER=0 hides it.
ENABLED = EnvVar("FLUXWEB_DEMO_PROVIDER", kind="bool", default=True, enables=True)
# Seconds the demo pretends to work, so the queued/running states are visible.
DELAY = EnvVar("FLUXWEB_DEMO_DELAY", kind="float", default=1.0)

INFO: ProviderInfo = ProviderInfo(
    "demo",
    LABEL,
    env=(ENABLED, DELAY),
    build=lambda values: DemoProvider(delay=values[DELAY.name]),
)


class DemoProvider:
    """Renders PNG placeholders with Pillow; ``delay`` seconds simulate inference time."""

    slug = INFO.slug
    label = INFO.label

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay

    def models(self) -> list[ModelSpec]:
        return [
            ModelSpec(
                id="demo/placeholder",
                provider=self.slug,
                api_name="placeholder",
                label=f"{LABEL} placeholder, not FLUX",
                width=Range(64, 2048, 8),
                height=Range(64, 2048, 8),
                steps=Range(1, 50),
                default_steps=4,
                num_images=Range(1, 4),
                seed=Range(0, 2**31 - 1),
                price=FREE,
                negative_prompt=True,
                is_demo=True,
            )
        ]

    def generate(self, request: GenerationRequest) -> GenerationResult:
        if self.delay:
            time.sleep(self.delay)
        seed = request.seed if request.seed is not None else 0
        images = [
            render_placeholder(request.prompt, seed + index, request.width, request.height)
            for index in range(request.num_images)
        ]
        return GenerationResult(images=images, seed=seed, cost_usd=None)

    def poll(self, job: PendingJob) -> GenerationResult:
        raise NotImplementedError("the demo provider never answers PENDING")


def render_placeholder(prompt: str, seed: int, width: int, height: int) -> bytes:
    """A PNG of ``width``×``height`` pixels: seeded colours and shapes, the label and prompt."""
    digest = hashlib.sha256(f"{seed}\x00{prompt}".encode()).digest()
    rng = random.Random(digest)
    top = tuple(rng.randrange(40, 200) for _ in range(3))
    bottom = tuple(rng.randrange(40, 200) for _ in range(3))
    gradient = Image.linear_gradient("L").resize((width, height))
    image = Image.composite(
        Image.new("RGB", (width, height), bottom), Image.new("RGB", (width, height), top), gradient
    )
    draw = ImageDraw.Draw(image, "RGBA")
    for _ in range(12):
        radius = rng.randrange(max(4, min(width, height) // 20), max(8, min(width, height) // 4))
        x, y = rng.randrange(width), rng.randrange(height)
        colour = (*(rng.randrange(256) for _ in range(3)), 110)
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=colour)

    size = max(10, min(width, height) // 14)
    font = ImageFont.load_default(size=size)
    small = ImageFont.load_default(size=max(8, size * 2 // 3))
    draw.rectangle((0, 0, width, size * 2), fill=(0, 0, 0, 170))
    draw.text((size // 2, size // 2), f"{LABEL} · seed {seed}", font=font, fill="white")
    chars_per_line = max(10, int(width / (size * 0.38)))
    lines = textwrap.wrap(prompt, chars_per_line)[: max(1, (height // 2) // size)]
    draw.multiline_text(
        (size // 2, size * 3), "\n".join(lines), font=small, fill=(255, 255, 255, 235)
    )

    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
