"""A small SVG chart builder for the HTML report: panels stacked over one shared x axis.

The report needs line, band, bar and marker panels with a legend, which is a few hundred lines of
SVG text. Drawing them here instead of with matplotlib keeps `sensortrack report` from importing
matplotlib (about a second, most of the command: issue 12), and gives vector figures that print
crisply at any size and whose text a reader can select and search.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from html import escape

WIDTH_PX = 680.0  # drawn at the page's full width (17 cm); the viewBox scales it
FONT_PX = 11.0
LEFT_PX = 78.0  # room for two-line y labels and tick numbers
RIGHT_PX = 14.0
BOTTOM_PX = 40.0  # x tick labels and the x label
PANEL_GAP_PX = 12.0
LEGEND_ROW_PX = 18.0
GRID = "#dddddd"
INK = "#222222"

HATCHES = {"///": "M-1,1 l2,-2 M0,6 l6,-6 M5,7 l2,-2", "xx": "M0,0 l6,6 M6,0 l-6,6"}


def _f(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".")


def nice_ticks(lo: float, hi: float, count: int = 5, *, integer: bool = False) -> list[float]:
    """Round tick values (1, 2 or 5 × 10^k apart) covering [lo, hi] with about `count` ticks."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo] if math.isfinite(lo) else []
    raw = (hi - lo) / max(1, count)
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1.0, 2.0, 5.0, 10.0) if m * power >= raw)
    if integer:
        step = max(1.0, round(step))
    first = math.ceil(lo / step - 1e-9) * step
    return [first + k * step for k in range(int((hi - first) / step + 1e-9) + 1)]


def tick_text(v: float) -> str:
    return f"{v:.0f}" if abs(v - round(v)) < 1e-9 else f"{v:g}"


@dataclass
class LegendItem:
    label: str
    kind: str  # "line", "patch", "marker"
    colour: str
    dash: str | None = None
    hatch: str | None = None
    opacity: float = 1.0
    marker: str = "o"
    fill: str | None = None


@dataclass
class Panel:
    """One plotting area; values are mapped into it by its y range and the figure's x range."""

    figure: Figure
    top_px: float
    height_px: float
    y_lo: float = 0.0
    y_hi: float = 1.0
    y_label: str = ""
    y_integer: bool = False
    index: int = 0
    body: list[str] = field(default_factory=list)  # clipped to the panel
    over: list[str] = field(default_factory=list)  # drawn unclipped (markers on the axis, labels)

    def set_y(self, lo: float, hi: float) -> None:
        self.y_lo, self.y_hi = lo, hi if hi > lo else lo + 1.0

    def x(self, v: float) -> float:
        return self.figure.x(v)

    def y(self, v: float) -> float:
        share = (v - self.y_lo) / (self.y_hi - self.y_lo)
        return self.top_px + self.height_px * (1.0 - share)

    def band(self, x0: float, x1: float, fill: str, opacity: float, hatch: str | None = None) -> None:
        """A full-height span from x0 to x1 (e.g. a rep), optionally hatched."""
        a, b = self.x(x0), self.x(x1)
        rect = f'x="{_f(a)}" y="{_f(self.top_px)}" width="{_f(max(b - a, 0.5))}" height="{_f(self.height_px)}"'
        if fill != "none":
            self.body.append(f'<rect {rect} fill="{fill}" fill-opacity="{opacity:g}"/>')
        if hatch:
            self.body.append(f'<rect {rect} fill="url(#{self.figure.hatch_id(hatch, fill if fill != "none" else "#6b6b6b")})"/>')

    def line(self, xs: Sequence[float], ys: Sequence[float], colour: str, width: float = 1.3,
             dash: str | None = None) -> None:
        """A polyline, broken where a value is missing (NaN or None)."""
        runs: list[list[str]] = [[]]
        for xv, yv in zip(xs, ys, strict=True):
            if yv is None or not math.isfinite(yv) or not math.isfinite(xv):
                runs.append([])
            else:
                runs[-1].append(f"{_f(self.x(xv))},{_f(self.y(yv))}")
        for run in runs:
            if len(run) > 1:
                self.body.append(
                    f'<polyline points="{" ".join(run)}" fill="none"{_stroke(colour, width, dash)} stroke-linejoin="round"/>'
                )

    def hline(self, v: float, colour: str, dash: str | None = "5 3", width: float = 1.2) -> None:
        """A line across the whole panel at value v (a threshold)."""
        y = self.y(v)
        self.body.append(_segment(LEFT_PX, y, WIDTH_PX - RIGHT_PX, y, _stroke(colour, width, dash)))

    def vline(self, xv: float, colour: str, dash: str | None = "2 2", width: float = 0.9) -> None:
        """A line over the panel's whole height at x (a set boundary)."""
        x = self.x(xv)
        self.body.append(_segment(x, self.top_px, x, self.top_px + self.height_px, _stroke(colour, width, dash)))

    def bar(self, xv: float, width: float, lo: float, hi: float, fill: str, *, opacity: float = 1.0,
            hatch: str | None = None) -> None:
        a, b = self.x(xv - width / 2), self.x(xv + width / 2)
        top, bottom = self.y(max(lo, hi)), self.y(min(lo, hi))
        rect = f'x="{_f(a)}" y="{_f(top)}" width="{_f(b - a)}" height="{_f(max(bottom - top, 0.0))}"'
        self.body.append(f'<rect {rect} fill="{fill}" fill-opacity="{opacity:g}"/>')
        if hatch:
            self.body.append(f'<rect {rect} fill="url(#{self.figure.hatch_id(hatch, "#ffffff")})"/>')

    def markers(self, xs: Sequence[float], ys: Sequence[float | None], shape: str, size: float, colour: str,
                *, fill: str | None = None, edge: str | None = None) -> None:
        for xv, yv in zip(xs, ys, strict=True):
            if yv is None or not math.isfinite(yv):
                continue
            self.over.append(marker_svg(shape, self.x(xv), self.y(yv), size, fill or colour, edge or colour))

    def text(self, xv: float, yv: float, text: str, *, anchor: str = "start", colour: str = INK,
             size: float = FONT_PX) -> None:
        self.over.append(
            f'<text x="{_f(self.x(xv))}" y="{_f(self.y(yv))}" text-anchor="{anchor}" font-size="{size:g}"'
            f' fill="{colour}">{escape(text)}</text>'
        )

    def note(self, text: str) -> None:
        """Say in the middle of an empty panel why it is empty."""
        cx = (LEFT_PX + WIDTH_PX - RIGHT_PX) / 2
        self.over.append(
            f'<text x="{_f(cx)}" y="{_f(self.top_px + self.height_px / 2)}" text-anchor="middle"'
            f' font-size="{FONT_PX:g}" fill="#6b6b6b">{escape(text)}</text>'
        )


def _stroke(colour: str, width: float, dash: str | None) -> str:
    """A line's stroke attributes (leading space included)."""
    return f' stroke="{colour}" stroke-width="{width:g}"' + (f' stroke-dasharray="{dash}"' if dash else "")


def _segment(x1: float, y1: float, x2: float, y2: float, stroke: str) -> str:
    return f'<line x1="{_f(x1)}" x2="{_f(x2)}" y1="{_f(y1)}" y2="{_f(y2)}"{stroke}/>'


def marker_svg(shape: str, x: float, y: float, size: float, fill: str, edge: str) -> str:
    r = size / 2
    paint = f'fill="{fill}" stroke="{edge}" stroke-width="1.2"'
    if shape == "s":
        return f'<rect x="{_f(x - r)}" y="{_f(y - r)}" width="{_f(size)}" height="{_f(size)}" {paint}/>'
    if shape == "v":  # a downward triangle pointing at the value
        return f'<polygon points="{_f(x - r)},{_f(y - r * 1.6)} {_f(x + r)},{_f(y - r * 1.6)} {_f(x)},{_f(y)}" {paint}/>'
    if shape == "D":
        return f'<polygon points="{_f(x)},{_f(y - r)} {_f(x + r)},{_f(y)} {_f(x)},{_f(y + r)} {_f(x - r)},{_f(y)}" {paint}/>'
    if shape == "^":
        return f'<polygon points="{_f(x - r)},{_f(y + r)} {_f(x + r)},{_f(y + r)} {_f(x)},{_f(y - r)}" {paint}/>'
    return f'<circle cx="{_f(x)}" cy="{_f(y)}" r="{_f(r)}" {paint}/>'


class Figure:
    """Panels stacked top to bottom over one x range, a legend above them and an x axis below."""

    def __init__(self, panel_heights_px: Sequence[float], x_lo: float, x_hi: float, *, legend_rows: int = 1) -> None:
        self.x_lo, self.x_hi = x_lo, x_hi if x_hi > x_lo else x_lo + 1.0
        self.legend_rows = legend_rows
        self._top_px = 6.0 + LEGEND_ROW_PX * legend_rows
        self.panels: list[Panel] = []
        y = self._top_px
        for i, h in enumerate(panel_heights_px):
            self.panels.append(Panel(self, y, h, index=i))
            y += h + PANEL_GAP_PX
        self.height_px = y - PANEL_GAP_PX + BOTTOM_PX
        self.legend: list[LegendItem] = []
        self.x_label = ""
        self.x_ticks: list[float] = []
        self.x_tick_text: Callable[[float], str] = tick_text
        self._hatches: dict[tuple[str, str], str] = {}

    def x(self, v: float) -> float:
        share = (v - self.x_lo) / (self.x_hi - self.x_lo)
        return LEFT_PX + (WIDTH_PX - LEFT_PX - RIGHT_PX) * share

    def hatch_id(self, hatch: str, colour: str) -> str:
        key = (hatch, colour)
        if key not in self._hatches:
            self._hatches[key] = f"h{len(self._hatches)}"
        return self._hatches[key]

    def to_svg(self, title: str) -> str:
        content = self._panels_svg() + self._legend_svg()  # first: they name the hatch patterns used
        defs = [
            f'<pattern id="{pid}" patternUnits="userSpaceOnUse" width="6" height="6">'
            f'<path d="{HATCHES[hatch]}" stroke="{colour}" stroke-width="1"/></pattern>'
            for (hatch, colour), pid in self._hatches.items()
        ]
        defs += [
            f'<clipPath id="c{p.index}"><rect x="{_f(LEFT_PX)}" y="{_f(p.top_px)}"'
            f' width="{_f(WIDTH_PX - LEFT_PX - RIGHT_PX)}" height="{_f(p.height_px)}"/></clipPath>'
            for p in self.panels
        ]
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_f(WIDTH_PX)} {_f(self.height_px)}"'
            f' width="{_f(WIDTH_PX)}" height="{_f(self.height_px)}" font-family="Helvetica, Arial, sans-serif"'
            f' role="img"><title>{escape(title)}</title><defs>{"".join(defs)}</defs>{content}</svg>'
        )

    def _panels_svg(self) -> str:
        parts: list[str] = []
        right = WIDTH_PX - RIGHT_PX
        for p in self.panels:
            bottom = p.top_px + p.height_px
            for v in nice_ticks(p.y_lo, p.y_hi, 4, integer=p.y_integer):
                y = p.y(v)
                parts.append(_segment(LEFT_PX, y, right, y, _stroke(GRID, 0.7, None)))
                parts.append(f'<text x="{_f(LEFT_PX - 5)}" y="{_f(y)}" dy="0.35em" text-anchor="end" font-size="{FONT_PX - 1:g}"'
                             f' fill="{INK}">{tick_text(v)}</text>')
            parts.append(f'<g clip-path="url(#c{p.index})">{"".join(p.body)}</g>')
            axis = _stroke(INK, 0.8, None)
            parts.append(_segment(LEFT_PX, p.top_px, LEFT_PX, bottom, axis))
            parts.append(_segment(LEFT_PX, bottom, right, bottom, axis))
            mid = p.top_px + p.height_px / 2
            for k, line in enumerate(p.y_label.split("\n")):  # rotated, one line per row, centred on the panel
                x = 14.0 + k * (FONT_PX + 2)
                parts.append(f'<text transform="translate({_f(x)},{_f(mid)}) rotate(-90)" text-anchor="middle"'
                             f' font-size="{FONT_PX:g}" fill="{INK}">{escape(line)}</text>')
            parts.extend(p.over)
        last = self.panels[-1]
        axis_y = last.top_px + last.height_px
        for v in self.x_ticks:
            x = self.x(v)
            if LEFT_PX - 0.5 <= x <= right + 0.5:
                parts.append(_segment(x, axis_y, x, axis_y + 4, _stroke(INK, 0.8, None)))
                parts.append(f'<text x="{_f(x)}" y="{_f(axis_y + 15)}" text-anchor="middle" font-size="{FONT_PX - 1:g}"'
                             f' fill="{INK}">{escape(self.x_tick_text(v))}</text>')
        parts.append(f'<text x="{_f((LEFT_PX + right) / 2)}" y="{_f(axis_y + 32)}" text-anchor="middle"'
                     f' font-size="{FONT_PX:g}" fill="{INK}">{escape(self.x_label)}</text>')
        return "".join(parts)

    def _legend_svg(self) -> str:
        """Legend entries in rows above the panels, centred, so they never cover data."""
        rows: list[list[tuple[LegendItem, float]]] = [[]]
        widths = [0.0]
        limit = WIDTH_PX - 20
        for item in self.legend:
            w = 26 + 0.55 * FONT_PX * len(item.label) + 14
            if widths[-1] + w > limit and rows[-1]:
                rows.append([])
                widths.append(0.0)
            rows[-1].append((item, w))
            widths[-1] += w
        out = []
        for r, (row, total) in enumerate(zip(rows, widths, strict=True)):
            x = (WIDTH_PX - total) / 2
            y = 12.0 + r * LEGEND_ROW_PX
            for item, w in row:
                out.append(self._legend_key(item, x, y))
                out.append(f'<text x="{_f(x + 24)}" y="{_f(y)}" dy="0.35em" font-size="{FONT_PX - 1:g}" fill="{INK}">'
                           f'{escape(item.label)}</text>')
                x += w
        return "".join(out)

    def _legend_key(self, item: LegendItem, x: float, y: float) -> str:
        if item.kind == "line":
            key = _segment(x, y, x + 18, y, _stroke(item.colour, 1.6, item.dash))
            if item.marker and item.fill is not None:
                key += marker_svg(item.marker, x + 9, y, 6, item.fill, item.colour)
            return key
        if item.kind == "marker":
            return marker_svg(item.marker, x + 9, y, 8, item.fill or item.colour, item.colour)
        rect = f'x="{_f(x + 2)}" y="{_f(y - 5)}" width="14" height="10"'
        key = f'<rect {rect} fill="{item.colour}" fill-opacity="{item.opacity:g}"/>' if item.colour != "none" else ""
        if item.hatch:
            key += f'<rect {rect} fill="url(#{self.hatch_id(item.hatch, "#6b6b6b" if item.colour == "none" else "#ffffff")})"/>'
        return key
