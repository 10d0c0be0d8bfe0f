"""Estimates from the price table: the admin's :class:`ModelPrice` row when there is one,
else the provider's ``ModelSpec.price`` (the reference default)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Subquery

from fluxweb.providers.base import ModelSpec
from fluxweb.providers.pricing import Price
from fluxweb.providers.registry import get_registry
from fluxweb.providers.routes import eligible_hosts, is_virtual

from .models import ModelPrice

DEFAULT_SOURCE = "default from the provider module"
# The ModelPrice columns a Price is made of.
PRICE_FIELDS = ("basis", "usd_per_unit", "steps_per_unit", "images_per_hour")


def price_for(spec: ModelSpec) -> Price:
    """The :class:`Price` in force for ``spec`` (one query)."""
    try:
        return ModelPrice.objects.get(model_id=spec.id).as_price()
    except ModelPrice.DoesNotExist:
        return spec.price


def price_columns(model_id: str, prefix: str = "price_") -> dict[str, Subquery]:
    """Annotations reading ``model_id``'s price row (``prefix`` + each of
    :data:`PRICE_FIELDS`, all None without a row), so a query the caller makes anyway
    brings the price along instead of :func:`price_for`'s own round trip. Read the result
    with :func:`price_from_columns`."""
    row = ModelPrice.objects.filter(model_id=model_id)
    return {prefix + name: Subquery(row.values(name)[:1]) for name in PRICE_FIELDS}


def price_from_columns(obj: Any, spec: ModelSpec, prefix: str = "price_") -> Price:
    """The :class:`Price` in force for ``spec`` from an object annotated with
    :func:`price_columns` (no query)."""
    values = {name: getattr(obj, prefix + name) for name in PRICE_FIELDS}
    if values["basis"] is None:
        return spec.price
    return ModelPrice(model_id=spec.id, **values).as_price()


def estimate_with(
    price: Price, spec: ModelSpec, width: int, height: int, steps: int | None, num_images: int
) -> Decimal:
    """Estimated USD for a request at ``price``: ``num_images`` images of ``width``×``height``
    pixels at ``steps`` steps (None: the model's default)."""
    return price.estimate(width, height, steps or spec.default_steps or 1, num_images)


def estimate_cost(
    spec: ModelSpec, width: int, height: int, steps: int | None, num_images: int
) -> Decimal:
    """Estimated USD for a request (see :func:`estimate_with`), priced by :func:`price_for`.

    For a best-price model (:mod:`fluxweb.providers.routes`): the dearest estimate among
    the hosts that take the request (:func:`host_estimates`), so a reservation of it covers
    a failover to any of them; 0 when none does (the form refuses such a request)."""
    if is_virtual(spec.id):
        estimates = host_estimates(spec, width, height, steps, num_images)
        return max((usd for _, usd in estimates), default=Decimal(0))
    return estimate_with(price_for(spec), spec, width, height, steps, num_images)


def host_estimates(
    virtual: ModelSpec, width: int, height: int, steps: int | None, num_images: int
) -> list[tuple[ModelSpec, Decimal]]:
    """The enabled hosts of best-price model ``virtual`` that take the request, each with
    its estimate (USD, from the price table; one query), cheapest first (ties keep the
    registry's display order)."""
    hosts = eligible_hosts(
        virtual, list(get_registry().real_models.values()), width, height, steps, num_images
    )
    rows = {
        row.model_id: row.as_price()
        for row in ModelPrice.objects.filter(model_id__in=[host.id for host in hosts])
    }
    estimates = [
        (host, estimate_with(rows.get(host.id, host.price), host, width, height, steps, num_images))
        for host in hosts
    ]
    return sorted(estimates, key=lambda pair: pair[1])


def ensure_prices() -> int:
    """Add a price row, copied from ``ModelSpec.price``, for every enabled model that has
    none; existing rows (maybe edited by an admin) are left alone. Returns rows added."""
    known = set(ModelPrice.objects.values_list("model_id", flat=True))
    missing = [
        ModelPrice.from_price(spec.id, spec.price, DEFAULT_SOURCE)
        for spec in get_registry().real_models.values()
        if spec.id not in known
    ]
    ModelPrice.objects.bulk_create(missing, ignore_conflicts=True)
    return len(missing)
