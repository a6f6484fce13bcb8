"""Bar charts drawn on the server as SVG geometry (no database, no JavaScript). The template draws the
rectangles; the same numbers are always shown in a data table next to the chart."""

from __future__ import annotations

from dataclasses import dataclass

WIDTH = 320
HEIGHT = 160
AXIS = 20  # room under the bars for the first and last label


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: int


@dataclass(frozen=True)
class BarChart:
    title: str
    summary: str
    bars: tuple[Bar, ...]
    max_value: int
    width: int = WIDTH
    height: int = HEIGHT
    axis_y: int = HEIGHT - AXIS


def bar_chart(*, title: str, labels: list[str], values: list[int], summary: str = "") -> BarChart:
    """Scales `values` to bars filling the chart; a zero maximum draws no bars."""
    top = max(values, default=0)
    plot = HEIGHT - AXIS
    slot = WIDTH / max(len(values), 1)
    gap = min(2.0, slot / 4)
    bars = tuple(
        Bar(
            x=round(i * slot + gap / 2, 2),
            y=round(plot - (value / top * plot if top > 0 else 0), 2),
            width=round(slot - gap, 2),
            height=round(value / top * plot if top > 0 else 0, 2),
            label=label,
            value=value,
        )
        for i, (label, value) in enumerate(zip(labels, values, strict=True))
    )
    return BarChart(title=title, summary=summary, bars=bars, max_value=top)
