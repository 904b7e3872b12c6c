"""Charts as SVG made on the server (no script, no web font): the geometry of a funnel's bars,
a line chart of counts over time and a bar chart of two counts over time. Templates draw
them; each chart has a text alternative and its numbers in a table beside it."""

from dataclasses import dataclass
from datetime import date

WIDTH, HEIGHT = 600, 180  # the line and bar charts' drawing, in SVG units
LEFT, BOTTOM, TOP = 44, 22, 8  # room for the axis labels


@dataclass
class FunnelBar:
    key: str  # a CSS class: bar-<key>
    label: str
    value: int
    width: float  # percent of the drawing (the targeted count is 100)
    y: int
    share: float | None  # of the targeted


def funnel(steps: list[tuple[str, str, int]], total: int, *, row: int = 26) -> list[FunnelBar]:
    """One bar per step (key, label, count), as wide as its share of `total`."""
    bars = []
    for index, (key, label, value) in enumerate(steps):
        share = value / total if total else None
        bars.append(FunnelBar(key, label, value, round(100 * (share or 0), 2), index * row, share))
    return bars


@dataclass
class Series:
    key: str
    label: str
    points: str  # SVG polyline points


@dataclass
class Axis:
    top: int  # the value at the top of the drawing
    ticks: list[tuple[float, int]]  # (y, value)
    labels: list[tuple[float, str]]  # (x, the day's label)


def nice_top(value: int) -> int:
    """A round number at or above the largest value (1, 2 or 5 times a power of ten)."""
    if value <= 0:
        return 1
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def _x(index: int, count: int) -> float:
    usable = WIDTH - LEFT - 8
    return round(LEFT + (usable * index / (count - 1) if count > 1 else usable / 2), 1)


def _y(value: int, top: int) -> float:
    return round(TOP + (HEIGHT - TOP - BOTTOM) * (1 - value / top), 1)


def _axis(days: list[date], top: int, label_of) -> Axis:
    ticks = [(_y(value, top), value) for value in (0, top // 2, top)]
    picks = sorted({0, len(days) // 2, len(days) - 1}) if days else []
    labels = [(_x(i, len(days)), label_of(days[i])) for i in picks]
    return Axis(top, ticks, labels)


def lines(days: list[date], series: list[tuple[str, str, list[int]]], label_of):
    """A line per series (key, label, one value per day) over the days; with its axis."""
    top = nice_top(max((max(values, default=0) for _, _, values in series), default=0))
    drawn = [
        Series(
            key,
            label,
            " ".join(f"{_x(i, len(values))},{_y(value, top)}" for i, value in enumerate(values)),
        )
        for key, label, values in series
    ]
    return drawn, _axis(days, top, label_of)


@dataclass
class Column:
    x: float
    width: float
    parts: list[tuple[str, float, float]]  # (key, y, height), stacked from the bottom


def columns(days: list[date], stacked: list[tuple[str, list[int]]], label_of):
    """A column per day, its values stacked (key, one value per day); with its axis."""
    totals = [sum(values[i] for _, values in stacked) for i in range(len(days))]
    top = nice_top(max(totals, default=0))
    slot = (WIDTH - LEFT - 8) / max(len(days), 1)
    drawn = []
    for i in range(len(days)):
        base, parts = 0, []
        for key, values in stacked:
            if values[i]:
                parts.append(
                    (
                        key,
                        _y(base + values[i], top),
                        round(_y(base, top) - _y(base + values[i], top), 1),
                    )
                )
                base += values[i]
        drawn.append(Column(round(LEFT + slot * i + slot * 0.15, 1), round(slot * 0.7, 1), parts))
    axis = _axis(days, top, label_of)
    axis.labels = (
        [
            (round(LEFT + slot * (i + 0.5), 1), label_of(days[i]))
            for i in sorted({0, len(days) // 2, len(days) - 1})
        ]
        if days
        else []
    )
    return drawn, axis
