"""Figures for the HTML report, as SVG (sensortrack/library/svg_chart.py: no matplotlib to import).

Sized for an A4 page (17 cm wide), with the Okabe–Ito palette, which stays distinguishable with the
common colour-vision deficiencies and in greyscale print (Okabe & Ito 2008, "Color Universal Design").
Warnings use vermillion AND a marker or hatch, never colour alone.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from sensortrack.library.records import RepRow, SessionRecord, SetRow
from sensortrack.library.svg_chart import Figure, LegendItem, nice_ticks
from sensortrack.core.model import FloatArray, Gap

BLUE = "#0072B2"
ORANGE = "#E69F00"
SKY = "#56B4E9"
GREEN = "#009E73"
VERMILLION = "#D55E00"
GREY = "#6b6b6b"
BLACK = "#000000"
# Left and right differ in colour, marker, fill, line style and size: identical values stay visible.
SIDE_STYLE = {"left": (BLUE, "o", None, BLUE, 7.0), "right": (ORANGE, "s", "6 3", "#ffffff", 9.0)}
OTHER_SIDE = (GREY, "^", "2 2", GREY, 8.0)
# A line drawn through more points than the page has pixel columns only grows the file: beyond this
# many samples each column keeps its lowest and highest value, which draws the same picture.
MAX_LINE_POINTS = 1600


def svg_data_uri(svg: str) -> str:
    """The figure as an <img> source: self-contained, scalable, and read out by its alt text."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _envelope(t_s: FloatArray, values: FloatArray, columns: int) -> tuple[FloatArray, FloatArray]:
    """At most ~2 points per column: each column's minimum and maximum in time order (NaN kept as
    breaks), so peaks stay at their true height however long the recording."""
    if t_s.size <= MAX_LINE_POINTS:
        return t_s, values
    edges = np.linspace(0, t_s.size, columns + 1).astype(int)
    out_t: list[float] = []
    out_v: list[float] = []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        chunk = values[lo:hi]
        finite = np.isfinite(chunk)
        if not finite.any():
            out_t.append(float(t_s[lo]))
            out_v.append(math.nan)
            continue
        idx = np.flatnonzero(finite)
        a = int(idx[np.argmin(chunk[idx])])
        b = int(idx[np.argmax(chunk[idx])])
        for k in sorted({a, b}):
            out_t.append(float(t_s[lo + k]))
            out_v.append(float(chunk[k]))
        if not finite.all():
            out_t.append(float(t_s[lo + int(np.flatnonzero(~finite)[0])]))
            out_v.append(math.nan)
    return np.asarray(out_t), np.asarray(out_v)


@dataclass(frozen=True, slots=True)
class LegTrace:
    """One leg's angle and knee-drift traces (left + right sessions plot both legs)."""

    side: str
    t_s: FloatArray
    angle_deg: FloatArray
    drift_deg: FloatArray


def segment_angle_figure(
    t_s: FloatArray,
    angle_deg: FloatArray,
    drift_deg: FloatArray,
    reps: Sequence[RepRow],
    sets: Sequence[SetRow],
    gaps: Sequence[Gap],
    *,
    threshold_deg: float,
    segment: str,
    drift_defined: bool,
    legs: tuple[LegTrace, LegTrace] | None = None,
) -> str:
    """Segment angle over time with reps shaded and drift-warning reps marked; knee drift below.
    `legs`: a left + right session's two traces (then `t_s`/`angle_deg`/`drift_deg` are the first's),
    each leg in its own colour and line style, its reps and warnings on its own trace."""
    two = legs is not None
    # (trace, its angle's legend label, its drift's, colour of the angle, of the drift, dash)
    drawn: list[tuple[LegTrace, str, str, str, str, str | None]]
    if legs is None:
        drawn = [(LegTrace("", t_s, angle_deg, drift_deg), f"{segment} angle", "knee drift toward the midline", BLUE, GREEN, None)]
    else:
        drawn = [(leg, f"{leg.side} {segment} angle", f"{leg.side} knee drift toward the midline", SIDE_STYLE[leg.side][0],
                  SIDE_STYLE[leg.side][0], SIDE_STYLE[leg.side][2]) for leg in legs]  # fmt: skip
    x_lo = min(float(d[0].t_s[0]) for d in drawn if d[0].t_s.size)
    x_hi = max(float(d[0].t_s[-1]) for d in drawn if d[0].t_s.size)
    if sets:  # the rest before and after the sets is not worth the page width
        x_lo, x_hi = max(x_lo, min(s.start_s for s in sets) - 5.0), min(x_hi, max(s.end_s for s in sets) + 5.0)
    warned = [r for r in reps if r.knee_drift_warning]
    legend = [LegendItem(label, "line", colour, dash=dash) for _, label, _, colour, _, dash in drawn]
    legend.append(LegendItem("counted rep (either leg)" if two else "counted rep", "patch", SKY, opacity=0.35))
    if drift_defined:
        legend.append(LegendItem("rep with knee-drift warning", "patch", VERMILLION, hatch="///", opacity=0.35))
    if warned:
        legend.append(LegendItem("peak of a warning rep", "marker", BLACK, marker="v", fill=VERMILLION))
    if gaps:
        legend.append(LegendItem("signal lost", "patch", "none", hatch="xx"))
    if drift_defined:
        legend += [LegendItem(label, "line", colour, dash=dash) for _, _, label, _, colour, dash in drawn]
        legend.append(LegendItem(f"warning threshold ({round(threshold_deg, 1):g}°)", "line", VERMILLION, dash="5 3"))
    rows = (3 if len(legend) > 6 else 2) if two else (2 if len(legend) > 4 else 1)
    fig = Figure([220.0, 100.0] if drift_defined else [200.0], x_lo, x_hi, legend_rows=rows)
    fig.legend = legend
    ax = fig.panels[0]
    finite_angle = np.concatenate([d[0].angle_deg[np.isfinite(d[0].angle_deg)] for d in drawn])
    top = max(float(finite_angle.max(initial=0.0)), 1.0)
    ax.set_y(min(float(finite_angle.min(initial=0.0)), 0.0) - 3, top * 1.22)
    for rep in reps:  # two legs' bands overlap (a bilateral movement): lighter each
        warn = rep.knee_drift_warning
        opacity = (0.16 if warn else 0.10) if two else (0.22 if warn else 0.18)
        ax.band(rep.start_s, rep.end_s, VERMILLION if warn else SKY, opacity, "///" if warn else None)
    for gap in gaps:
        ax.band(gap.start_s, gap.end_s, "none", 0.0, "xx")
    columns = MAX_LINE_POINTS // (2 * len(drawn))
    for leg, _, _, colour, _, dash in drawn:
        line_t, line_y = _envelope(leg.t_s, leg.angle_deg, columns)
        ax.line(line_t.tolist(), line_y.tolist(), colour, 1.2, dash)
        own = [r for r in warned if not two or r.side == leg.side]
        if own and leg.t_s.size:
            ax.markers([r.peak_s for r in own], [float(np.interp(r.peak_s, leg.t_s, leg.angle_deg)) for r in own], "v",
                       8.0, BLACK, fill=VERMILLION)  # fmt: skip
    if finite_angle.size == 0:
        ax.note("no segment angle: the analysis found no movement to calibrate on")
    labelled: set[int] = set()
    for s in sets:
        ax.vline(s.start_s, GREY)
        if s.set_index not in labelled:  # both legs' sets start together: one label
            labelled.add(s.set_index)
            ax.text(s.start_s, top * 1.13, f" Set {s.set_index}")
    ax.y_label = f"{segment.capitalize()} angle\nfrom rest (°)"
    if drift_defined:
        dx = fig.panels[1]
        finite = np.concatenate([d[0].drift_deg[np.isfinite(d[0].drift_deg)] for d in drawn])
        dx.set_y(min(float(finite.min(initial=0.0)), 0.0) - 0.5, max(float(finite.max(initial=0.0)), threshold_deg) * 1.2)
        for rep in warned:
            dx.band(rep.start_s, rep.end_s, VERMILLION, 0.12)
        for leg, _, _, _, colour, dash in drawn:
            drift_t, drift_y = _envelope(leg.t_s, leg.drift_deg, columns)
            dx.line(drift_t.tolist(), drift_y.tolist(), colour, 1.2, dash)
        dx.hline(threshold_deg, VERMILLION)
        if finite.size == 0:
            dx.note("no knee-drift trace for this recording")
        dx.y_label = "Knee drift\ninward (°)"
    fig.x_ticks = nice_ticks(x_lo, x_hi, 8)
    fig.x_label = "Time since the start of the recording (s)"
    return fig.to_svg(f"{segment} angle of both legs over time" if two else f"{segment} angle over time")


def rep_bars_figure(
    reps: Sequence[RepRow], *, threshold_deg: float, drift_defined: bool, shallow_share: float
) -> str:
    """Per rep: range, tempo (out and back), knee drift with the threshold. Reps of both legs (a
    left + right session): side by side, the k-th rep of each leg at k, each leg in its colour."""
    if len({r.side for r in reps} - {None}) == 2:
        return _two_legs_bars_figure(reps, threshold_deg=threshold_deg, drift_defined=drift_defined,
                                     shallow_share=shallow_share)  # fmt: skip
    legend = [LegendItem("rep", "patch", BLUE)]
    if drift_defined:
        legend.append(LegendItem("knee-drift warning", "patch", VERMILLION, hatch="///"))
    legend.append(LegendItem(f"shallow (< {shallow_share:.0%} of best)", "patch", BLUE, opacity=0.45))
    legend += [LegendItem("tempo out (away from rest)", "patch", BLUE), LegendItem("tempo back (to rest)", "patch", SKY)]
    if drift_defined:
        legend.append(LegendItem(f"warning threshold ({round(threshold_deg, 1):g}°)", "line", VERMILLION, dash="5 3"))
    fig = Figure([110.0] * (3 if drift_defined else 2), 0.3, len(reps) + 0.7, legend_rows=2)
    fig.legend = legend
    x = list(range(1, len(reps) + 1))

    range_ax = fig.panels[0]
    range_ax.set_y(0, max((r.range_deg for r in reps), default=1.0) * 1.3)
    for i, rep in zip(x, reps, strict=True):
        warn = rep.knee_drift_warning
        range_ax.bar(i, 0.75, 0, rep.range_deg, VERMILLION if warn else BLUE, opacity=0.45 if rep.shallow else 1.0,
                     hatch="///" if warn else None)
    range_ax.y_label = "Range (°)"

    tempo_ax = fig.panels[1]
    tempo_ax.set_y(0, max((r.down_s + r.up_s for r in reps), default=1.0) * 1.2)
    for i, rep in zip(x, reps, strict=True):
        tempo_ax.bar(i, 0.75, 0, rep.down_s, BLUE)
        tempo_ax.bar(i, 0.75, rep.down_s, rep.down_s + rep.up_s, SKY)
    tempo_ax.y_label = "Tempo (s)"

    if drift_defined:
        drift_ax = fig.panels[2]
        values = [r.knee_drift_deg if r.knee_drift_deg is not None else 0.0 for r in reps]
        drift_ax.set_y(0, max([*values, threshold_deg]) * 1.3)
        for i, rep, v in zip(x, reps, values, strict=True):
            warn = rep.knee_drift_warning
            drift_ax.bar(i, 0.75, 0, v, VERMILLION if warn else BLUE, hatch="///" if warn else None)
        drift_ax.hline(threshold_deg, VERMILLION)
        drift_ax.y_label = "Knee drift (°)"

    _mark_sets(fig, reps)
    fig.x_ticks = [float(v) for v in x[:: max(1, len(reps) // 25)]]
    fig.x_label = "Rep (numbered through the session)"
    return fig.to_svg("per-rep range, tempo and knee drift")


def _two_legs_bars_figure(
    reps: Sequence[RepRow], *, threshold_deg: float, drift_defined: bool, shallow_share: float
) -> str:
    sides = ("left", "right")
    by_side = {side: sorted((r for r in reps if r.side == side), key=lambda r: r.start_s) for side in sides}
    n = max(len(v) for v in by_side.values())
    legend = [LegendItem(f"{side} leg", "patch", SIDE_STYLE[side][0]) for side in sides]
    if drift_defined:
        legend.append(LegendItem("knee-drift warning", "patch", VERMILLION, hatch="///"))
    legend.append(LegendItem(f"shallow (< {shallow_share:.0%} of best)", "patch", GREY, opacity=0.45))
    legend.append(LegendItem("tempo: out (solid), back (faded)", "patch", GREY, opacity=0.6))
    if drift_defined:
        legend.append(LegendItem(f"warning threshold ({round(threshold_deg, 1):g}°)", "line", VERMILLION, dash="5 3"))
    fig = Figure([110.0] * (3 if drift_defined else 2), 0.3, n + 0.7, legend_rows=2)
    fig.legend = legend
    width, shift = 0.38, {"left": -0.2, "right": 0.2}

    def placed() -> list[tuple[float, RepRow, str]]:
        return [(k + 1 + shift[side], rep, SIDE_STYLE[side][0]) for side in sides for k, rep in enumerate(by_side[side])]

    range_ax = fig.panels[0]
    range_ax.set_y(0, max((r.range_deg for r in reps), default=1.0) * 1.3)
    for xv, rep, colour in placed():
        warn = rep.knee_drift_warning
        range_ax.bar(xv, width, 0, rep.range_deg, VERMILLION if warn else colour, opacity=0.45 if rep.shallow else 1.0,
                     hatch="///" if warn else None)  # fmt: skip
    range_ax.y_label = "Range (°)"

    tempo_ax = fig.panels[1]
    tempo_ax.set_y(0, max((r.down_s + r.up_s for r in reps), default=1.0) * 1.2)
    for xv, rep, colour in placed():
        tempo_ax.bar(xv, width, 0, rep.down_s, colour)
        tempo_ax.bar(xv, width, rep.down_s, rep.down_s + rep.up_s, colour, opacity=0.45)
    tempo_ax.y_label = "Tempo (s)"

    if drift_defined:
        drift_ax = fig.panels[2]
        values = [r.knee_drift_deg if r.knee_drift_deg is not None else 0.0 for r in reps]
        drift_ax.set_y(0, max([*values, threshold_deg]) * 1.3)
        for xv, rep, colour in placed():
            warn = rep.knee_drift_warning
            value = rep.knee_drift_deg if rep.knee_drift_deg is not None else 0.0
            drift_ax.bar(xv, width, 0, value, VERMILLION if warn else colour, hatch="///" if warn else None)
        drift_ax.hline(threshold_deg, VERMILLION)
        drift_ax.y_label = "Knee drift (°)"

    _mark_sets(fig, by_side["left"] if len(by_side["left"]) == n else by_side["right"])
    fig.x_ticks = [float(v) for v in range(1, n + 1)][:: max(1, n // 25)]
    fig.x_label = "Rep of each leg (numbered through the session): left bar, then right"
    return fig.to_svg("per-rep range, tempo and knee drift of both legs")


def _mark_sets(fig: Figure, reps: Sequence[RepRow]) -> None:
    """Dotted separators between sets, and the set number at the top of the first panel."""
    starts = [i for i, rep in enumerate(reps) if i == 0 or rep.set_index != reps[i - 1].set_index]
    if len(starts) < 2:
        return
    for i in starts[1:]:
        for panel in fig.panels:
            panel.vline(i + 0.5, GREY)
    top = fig.panels[0]
    for n, i in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(reps)
        top.text((i + end) / 2 + 0.5, top.y_lo + 0.92 * (top.y_hi - top.y_lo), f"Set {reps[i].set_index}",
                 anchor="middle", colour=GREY, size=10.0)


@dataclass(frozen=True, slots=True)
class SessionFelt:
    """What the wearer said about a session's sets: mean effort (RPE 1–10) and the most pain (0–10)."""

    rpe: float | None
    pain: int | None


def trend_figure(
    history: Sequence[SessionRecord], current_id: int | None, felt: dict[int, SessionFelt] | None = None
) -> str:
    """Per session of one exercise: reps, mean range, share of reps with knee drift; sides apart.
    With the wearer's notes (`felt`: session id → mean effort, most pain), a panel of those right
    under the drift: how it felt beside how the knee moved."""
    felt = {k: v for k, v in (felt or {}).items() if v.rpe is not None or v.pain is not None}
    noted = any(r.id in felt for r in history)
    when = {r.id: _when(r) for r in history}
    days = [_day_number(t) for t in when.values()]
    first, last = min(days), max(days)
    if last - first < 3:  # sessions within a few days: whole days around them, not hours
        middle = (first + last) / 2
        x_lo, x_hi = middle - 3, middle + 3
    else:
        margin = 0.06 * (last - first)
        x_lo, x_hi = first - margin, last + margin
    sides = sorted({r.facts.side or "unknown" for r in history})
    legend = []
    for side in sides:
        colour, marker, dash, fill, _ = SIDE_STYLE.get(side, OTHER_SIDE)
        legend.append(LegendItem(f"{side} leg", "line", colour, dash=dash, marker=marker, fill=fill))
    if current_id is not None:
        legend.append(LegendItem("this session", "marker", BLACK, marker="o", fill="none"))
    if noted:
        legend.append(LegendItem("most pain (leg markers: mean effort)", "line", VERMILLION, dash="2 2", marker="D",
                                 fill=VERMILLION))
    fig = Figure([110.0] * (4 if noted else 3), x_lo, x_hi, legend_rows=1)
    fig.legend = legend
    panels: list[tuple[str, Callable[[SessionRecord], float | None]]] = [
        ("Reps", lambda r: r.rep_count),
        ("Mean range (°)", lambda r: r.mean_range_deg),
        ("Reps with\nknee drift (%)", lambda r: None if r.drift_share is None else 100.0 * r.drift_share),
    ]
    for ax, (label, value) in zip(fig.panels[:3], panels, strict=True):
        top = max((v for r in history if (v := value(r)) is not None), default=1.0)
        ax.set_y(0, 105.0 if ax.index == 2 else (top * 1.15) or 1.0)  # a share: always the whole 0–100 %
        for side in sides:
            rows = [r for r in history if (r.facts.side or "unknown") == side]
            colour, marker, dash, fill, size = SIDE_STYLE.get(side, OTHER_SIDE)
            xs = [_day_number(when[r.id]) for r in rows]
            ys = [value(r) for r in rows]
            ax.line(xs, [math.nan if v is None else float(v) for v in ys], colour, 1.3, dash)
            ax.markers(xs, ys, marker, size, colour, fill=fill)
            for r, xv, v in zip(rows, xs, ys, strict=True):
                if r.id == current_id and v is not None:
                    ax.markers([xv], [v], "o", 16.0, BLACK, fill="none")
        ax.y_label = label
    fig.panels[0].y_integer = True
    if noted:
        _felt_panel(fig, history, felt, when)
    span = x_hi - x_lo
    step = max(1, math.ceil(span / 7))
    fig.x_ticks = [float(d) for d in range(math.ceil(x_lo), math.floor(x_hi) + 1) if (d - math.ceil(x_lo)) % step == 0]
    pattern = "%d %b" if last - first <= 180 else "%b %Y"
    fig.x_tick_text = lambda d: _date_text(d, pattern)
    years = sorted({t.year for t in when.values()})
    year_text = str(years[0]) if len(years) == 1 else f"{years[0]}–{years[-1]}"
    fig.x_label = f"Session date ({year_text})"
    return fig.to_svg("trend over sessions")


def _felt_panel(fig: Figure, history: Sequence[SessionRecord], felt: dict[int, SessionFelt],
                when: dict[int, datetime]) -> None:
    ax = fig.panels[3]
    ax.set_y(0, 10.5)
    ax.y_integer = True
    for side in sorted({r.facts.side or "unknown" for r in history}):
        rows = [r for r in history if (r.facts.side or "unknown") == side and r.id in felt]
        colour, marker, dash, fill, size = SIDE_STYLE.get(side, OTHER_SIDE)
        xs = [_day_number(when[r.id]) for r in rows]
        rpe = [felt[r.id].rpe for r in rows]
        pain = [felt[r.id].pain for r in rows]
        ax.line(xs, [math.nan if v is None else float(v) for v in rpe], colour, 1.3, dash)
        ax.markers(xs, rpe, marker, size, colour, fill=fill)
        ax.line(xs, [math.nan if v is None else float(v) for v in pain], VERMILLION, 1.1, "2 2")
        ax.markers(xs, [None if v is None else float(v) for v in pain], "D", 7.0, VERMILLION)
    ax.y_label = "Effort (RPE) and\npain ◆ (0–10)"


_EPOCH = datetime(1970, 1, 1)


def _day_number(t: datetime) -> float:
    """Days since 1970 in local wall-clock time, so whole numbers fall on local midnights."""
    return (t - _EPOCH) / timedelta(days=1)


def _date_text(day: float, pattern: str) -> str:
    try:
        return (_EPOCH + timedelta(days=day)).strftime(pattern)
    except (OverflowError, ValueError):  # a margin past year 9999 or before year 1: no label there
        return ""


def _when(record: SessionRecord) -> datetime:
    # Local time: a physiotherapist reads "Tuesday's session", not a UTC date.
    return datetime.fromisoformat(record.facts.start_time_utc).astimezone().replace(tzinfo=None)
