"""Figures for the HTML report, drawn with matplotlib's object API (no pyplot: no global state).

Sized for an A4 page (17 cm wide), with the Okabe–Ito palette, which stays distinguishable with the
common colour-vision deficiencies and in greyscale print (Okabe & Ito 2008, "Color Universal Design").
Warnings use vermillion AND a marker or hatch, never colour alone.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.dates import AutoDateLocator, DateFormatter, DayLocator
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from sensortrack.library.records import RepRow, SessionRecord, SetRow
from sensortrack.model import FloatArray, Gap

BLUE = "#0072B2"
ORANGE = "#E69F00"
SKY = "#56B4E9"
GREEN = "#009E73"
VERMILLION = "#D55E00"
GREY = "#6b6b6b"
# Left and right differ in colour, marker, fill and line style: identical values stay visible.
SIDE_STYLE = {"left": (BLUE, "o", "-", BLUE, 4.5), "right": (ORANGE, "s", "--", "none", 7.5)}

PAGE_WIDTH_IN = 6.7  # 17 cm: A4 minus 2 cm margins
DPI = 200  # crisp when printed at full width
BASE_FONT_PT = 8.5


def _new_figure(height_in: float, rows: int, height_ratios: Sequence[float] | None = None) -> tuple[Figure, list[Axes]]:
    fig = Figure(figsize=(PAGE_WIDTH_IN, height_in), dpi=DPI, layout="constrained")
    axes = fig.subplots(
        rows, 1, sharex=True, gridspec_kw={"height_ratios": height_ratios} if height_ratios else None, squeeze=False
    )
    out = [ax for (ax,) in axes]
    for ax in out:
        ax.tick_params(labelsize=BASE_FONT_PT)
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(axis="y", color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
    return fig, out


def _ylabel(ax: Axes, text: str) -> None:
    ax.set_ylabel(text, fontsize=BASE_FONT_PT)


def _empty_note(ax: Axes, text: str) -> None:
    """Say in the middle of an empty panel why it is empty."""
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", fontsize=BASE_FONT_PT, color=GREY)


def figure_png_base64(fig: Figure) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return base64.b64encode(buffer.getvalue()).decode("ascii")


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
) -> Figure:
    """Segment angle over time with reps shaded and drift-warning reps marked; knee drift below."""
    rows = 2 if drift_defined else 1
    fig, axes = _new_figure(4.4 if drift_defined else 3.0, rows, [2.2, 1.0] if drift_defined else None)
    ax = axes[0]
    for rep in reps:
        warn = rep.knee_drift_warning
        ax.axvspan(
            rep.start_s,
            rep.end_s,
            facecolor=VERMILLION if warn else SKY,
            alpha=0.22 if warn else 0.18,
            hatch="///" if warn else None,
            edgecolor=VERMILLION if warn else "none",
            linewidth=0,
        )
    for gap in gaps:
        ax.axvspan(gap.start_s, gap.end_s, facecolor="none", edgecolor=GREY, hatch="xx", linewidth=0)
    ax.plot(t_s, angle_deg, color=BLUE, linewidth=1.0)
    warned = [r for r in reps if r.knee_drift_warning]
    if warned:
        peaks_t = [r.peak_s for r in warned]
        peaks_y = [_value_at(t_s, angle_deg, t) for t in peaks_t]
        ax.plot(
            peaks_t,
            peaks_y,
            linestyle="none",
            marker="v",
            markersize=6,
            color=VERMILLION,
            markeredgecolor="black",
            markeredgewidth=0.5,
        )
    # NaN where the analysis was not calibrated yet (before the first reps, after a re-strap).
    finite_angle = angle_deg[np.isfinite(angle_deg)]
    top = max(float(finite_angle.max(initial=0.0)), 1.0)
    ax.set_ylim(min(float(finite_angle.min(initial=0.0)), 0.0) - 3, top * 1.22)
    if finite_angle.size == 0:
        _empty_note(ax, "no segment angle: the analysis found no movement to calibrate on")
    for s in sets:
        ax.axvline(s.start_s, color=GREY, linewidth=0.8, linestyle=":")
        ax.text(s.start_s, top * 1.17, f" Set {s.set_index}", fontsize=BASE_FONT_PT, va="top", ha="left", color="black")
    _ylabel(ax, f"{segment.capitalize()} angle\nfrom rest (°)")
    handles: list[Artist] = [
        Line2D([], [], color=BLUE, linewidth=1.2, label=f"{segment} angle"),
        Patch(facecolor=SKY, alpha=0.35, label="counted rep"),
    ]
    if drift_defined:
        handles.append(
            Patch(
                facecolor=VERMILLION, alpha=0.35, hatch="///", edgecolor=VERMILLION, label="rep with knee-drift warning"
            )
        )
    if warned:
        handles.append(
            Line2D(
                [],
                [],
                linestyle="none",
                marker="v",
                color=VERMILLION,
                markeredgecolor="black",
                label="peak of a warning rep",
            )
        )
    if gaps:
        handles.append(Patch(facecolor="none", edgecolor=GREY, hatch="xx", label="signal lost"))
    if drift_defined:
        dx = axes[1]
        dx.plot(t_s, drift_deg, color=GREEN, linewidth=1.0)
        dx.axhline(threshold_deg, color=VERMILLION, linestyle="--", linewidth=1.0)
        for rep in warned:
            dx.axvspan(rep.start_s, rep.end_s, facecolor=VERMILLION, alpha=0.12, linewidth=0)
        finite = drift_deg[np.isfinite(drift_deg)]
        if finite.size == 0:
            _empty_note(dx, "no knee-drift trace for this recording")
        high = max(float(finite.max(initial=0.0)), threshold_deg) * 1.2
        low = min(float(finite.min(initial=0.0)), 0.0)
        dx.set_ylim(low - 0.5, high)
        _ylabel(dx, "Knee drift\ninward (°)")
        handles += [
            Line2D([], [], color=GREEN, linewidth=1.2, label="knee drift toward the midline"),
            Line2D([], [], color=VERMILLION, linestyle="--", label=f"warning threshold ({threshold_deg:g}°)"),
        ]
    # One legend for both panels, above them, so it never covers data.
    fig.legend(
        handles=handles,
        fontsize=BASE_FONT_PT - 1,
        loc="outside upper center",
        ncols=min(len(handles), 4),
        frameon=False,
    )
    if sets:  # the rest before and after the sets is not worth the page width
        axes[-1].set_xlim(max(float(t_s[0]), sets[0].start_s - 5.0), min(float(t_s[-1]), sets[-1].end_s + 5.0))
    axes[-1].set_xlabel("Time since the start of the recording (s)", fontsize=BASE_FONT_PT)
    return fig


def rep_bars_figure(
    reps: Sequence[RepRow], *, threshold_deg: float, drift_defined: bool, shallow_share: float
) -> Figure:
    """Per rep: range, tempo (out and back), knee drift with the threshold."""
    rows = 3 if drift_defined else 2
    fig, axes = _new_figure(1.45 * rows + 0.6, rows)
    x = list(range(1, len(reps) + 1))
    warn = [r.knee_drift_warning for r in reps]
    colours = [VERMILLION if w else BLUE for w in warn]
    hatches = ["///" if w else None for w in warn]

    range_ax = axes[0]
    bars = range_ax.bar(x, [r.range_deg for r in reps], color=colours, width=0.75)
    for bar, rep, hatch in zip(bars, reps, hatches, strict=True):
        bar.set_hatch(hatch)
        bar.set_edgecolor("white" if hatch else bar.get_facecolor())
        if rep.shallow:
            bar.set_alpha(0.45)
    _ylabel(range_ax, "Range (°)")

    tempo_ax = axes[1]
    down = [r.down_s for r in reps]
    tempo_ax.bar(x, down, color=BLUE, width=0.75, label="out (away from rest)")
    tempo_ax.bar(x, [r.up_s for r in reps], bottom=down, color=SKY, width=0.75, label="back (to rest)")
    _ylabel(tempo_ax, "Tempo (s)")
    tempo_ax.legend(fontsize=BASE_FONT_PT - 1, frameon=False, loc="upper left", ncols=2, bbox_to_anchor=(0.0, 1.25))
    tempo_ax.set_ylim(0, max((r.down_s + r.up_s for r in reps), default=1.0) * 1.3)

    if drift_defined:
        drift_ax = axes[2]
        values = [r.knee_drift_deg if r.knee_drift_deg is not None else 0.0 for r in reps]
        drift_bars = drift_ax.bar(x, values, color=colours, width=0.75)
        for bar, hatch in zip(drift_bars, hatches, strict=True):
            bar.set_hatch(hatch)
            bar.set_edgecolor("white" if hatch else bar.get_facecolor())
        drift_ax.axhline(threshold_deg, color=VERMILLION, linestyle="--", linewidth=1.0)
        drift_ax.set_ylim(0, max([*values, threshold_deg]) * 1.3)
        _ylabel(drift_ax, "Knee drift (°)")

    _mark_sets(axes, reps)
    axes[-1].set_xlabel("Rep (numbered through the session)", fontsize=BASE_FONT_PT)
    axes[-1].set_xlim(0.3, len(reps) + 0.7)
    step = max(1, len(reps) // 25)
    axes[-1].set_xticks(x[::step])
    handles: list[Artist] = [Patch(facecolor=BLUE, label="rep")]
    if drift_defined:
        handles.append(Patch(facecolor=VERMILLION, hatch="///", edgecolor="white", label="knee-drift warning"))
    handles.append(Patch(facecolor=BLUE, alpha=0.45, label=f"shallow (< {shallow_share:.0%} of best)"))
    if drift_defined:
        handles.append(
            Line2D([], [], color=VERMILLION, linestyle="--", label=f"warning threshold ({threshold_deg:g}°)")
        )
    fig.legend(
        handles=handles, fontsize=BASE_FONT_PT - 1, frameon=False, loc="outside upper center", ncols=len(handles)
    )
    range_ax.set_ylim(0, max((r.range_deg for r in reps), default=1.0) * 1.15)
    return fig


def _mark_sets(axes: Sequence[Axes], reps: Sequence[RepRow]) -> None:
    """Dotted separators between sets, and the set number above the first panel."""
    starts = [i for i, rep in enumerate(reps) if i == 0 or rep.set_index != reps[i - 1].set_index]
    if len(starts) < 2:
        return
    for i in starts[1:]:
        for ax in axes:
            ax.axvline(i + 0.5, color=GREY, linewidth=0.8, linestyle=":")
    for n, i in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(reps)
        axes[0].annotate(
            f"Set {reps[i].set_index}",
            xy=((i + end) / 2 + 0.5, 1.0),
            xycoords=("data", "axes fraction"),
            ha="center",
            va="bottom",
            fontsize=BASE_FONT_PT - 1,
            color=GREY,
        )


def trend_figure(
    history: Sequence[SessionRecord], current_id: int | None, felt: dict[int, SessionFelt] | None = None
) -> Figure:
    """Per session of one exercise: reps, mean range, share of reps with knee drift; sides apart.
    With the wearer's notes (`felt`: session id → mean effort, most pain), a panel of those right
    under the drift: how it felt beside how the knee moved."""
    felt = {k: v for k, v in (felt or {}).items() if v.rpe is not None or v.pain is not None}
    noted = any(r.id in felt for r in history)
    fig, axes = _new_figure(6.4 if noted else 5.0, 4 if noted else 3)
    panels = [
        ("Reps", lambda r: r.rep_count),
        ("Mean range (°)", lambda r: r.mean_range_deg),
        ("Reps with\nknee drift (%)", lambda r: None if r.drift_share is None else 100.0 * r.drift_share),
    ]
    if noted:
        _felt_panel(axes[3], history, felt)
    sides = sorted({r.facts.side or "unknown" for r in history})
    for ax, (label, value) in zip(axes[:3], panels, strict=True):
        for side in sides:
            rows = [r for r in history if (r.facts.side or "unknown") == side]
            colour, marker, line, fill, size = SIDE_STYLE.get(side, (GREY, "^", ":", GREY, 5.5))
            times = [_when(r) for r in rows]
            values = [value(r) for r in rows]
            ax.plot(
                times,
                values,
                color=colour,
                marker=marker,
                markersize=size,
                linewidth=1.1,
                linestyle=line,
                markerfacecolor=fill,
                markeredgecolor=colour,
                markeredgewidth=1.2,
                label=f"{side} leg",
                clip_on=False,  # a 0 % or 0-rep session sits on the axis: draw its whole marker
            )
            for r, t, v in zip(rows, times, values, strict=True):
                if r.id == current_id and v is not None:
                    ax.plot(
                        [t],
                        [v],
                        marker="o",
                        markersize=13,
                        markerfacecolor="none",
                        markeredgecolor="black",
                        markeredgewidth=1.2,
                        clip_on=False,
                    )
        _ylabel(ax, label)
        top = max((v for r in history if (v := value(r)) is not None), default=1.0)
        ax.set_ylim(0, top * 1.15 or 1.0)
    axes[0].yaxis.set_major_locator(MaxNLocator(integer=True))
    axes[2].set_ylim(0, 105)
    times = [_when(r) for r in history]
    first, last = min(times), max(times)
    if last - first < timedelta(days=3):
        # Sessions within a few days: show whole days around them, not hour ticks all labelled alike.
        middle = first + (last - first) / 2
        axes[-1].set_xlim(middle - timedelta(days=3), middle + timedelta(days=3))
        axes[-1].xaxis.set_major_locator(DayLocator())
        axes[-1].xaxis.set_major_formatter(DateFormatter("%d %b"))
    else:
        axes[-1].xaxis.set_major_locator(AutoDateLocator(minticks=3, maxticks=8))
        axes[-1].xaxis.set_major_formatter(DateFormatter("%d %b" if (last - first).days <= 180 else "%b %Y"))
        axes[-1].margins(x=0.06)
    years = sorted({t.year for t in times})
    year_text = str(years[0]) if len(years) == 1 else f"{years[0]}–{years[-1]}"
    handles, labels = axes[0].get_legend_handles_labels()
    if current_id is not None:
        handles.append(
            Line2D([], [], linestyle="none", marker="o", markersize=11, markerfacecolor="none", markeredgecolor="black")
        )
        labels.append("this session")
    if noted:
        handles.append(Line2D([], [], color=VERMILLION, marker="D", markersize=5, linestyle=":"))
        labels.append("most pain (leg markers: mean effort)")
    fig.legend(
        handles, labels, fontsize=BASE_FONT_PT - 1, frameon=False, loc="outside upper center", ncols=len(handles)
    )
    axes[-1].set_xlabel(f"Session date ({year_text})", fontsize=BASE_FONT_PT)
    return fig


@dataclass(frozen=True, slots=True)
class SessionFelt:
    """What the wearer said about a session's sets: mean effort (RPE 1–10) and the most pain (0–10)."""

    rpe: float | None
    pain: int | None


def _felt_panel(ax: Axes, history: Sequence[SessionRecord], felt: dict[int, SessionFelt]) -> None:
    for side in sorted({r.facts.side or "unknown" for r in history}):
        rows = [r for r in history if (r.facts.side or "unknown") == side and r.id in felt]
        colour, marker, line, fill, size = SIDE_STYLE.get(side, (GREY, "^", ":", GREY, 5.5))
        times = [_when(r) for r in rows]
        ax.plot(
            times, [felt[r.id].rpe for r in rows], color=colour, marker=marker, markersize=size, linewidth=1.1,
            linestyle=line, markerfacecolor=fill, markeredgecolor=colour, clip_on=False,
        )
        ax.plot(
            times, [felt[r.id].pain for r in rows], color=VERMILLION, marker="D", markersize=5, linewidth=1.0,
            linestyle=":", clip_on=False,
        )
    _ylabel(ax, "Effort (RPE) and\npain ◆ (0–10)")
    ax.set_ylim(0, 10.5)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=5))


def _when(record: SessionRecord) -> datetime:
    # Local time: a physiotherapist reads "Tuesday's session", not a UTC date.
    return datetime.fromisoformat(record.facts.start_time_utc).astimezone().replace(tzinfo=None)


def _value_at(t_s: FloatArray, values: FloatArray, t: float) -> float:
    return float(np.interp(t, t_s, values))
