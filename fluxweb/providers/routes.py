"""Best-price models: one virtual :class:`ModelSpec` per FLUX.1 variant that runs on the
cheapest enabled host of that variant able to make the request, failing over to the next.

A virtual model's id is ``best-price/<family>`` (``best-price/flux-1-schnell``); its
provider is :data:`BEST_PRICE`, which is no real provider. Its limits are the envelope of
its hosts' limits (each bound the widest any host takes), so the form accepts what at
least one host may take; :func:`eligible_hosts` says which hosts take a given request.
The demo provider is never a host. Prices, the order of hosts and the failover itself live
above this app (``fluxweb.budgets.prices`` and ``fluxweb.generations.routing``).
"""

from __future__ import annotations

from math import gcd

from .base import ModelSpec, Range

BEST_PRICE = "best-price"
FAMILY_LABELS = {"flux-1-schnell": "FLUX.1 [schnell]", "flux-1-dev": "FLUX.1 [dev]"}


def family_of(spec: ModelSpec) -> str:
    """The FLUX.1 variant ``spec`` runs (a key of :data:`FAMILY_LABELS`), or ``""``:
    ``spec.family`` when set, else read from its id and wire name ("schnell"/"dev" after
    "flux"). Demo and virtual models have none."""
    if spec.is_demo or spec.provider == BEST_PRICE:
        return ""
    if spec.family:
        return spec.family
    name = f"{spec.id} {spec.api_name}".lower()
    if "flux" not in name:
        return ""
    if "schnell" in name:
        return "flux-1-schnell"
    if "dev" in name:
        return "flux-1-dev"
    return ""


def is_virtual(model_id: str) -> bool:
    """Whether ``model_id`` names a best-price model (``best-price/...``)."""
    return model_id.startswith(f"{BEST_PRICE}/")


def _envelope(ranges: list[Range]) -> Range:
    step = 0
    for bounds in ranges:
        step = gcd(step, bounds.step)
    return Range(min(r.minimum for r in ranges), max(r.maximum for r in ranges), step or 1)


def virtual_spec(family: str, hosts: list[ModelSpec]) -> ModelSpec:
    """The best-price :class:`ModelSpec` of ``family`` over its (non-empty) ``hosts``.

    Sizes are pixels; steps, images and seed are the envelope of the hosts' ranges;
    guidance and negative prompt only when every host takes them. ``price`` is the first
    host's, a placeholder: estimates of a virtual model go through its hosts."""
    first = hosts[0]
    with_steps = [host for host in hosts if host.steps is not None]
    seeds = [host.seed for host in hosts if host.seed is not None]
    guidance = [host.guidance_scale for host in hosts if host.guidance_scale is not None]
    return ModelSpec(
        id=f"{BEST_PRICE}/{family}",
        provider=BEST_PRICE,
        api_name="",
        label=f"{FAMILY_LABELS[family]} · best price",
        width=_envelope([host.width for host in hosts]),
        height=_envelope([host.height for host in hosts]),
        steps=_envelope([host.steps for host in with_steps if host.steps]) if with_steps else None,
        default_steps=(with_steps[0] if with_steps else first).default_steps,
        num_images=_envelope([host.num_images for host in hosts]),
        seed=_envelope(seeds) if seeds else None,
        price=first.price,
        guidance_scale=(
            (max(low for low, _ in guidance), min(high for _, high in guidance))
            if len(guidance) == len(hosts)
            else None
        ),
        default_guidance_scale=first.default_guidance_scale
        if len(guidance) == len(hosts)
        else None,
        negative_prompt=all(host.negative_prompt for host in hosts),
        default_width=first.default_width,
        default_height=first.default_height,
        family=family,
    )


def virtual_specs(models: list[ModelSpec]) -> list[ModelSpec]:
    """A best-price model for each FLUX.1 variant at least one of ``models`` runs."""
    families: dict[str, list[ModelSpec]] = {family: [] for family in FAMILY_LABELS}
    for spec in models:
        if family := family_of(spec):
            families[family].append(spec)
    return [virtual_spec(family, hosts) for family, hosts in families.items() if hosts]


def takes(host: ModelSpec, width: int, height: int, steps: int | None, num_images: int) -> bool:
    """Whether ``host`` can make ``num_images`` images of ``width``×``height`` pixels at
    ``steps`` steps (None: the default). A host without a steps parameter only takes its
    own (assumed) default step count."""
    if not (
        host.width.contains(width)
        and host.height.contains(height)
        and host.num_images.contains(num_images)
    ):
        return False
    if steps is None:
        return True
    if host.steps is None:
        return steps == host.default_steps
    return host.steps.contains(steps)


def eligible_hosts(
    virtual: ModelSpec,
    models: list[ModelSpec],
    width: int,
    height: int,
    steps: int | None,
    num_images: int,
) -> list[ModelSpec]:
    """The real models among ``models`` of ``virtual``'s family that take the request, in
    the order given (the caller sorts them by price)."""
    return [
        spec
        for spec in models
        if family_of(spec) == virtual.family and takes(spec, width, height, steps, num_images)
    ]
