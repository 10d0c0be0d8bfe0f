"""Prices of provider models, as money (Decimal USD), never floats."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

MEGAPIXEL_SIDE = 1024
USD_PLACES = Decimal("0.000001")


@dataclass(frozen=True)
class Price:
    """A model's price per image, declared as data.

    By default DeepInfra's per-pixel-per-step formula:
    ``usd_per_unit × (width/1024) × (height/1024) × (steps/steps_per_unit)``.
    FLUX-1-schnell is ``0.0005`` per step (``steps_per_unit=1``), FLUX-1-dev ``0.009`` per
    25 steps (DeepInfra model pages, ``shared/providers.md`` §4.4).

    Providers that charge per run set ``per_pixel=False`` and ``per_step=False``: then
    ``usd_per_unit`` is USD per image whatever its size and steps (Segmind's "~$0.008 per
    run"). A free model has ``usd_per_unit=0``. Results are rounded to a millionth of a
    dollar.
    """

    usd_per_unit: Decimal
    steps_per_unit: int = 1
    per_pixel: bool = True
    per_step: bool = True

    def estimate(self, width: int, height: int, steps: int, num_images: int) -> Decimal:
        """USD for ``num_images`` images of ``width``×``height`` pixels at ``steps`` steps."""
        cost = self.usd_per_unit * num_images
        if self.per_pixel:
            cost = cost * Decimal(width) / MEGAPIXEL_SIDE * Decimal(height) / MEGAPIXEL_SIDE
        if self.per_step:
            cost = cost * Decimal(steps) / self.steps_per_unit
        return cost.quantize(USD_PLACES, rounding=ROUND_HALF_UP)


def per_image(usd: str) -> Price:
    """A flat price of ``usd`` (a decimal string) per image, whatever its size and steps."""
    return Price(Decimal(usd), per_pixel=False, per_step=False)


FREE = Price(Decimal("0"))
FLUX_SCHNELL = Price(Decimal("0.0005"), steps_per_unit=1)
FLUX_DEV = Price(Decimal("0.009"), steps_per_unit=25)
