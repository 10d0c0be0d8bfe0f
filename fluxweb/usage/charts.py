"""Server-rendered SVG charts: the geometry of a stacked bar chart (one bar per day, one
colour per series), drawn by ``templates/usage/_bar_chart.html``. No JavaScript."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_CEILING, Decimal

from fluxweb.core.money import format_usd

# Colour-blind-safe palette (Okabe & Ito), repeated when there are more series.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    title: str


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass
class BarChart:
    """A stacked bar chart in SVG user units (pixels): ``width``×``height`` overall."""

    title: str
    width: int
    height: int
    plot_left: int
    plot_top: int
    plot_bottom: int
    bars: list[Bar] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)
    x_ticks: list[Tick] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)  # (colour, name)

    @property
    def plot_right(self) -> int:
        return self.width - 10

    @property
    def empty(self) -> bool:
        return not self.bars


def nice_ceiling(value: Decimal) -> Decimal:
    """The smallest of 1, 2, 2.5, 5 × 10ⁿ at or above ``value`` (a readable axis top)."""
    if value <= 0:
        return Decimal(1)
    exponent = value.adjusted()
    for step in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10)):
        candidate = step.scaleb(exponent)
        if candidate >= value:
            return candidate
    return Decimal(10).scaleb(exponent)


def stacked_bars(
    title: str,
    days: list[date],
    series: dict[str, dict[date, Decimal]],
    *,
    width: int = 720,
    height: int = 240,
) -> BarChart:
    """One bar per day in ``days``, stacked from ``series`` (name → day → USD)."""
    chart = BarChart(title, width, height, plot_left=70, plot_top=10, plot_bottom=height - 30)
    chart.legend = [(PALETTE[i % len(PALETTE)], name) for i, name in enumerate(series)]
    totals = [
        sum((values.get(day, Decimal(0)) for values in series.values()), Decimal(0)) for day in days
    ]
    top = nice_ceiling(max(totals, default=Decimal(0)))
    plot_height = chart.plot_bottom - chart.plot_top
    slot = (chart.plot_right - chart.plot_left) / max(1, len(days))
    bar_width = max(1.0, slot * 0.7)

    def y_of(amount: Decimal) -> float:
        return chart.plot_bottom - float(amount / top) * plot_height

    for index, day in enumerate(days):
        x = chart.plot_left + index * slot + (slot - bar_width) / 2
        base = Decimal(0)
        for (colour, name), values in zip(chart.legend, series.values(), strict=True):
            amount = values.get(day, Decimal(0))
            if amount <= 0:
                continue
            y_top, y_bottom = y_of(base + amount), y_of(base)
            chart.bars.append(
                Bar(
                    round(x, 2),
                    round(y_top, 2),
                    round(bar_width, 2),
                    round(y_bottom - y_top, 2),
                    colour,
                    f"{day:%-d %b}: {name} {format_usd(amount)}",
                )
            )
            base += amount
    for fraction in (Decimal(0), Decimal("0.25"), Decimal("0.5"), Decimal("0.75"), Decimal(1)):
        amount = (top * fraction).quantize(Decimal("0.000001"), rounding=ROUND_CEILING)
        chart.y_ticks.append(Tick(round(y_of(amount), 2), format_usd(amount)))
    every = max(1, len(days) // 8)
    for index, day in enumerate(days):
        if index % every == 0:
            chart.x_ticks.append(
                Tick(round(chart.plot_left + (index + 0.5) * slot, 2), f"{day:%-d %b}")
            )
    return chart
