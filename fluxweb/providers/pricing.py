"""Prices of provider models, as money (Decimal USD), never floats.

A :class:`Price` says what one image costs on one of three honest bases, because hosts
bill differently: per pixel and step (DeepInfra), a flat amount per image (AIML, Segmind,
Replicate), or per hour of a dedicated server (ImagePipeline's legacy FLUX servers), where
a per-request figure only exists under an assumed throughput. Admins can override every
default in the budgets price table (``fluxweb.budgets``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

MEGAPIXEL_SIDE = 1024
USD_PLACES = Decimal("0.000001")


class Basis(StrEnum):
    """What ``Price.usd_per_unit`` is paid for."""

    PIXEL_STEP = "pixel_step"  # per 1024×1024 pixels per `steps_per_unit` steps, per image
    IMAGE = "image"  # per image, whatever its size and steps
    HOUR = "hour"  # per hour of server time, `images_per_hour` images assumed per hour


@dataclass(frozen=True)
class Price:
    """The price of one model, per image.

    - ``Basis.PIXEL_STEP`` (default), DeepInfra's formula:
      ``usd_per_unit × (width/1024) × (height/1024) × (steps/steps_per_unit)``.
      FLUX-1-schnell is ``0.0005`` per step (``steps_per_unit=1``), FLUX-1-dev ``0.009``
      per 25 steps (DeepInfra model pages, ``shared/providers.md`` §4.4).
    - ``Basis.IMAGE``: ``usd_per_unit`` per image (e.g. Segmind's "~$0.008 per run").
    - ``Basis.HOUR``: ``usd_per_unit`` per server hour, spread over ``images_per_hour``
      images (an assumption the admin states, since the host bills time, not images).

    A free model has ``usd_per_unit=0``. Results are rounded to a millionth of a dollar.
    """

    usd_per_unit: Decimal
    steps_per_unit: int = 1
    basis: Basis = Basis.PIXEL_STEP
    images_per_hour: int | None = None

    def __post_init__(self) -> None:
        if self.usd_per_unit < 0 or self.steps_per_unit < 1:
            raise ValueError("a price needs usd_per_unit >= 0 and steps_per_unit >= 1")
        if self.basis == Basis.HOUR and not self.images_per_hour:
            raise ValueError("an hourly price needs images_per_hour (the assumed throughput)")

    @classmethod
    def per_image(cls, usd: Decimal) -> Price:
        """A flat ``usd`` per image."""
        return cls(usd, basis=Basis.IMAGE)

    @classmethod
    def per_hour(cls, usd: Decimal, images_per_hour: int) -> Price:
        """``usd`` per server hour, assuming ``images_per_hour`` images fill an hour."""
        return cls(usd, basis=Basis.HOUR, images_per_hour=images_per_hour)

    def estimate(self, width: int, height: int, steps: int, num_images: int) -> Decimal:
        """USD for ``num_images`` images of ``width``×``height`` pixels at ``steps`` steps."""
        if self.basis == Basis.IMAGE:
            cost = self.usd_per_unit * num_images
        elif self.basis == Basis.HOUR:
            cost = self.usd_per_unit / Decimal(self.images_per_hour or 1) * num_images
        else:
            cost = (
                self.usd_per_unit
                * Decimal(width)
                / MEGAPIXEL_SIDE
                * Decimal(height)
                / MEGAPIXEL_SIDE
                * Decimal(steps)
                / self.steps_per_unit
                * num_images
            )
        return cost.quantize(USD_PLACES, rounding=ROUND_HALF_UP)

    def describe(self) -> str:
        """The price in words: ``"$0.0005 per 1024² px per step"``, ``"$0.004 per image"``."""
        amount = f"${self.usd_per_unit.normalize():f}"
        if self.usd_per_unit == 0:
            return "free"
        if self.basis == Basis.IMAGE:
            return f"{amount} per image"
        if self.basis == Basis.HOUR:
            return f"{amount} per server hour (≈{self.images_per_hour} images/hour assumed)"
        steps = "step" if self.steps_per_unit == 1 else f"{self.steps_per_unit} steps"
        return f"{amount} per 1024² px per {steps}"


def per_image(usd: str) -> Price:
    """A flat price of ``usd`` (a decimal string) per image, whatever its size and steps."""
    return Price.per_image(Decimal(usd))


FREE = Price(Decimal("0"))
FLUX_SCHNELL = Price(Decimal("0.0005"), steps_per_unit=1)
FLUX_DEV = Price(Decimal("0.009"), steps_per_unit=25)
