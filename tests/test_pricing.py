from decimal import Decimal

import pytest

from fluxweb.providers.pricing import FLUX_DEV, FLUX_SCHNELL, FREE, per_image


@pytest.mark.parametrize(
    ("price", "width", "height", "steps", "images", "expected"),
    [
        # DeepInfra's own worked figures (providers.md §4.4): 1024² @ 1 step $0.0005,
        # @ 4 steps $0.002.
        (FLUX_SCHNELL, 1024, 1024, 1, 1, Decimal("0.0005")),
        (FLUX_SCHNELL, 1024, 1024, 4, 1, Decimal("0.002")),
        # Half the pixels, twice the images: the same money.
        (FLUX_SCHNELL, 512, 1024, 4, 2, Decimal("0.002")),
        (FLUX_SCHNELL, 512, 512, 4, 1, Decimal("0.0005")),
        # dev: $0.009 per 1024² per 25 steps; 28 steps ≈ $0.01008.
        (FLUX_DEV, 1024, 1024, 25, 1, Decimal("0.009")),
        (FLUX_DEV, 1024, 1024, 28, 1, Decimal("0.01008")),
        (FLUX_DEV, 1536, 768, 50, 4, Decimal("0.081")),
        (FREE, 2048, 2048, 50, 4, Decimal("0")),
    ],
)
def test_estimate_follows_deepinfra_formula(price, width, height, steps, images, expected):
    assert price.estimate(width, height, steps, images) == expected


def test_estimate_is_decimal_rounded_to_a_millionth():
    cost = FLUX_SCHNELL.estimate(100, 100, 1, 1)  # 0.0005 × 0.009537 ≈ 0.00000477
    assert isinstance(cost, Decimal)
    assert cost == Decimal("0.000005")


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("0.000750"), "$0.00075"),
        (Decimal("0.002000"), "$0.002"),
        (Decimal("1.5"), "$1.50"),
        (Decimal("12"), "$12.00"),
        (Decimal("0"), "free"),
        (None, "—"),
    ],
)
def test_money_is_shown_at_its_real_precision(value, shown):
    from fluxweb.core.templatetags.fluxweb import usd

    assert usd(value) == shown


def test_flat_per_image_price_ignores_size_and_steps():
    price = per_image("0.008")
    assert price.estimate(512, 512, 1, 1) == Decimal("0.008")
    assert price.estimate(2048, 2048, 8, 3) == Decimal("0.024")
