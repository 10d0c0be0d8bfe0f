"""Test data for budgets: prices, quotas and submit payloads, built in code."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fluxweb.budgets.models import ModelPrice, Quota
from fluxweb.budgets.pools import quota_for
from fluxweb.providers.pricing import Basis
from fluxweb.providers.registry import get_registry

DEMO = "demo/placeholder"


def set_price(
    model_id: str = DEMO, usd: str = "0.01", basis: str = Basis.IMAGE, **fields: Any
) -> ModelPrice:
    """Make ``model_id`` cost ``usd`` (per image by default) in the price table."""
    price, _ = ModelPrice.objects.update_or_create(
        model_id=model_id, defaults={"usd_per_unit": Decimal(usd), "basis": basis, **fields}
    )
    return price


def set_quota(user: Any, budget: str | None = "0.10", **fields: Any) -> Quota:
    """The user's quota with ``budget`` USD (None: unlimited) and other fields."""
    quota = quota_for(user)
    for name, value in {
        "budget_usd": Decimal(budget) if budget is not None else None,
        **fields,
    }.items():
        setattr(quota, name, value)
    quota.save()
    return quota


def submit_data(model_id: str = DEMO, **overrides: Any) -> dict[str, Any]:
    """``cleaned_data`` as GenerationForm produces it."""
    data: dict[str, Any] = {
        "prompt": "a lighthouse at dusk",
        "negative_prompt": "",
        "model": get_registry().model(model_id),
        "width": 256,
        "height": 256,
        "num_inference_steps": 4,
        "guidance_scale": None,
        "seed": None,
        "num_images": 1,
    }
    data.update(overrides)
    return data
