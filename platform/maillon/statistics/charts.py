"""Chart geometry for server-rendered SVG: the template draws what these compute.

Coordinates are in the SVG's own units (``WIDTH`` × ``HEIGHT``; the page scales it to its
column). The vertical axis starts at 0 and rises in four steps of a round size (1, 2, 2.5 or 5 ×
10ⁿ, rounded up to a whole number for counts) to at or above the largest value.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 28


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 × 10ⁿ at or above ``value`` (1 for nothing)."""
    if value <= 0:
        return 1.0
    magnitude = 1.0
    while magnitude * 10 <= value:
        magnitude *= 10
    while magnitude > value:
        magnitude /= 10
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


@dataclass
class Axis:
    top: float
    ticks: list[tuple[float, float]] = field(default_factory=list)  # (y, value)


def _axis(largest: float, *, whole: bool = True) -> Axis:
    """Four equal steps of a round size from 0 past ``largest``; whole numbers for counts."""
    step = nice_ceiling(largest / 4)
    if whole:
        step = float(math.ceil(step))
    top = 4 * step
    plot = HEIGHT - TOP - BOTTOM
    return Axis(top, [(TOP + plot - plot * i / 4, step * i) for i in range(5)])


def _y(value: float, axis: Axis) -> float:
    plot = HEIGHT - TOP - BOTTOM
    return round(TOP + plot - plot * value / axis.top, 1)


@dataclass
class Line:
    key: str
    points: str
    values: list[int]
    last: tuple[float, float]


@dataclass
class LineChart:
    axis: Axis
    lines: list[Line]
    labels: list[tuple[float, int]]  # (x, index of the period) for the labelled periods
    width: int = WIDTH
    height: int = HEIGHT


def line_chart(count: int, series: Sequence[tuple[str, Sequence[int]]]) -> LineChart:
    """One line per series over ``count`` periods; about six periods get a label."""
    axis = _axis(max((max(v) for _k, v in series if v), default=0))
    span = WIDTH - LEFT - RIGHT

    def x(i: int) -> float:
        return round(LEFT + (span * i / (count - 1) if count > 1 else span / 2), 1)

    lines = []
    for key, values in series:
        points = [(x(i), _y(v, axis)) for i, v in enumerate(values)]
        lines.append(Line(key, " ".join(f"{px},{py}" for px, py in points), list(values),
                          points[-1] if points else (LEFT, _y(0, axis))))
    every = max(1, -(-count // 6))
    labels = [(x(i), i) for i in range(0, count, every)]
    return LineChart(axis, lines, labels)


@dataclass
class Bar:
    label: str
    value: float
    x: float
    y: float
    width: float
    height: float


@dataclass
class BarChart:
    axis: Axis
    bars: list[Bar]
    width: int = WIDTH
    height: int = HEIGHT


def bar_chart(items: Sequence[tuple[str, float]], top: float | None = None) -> BarChart:
    """One bar per ``(label, value)``; ``top`` fixes the axis (1.0 for rates)."""
    axis = (_axis(top, whole=False) if top is not None
            else _axis(max((v for _l, v in items), default=0)))
    span = WIDTH - LEFT - RIGHT
    slot = span / max(1, len(items))
    width = round(min(64.0, slot * 0.6), 1)
    bars = []
    for i, (label, value) in enumerate(items):
        y = _y(value, axis)
        bars.append(Bar(label, value, round(LEFT + slot * i + (slot - width) / 2, 1), y, width,
                        round(HEIGHT - BOTTOM - y, 1)))
    return BarChart(axis, bars)


def dashboard_figures(data: dict[str, Any], activity: Sequence[str],
                      moderation: Sequence[str]) -> dict[str, LineChart | BarChart]:
    """The statistics page's charts from ``services.dashboard``'s numbers."""
    count = len(data["periods"])
    intro = data["introductions"]
    return {
        "members": line_chart(count, [("total", data["members"]["total"])]),
        "joined": bar_chart([(str(i), v) for i, v in enumerate(data["members"]["joined"])]),
        "activity": line_chart(count, [(k, data["activity"][k]) for k in activity]),
        "moderation": line_chart(count, [(k, data["moderation"][k]) for k in moderation]),
        "by_length": bar_chart([(str(r["hops"]), r["success_rate"] or 0.0)
                                for r in intro["by_length"]], top=1.0),
        "drop_off": bar_chart([(str(r["position"]), r["drop_rate"] or 0.0)
                               for r in intro["drop_off"]], top=1.0),
    }
