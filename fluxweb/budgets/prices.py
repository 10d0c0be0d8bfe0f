"""Estimates from the price table: the admin's :class:`ModelPrice` row when there is one,
else the provider's ``ModelSpec.price`` (the reference default)."""

from __future__ import annotations

from decimal import Decimal

from fluxweb.providers.base import ModelSpec
from fluxweb.providers.pricing import Price
from fluxweb.providers.registry import get_registry

from .models import ModelPrice

DEFAULT_SOURCE = "default from the provider module"


def price_for(spec: ModelSpec) -> Price:
    """The :class:`Price` in force for ``spec`` (one query)."""
    row = ModelPrice.objects.filter(model_id=spec.id).first()
    return row.as_price() if row else spec.price


def estimate_cost(spec: ModelSpec, width: int, height: int, steps: int | None, num_images: int) -> Decimal:
    """Estimated USD for a request: ``num_images`` images of ``width``×``height`` pixels at
    ``steps`` steps (None: the model's default), priced by :func:`price_for`."""
    return price_for(spec).estimate(width, height, steps or spec.default_steps or 1, num_images)


def ensure_prices() -> int:
    """Add a price row, copied from ``ModelSpec.price``, for every enabled model that has
    none; existing rows (maybe edited by an admin) are left alone. Returns rows added."""
    known = set(ModelPrice.objects.values_list("model_id", flat=True))
    missing = [
        ModelPrice.from_price(spec.id, spec.price, DEFAULT_SOURCE)
        for spec in get_registry().models.values()
        if spec.id not in known
    ]
    ModelPrice.objects.bulk_create(missing, ignore_conflicts=True)
    return len(missing)
