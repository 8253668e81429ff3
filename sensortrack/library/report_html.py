"""`sensortrack report`: one self-contained, printable HTML file per session.

Everything is inline (CSS, PNG figures as data: URIs), so the file can be mailed, archived or
printed on A4 without anything else. All text from files is escaped.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sensortrack import __version__
from sensortrack.analysis.geometry import GEOMETRY
from sensortrack.analysis.results import AnalysisResult
from sensortrack.analysis.settings import AnalysisSettings
from sensortrack.core.errors import LibraryError
from sensortrack.library import plots
from sensortrack.library.location import resolve_library_path
from sensortrack.library.outputs import atomic_write_text, check_output
from sensortrack.library.records import AnalysisSummary, SessionRecord, SetRow, noted_set, rep_to_dict
from sensortrack.library.store import Library, SessionFilter
from sensortrack.library.targets import Target, load_target
from sensortrack.library.text import fmt_number, format_duration, local_time
from sensortrack.core.sensor_limits import sensor_limits
from sensortrack.core.vocabulary import Exercise, Placement, Side

if TYPE_CHECKING:
    from sensortrack.session_analysis import ReferenceLookup
    from sensortrack.analysis.pair_settings import PairSettings

EXERCISE_NAMES = {
    "squat": "Squat",
    "lunge": "Lunge",
    "band_walk": "Lateral band walk",
    "bridge": "Glute bridge / hip thrust",
    "clamshell": "Clamshell",
    "step_up": "Step-up",
}

CSS = """
@page { size: A4; margin: 14mm 16mm; }
* { box-sizing: border-box; }
body { font: 10.5pt/1.4 "Helvetica Neue", Arial, sans-serif; color: #1a1a1a; }
body { margin: 0 auto; max-width: 190mm; padding: 8mm; }
h1 { font-size: 17pt; margin: 0 0 2mm; }
h2 { font-size: 12.5pt; margin: 7mm 0 2mm; border-bottom: 1px solid #bbb; padding-bottom: 1mm; }
.sub { color: #555; margin: 0 0 4mm; }
table { border-collapse: collapse; width: 100%; margin: 2mm 0; font-size: 9.5pt; }
th, td { padding: 1.2mm 2mm; text-align: left; border-bottom: 1px solid #e2e2e2; }
th { background: #f2f2f2; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
table.facts td:first-child { width: 32%; color: #555; }
tr.warn td { background: #fbe3d6; }
.flag { color: #a33b00; font-weight: 600; }
figure { margin: 3mm 0; break-inside: avoid; page-break-inside: avoid; }
figure img { width: 100%; height: auto; display: block; }
figcaption { font-size: 9pt; color: #444; margin-top: 1mm; }
.note { background: #f4f7fb; border-left: 3px solid #0072B2; padding: 2mm 3mm; font-size: 9.5pt; break-inside: avoid; }
.limits { border-left-color: #D55E00; background: #fdf3ec; margin-top: 3mm; }
.limits ul { margin: 1mm 0 0 0; padding-left: 5mm; }
footer { margin-top: 8mm; font-size: 8.5pt; color: #666; border-top: 1px solid #ccc; padding-top: 2mm; }
.section { break-inside: avoid; page-break-inside: avoid; }
@media print {
  body { padding: 0; max-width: none; }
  h2 { break-after: avoid; page-break-after: avoid; }
  .pagebreak { break-before: page; page-break-before: always; }
  tr { break-inside: avoid; }
}
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    numeric: set[int],
    row_classes: Sequence[str] | None = None,
    css: str = "",
) -> str:
    head = "".join(
        f'<th class="num">{_e(h)}</th>' if i in numeric else f"<th>{_e(h)}</th>" for i, h in enumerate(headers)
    )
    body = []
    for n, row in enumerate(rows):
        cls = f' class="{row_classes[n]}"' if row_classes and row_classes[n] else ""
        cells = "".join(f'<td class="num">{c}</td>' if i in numeric else f"<td>{c}</td>" for i, c in enumerate(row))
        body.append(f"<tr{cls}>{cells}</tr>")
    return f'<table class="{css}"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def _figure(svg: str, alt: str, caption: str) -> str:
    return f'<figure><img src="{plots.svg_data_uri(svg)}" alt="{_e(alt)}"><figcaption>{caption}</figcaption></figure>'


def build_report(
    target: Target,
    result: AnalysisResult,
    settings: AnalysisSettings,
    generated: datetime | None = None,
    summary: AnalysisSummary | None = None,
    other_leg: AnalysisResult | None = None,
) -> str:
    """The report page. `result`: the (first) sensor's analysis, for its angle trace; `summary`: the
    session's sets and reps when they are not that result's own (a two-sensor session's pair);
    `other_leg`: a left + right session's other leg, whose trace and reps are plotted beside the first's."""
    session = target.session
    ctx = result.context
    summary = summary or AnalysisSummary.from_result(result, settings)
    # A left + right session plots both legs (each in its own colour); other pairs, the first's trace.
    both = other_leg is not None
    plotted_reps = [r for r in summary.reps if both or r.side in (None, ctx.side)]
    plotted_sets = [s for s in summary.sets if both or s.side in (None, ctx.side)]
    segment = ctx.placement
    drift_defined = GEOMETRY[(ctx.exercise, ctx.placement)].drift_observable(ctx.has_gyro)
    # The limit is the person's (reference or the session's own reps) and settles as reps come:
    # the plots draw the one the last rep was judged against (of both legs, the higher).
    thresholds = []
    for leg in (result, other_leg):
        limits = [r.drift_limit_deg for r in leg.reps if r.drift_limit_deg is not None] if leg is not None else []
        if limits:
            thresholds.append(limits[-1])
    threshold = max(thresholds) if thresholds else settings.drift_threshold_deg
    exercise_name = EXERCISE_NAMES.get(ctx.exercise, ctx.exercise)
    start_utc = target.record.facts.start_time_utc if target.record else session.meta.start_time_utc
    when = local_time(start_utc) if start_utc else "unknown date"
    generated = generated or datetime.now().astimezone()

    sides, plural = ("left and right", "s") if both else (ctx.side, "")
    parts = [
        _head(f"{exercise_name}, {sides} {segment} — {when}"),
        f"<h1>{_e(exercise_name)} — {_e(sides)} leg{plural}</h1>",
        f'<p class="sub">Session of {_e(when)} · sensor{plural} on the {_e(sides)} {_e(segment)}'
        + (f" · library session #{target.record.id}" if target.record else "")
        + "</p>",
        _facts_table(target, result, when, summary),
        _limits_section(result),
        _pair_section(summary),
        _summary_section(summary, settings.min_reps_per_set, [noted_set(s, session) for s in summary.sets]),
    ]
    legs = None
    if other_leg is not None and result.trace is not None and other_leg.trace is not None:
        legs = tuple(plots.LegTrace(r.context.side, r.trace.t_s, r.trace.angle_deg, r.trace.drift_deg)
                     for r in (result, other_leg) if r.trace is not None)  # fmt: skip
    if result.trace is not None and result.trace.t_s.size:
        fig = plots.segment_angle_figure(
            result.trace.t_s,
            result.trace.angle_deg,
            result.trace.drift_deg,
            plotted_reps,
            plotted_sets,
            session.gaps,
            threshold_deg=threshold,
            segment=segment,
            drift_defined=drift_defined,
            legs=legs,  # type: ignore[arg-type]  # two LegTraces: both results have a trace
        )
        caption = (
            f"{_e(segment.capitalize())} angle from its resting position over time"
            + (" (left leg solid blue, right leg dashed orange)" if legs else "")
            + ". Shaded bands are counted reps"
            + (
                "; hatched vermillion bands mark reps with a knee-drift warning, and the lower panel shows the knee "
                "drift with the warning threshold."
                if drift_defined
                else "."
            )
        )
        parts.append('<div class="section"><h2>Movement over time</h2>')
        parts.append(_figure(fig, f"{segment} angle over time with reps marked", caption))
        parts.append("</div>")
    if summary.reps:
        fig = plots.rep_bars_figure(
            plotted_reps,
            threshold_deg=threshold,
            drift_defined=drift_defined,
            shallow_share=settings.shallow_share_of_best,
        )
        parts.append('<div class="section"><h2>Rep by rep</h2>')
        parts.append(
            _figure(
                fig,
                "per-rep range, tempo and knee drift",
                ("Both legs side by side: for the k-th rep of each, the left leg's bar (blue) then the right "
                 "leg's (orange). " if both else "")
                + (
                    "Range of each rep, its tempo (time moving away from rest, then back) and its knee drift. "
                    "Reps with a knee-drift warning are vermillion and hatched; faded bars are shallow reps."
                    if drift_defined
                    else "Range of each rep and its tempo (time moving away from rest, then back). "
                    "Faded bars are shallow reps."
                ),
            )
        )
        parts.append("</div>")
        parts.append(_rep_table([rep_to_dict(r) for r in summary.reps], drift_defined))
    parts.append(_trend_section(target))
    parts.append(_explanation(result, settings, drift_defined, segment))
    parts.append(
        _footer(
            generated,
            f"Analysis: {result.calibration.get('mode', '')}, knee-drift limit {threshold:.1f}° "
            f"({_limit_source(summary, ctx.reference is not None)}). "
            + (f"Data credit: {session.meta.attribution}." if session.meta.attribution else ""),
        )
    )
    return "\n".join(parts)


def _head(title: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)}</title>\n<style>{CSS}</style></head><body>"
    )


def _footer(generated: datetime, text: str) -> str:
    return (
        f"<footer>Made by sensortrack {_e(__version__)} on {_e(generated.strftime('%Y-%m-%d %H:%M'))}. "
        f"{_e(text)}</footer></body></html>"
    )


def _limit_source(summary: AnalysisSummary, personal: bool) -> str:
    if summary.pair == "thigh+shank":
        return "the knee's own frontal-plane angle, no reference needed"
    return "personal reference" if personal else "from this session’s reps"


def _pair_section(summary: AnalysisSummary) -> str:
    """What two sensors measured together: the knee's angles, or left/right symmetry."""
    if summary.pair is None:
        return ""
    measures: dict[str, Any] = json.loads(summary.pair_json or "{}")
    if summary.pair == "thigh+shank":
        knee = measures.get("knee") or {}
        flexion = [r.knee_flexion_range_deg for r in summary.reps if r.knee_flexion_range_deg is not None]
        mean = fmt_number(sum(flexion) / len(flexion), 0, "°") if flexion else "–"
        return (
            '<div class="section"><h2>Knee angles (thigh + shank)</h2><p class="note">'
            f"Knee angles were measured on {knee.get('measured_reps', 0)} of {summary.rep_count} reps "
            f"(mean knee flexion range {_e(mean)}). The knee drift of these reps is the knee's own frontal-plane "
            "angle moving toward valgus, from both sensors' orientations — no personal reference needed. "
            f"Method: {_e(knee.get('method', ''))}.</p></div>"
        )
    sym = measures.get("symmetry") or {}
    limits = sym.get("limits_pct") or {}
    flagged = {f.get("measure"): f for f in sym.get("flagged") or []}
    rows = []
    for measure, label in (("range", "Range"), ("tempo", "Tempo"), ("drift", "Knee drift")):
        flag = flagged.get(measure)
        rows.append(
            [
                label,
                fmt_number(sym.get(f"{measure}_asymmetry_pct"), 1, " %"),
                fmt_number(limits.get(measure), 0, " %"),
                f'<span class="flag">past the limit, {_e(flag.get("side"))} side short</span>' if flag else "within",
            ]
        )
    return (
        '<div class="section"><h2>Left / right symmetry</h2>'
        f"<p>{_e(measures.get('rep_pairs', 0))} reps made by both legs together; asymmetry is "
        "100·|L − R| / mean(L, R), the session's median over those rep pairs.</p>"
        + _table(["Measure", "Asymmetry (median)", "Limit", ""], rows, {1, 2})
        + "</div>"
    )


def _facts_table(target: Target, result: AnalysisResult, when: str, summary: AnalysisSummary) -> str:
    session = target.session
    sensor = session.meta.sensor
    t_s = session.samples.t_s
    duration = float(t_s[-1] - t_s[0]) if len(t_s) else 0.0
    quality = f"{len(session.samples)} samples at {sensor.nominal_rate_hz:.0f} Hz"
    if session.gaps:
        lost = sum(g.lost_samples for g in session.gaps)
        quality += f"; {len(session.gaps)} gap{'s' if len(session.gaps) != 1 else ''} ({lost} samples lost)"
    if session.interrupted:
        quality += "; recording was interrupted (read up to the last complete sample)"
    rows = [
        ("Date", when),
        ("Exercise", EXERCISE_NAMES.get(result.context.exercise, result.context.exercise)),
        ("Leg", "left and right" if summary.pair == "left+right" else result.context.side),
        ("Sensor placement", result.context.placement),
        (
            "Sensor",
            " ".join(x for x in (sensor.model, sensor.name) if x)
            + (" (accelerometer + gyroscope)" if session.samples.has_gyro else " (accelerometer only)"),
        ),
        *_second_sensor_rows(summary),
        ("Duration", format_duration(duration) + " min:s"),
        ("Data", quality),
    ]
    if session.meta.notes:
        rows.append(("Notes", session.meta.notes))
    body = "".join(f"<tr><td>{_e(k)}</td><td>{_e(v)}</td></tr>" for k, v in rows)
    return f'<table class="facts"><tbody>{body}</tbody></table>'


def _second_sensor_rows(summary: AnalysisSummary) -> list[tuple[str, str]]:
    if summary.pair is None:
        return []
    streams = json.loads(summary.pair_json or "{}").get("streams") or []
    worn = ", ".join(f"{s.get('side')} {s.get('placement')} ({s.get('model')})" for s in streams)
    kind = "thigh + shank of one leg" if summary.pair == "thigh+shank" else "left + right"
    return [("Sensors", f"2, {kind}: {worn}")]


def _limits_section(result: AnalysisResult) -> str:
    """What the sensor could not count or measure for this exercise and placement, said before
    the numbers (as the live view does before the set): an empty drift column is not clean knees."""
    ctx = result.context
    exercises = list(dict.fromkeys(s.exercise for s in result.sets)) or [ctx.exercise]
    notes = list(dict.fromkeys(n for ex in exercises for n in sensor_limits(ex, ctx.placement, ctx.has_gyro).notes))
    if not notes:
        return ""
    items = "".join(f"<li>{_e(n[:1].upper() + n[1:])}.</li>" for n in notes)
    return f'<div class="note limits"><b>What this sensor cannot do here</b><ul>{items}</ul></div>'


def _summary_section(summary: AnalysisSummary, min_reps: int, sets: Sequence[SetRow] | None = None) -> str:
    """The sets table; `sets` are the summary's with the wearer's notes on them (effort, pain)."""
    sets = list(sets if sets is not None else summary.sets)
    if not summary.sets:
        return (
            f'<h2>Sets</h2><p class="note">No sets were found: fewer than {min_reps} reps in a row, or movements '
            "too small to count as reps.</p>"
        )
    several = len({s.exercise for s in sets}) > 1  # a plan's session: say each set's exercise
    noted = any(s.rpe is not None or s.pain is not None or s.pain_where for s in sets)
    rows = [
        [
            str(s.set_index),
            *([_e(EXERCISE_NAMES.get(s.exercise, s.exercise))] if several else []),
            str(s.rep_count),
            fmt_number(s.mean_range_deg, 0, "°"),
            fmt_number(s.best_range_deg, 0, "°"),
            fmt_number(s.mean_tempo_s, 1, " s"),
            _drift_cell(s),
            *(_note_cells(s) if noted else []),
        ]
        for s in sets
    ]
    total = [
        "<b>All</b>",
        *([""] if several else []),
        f"<b>{summary.rep_count}</b>",
        f"<b>{fmt_number(summary.mean_range_deg, 0, '°')}</b>",
        f"<b>{fmt_number(max((s.best_range_deg or 0.0 for s in summary.sets), default=None), 0, '°')}</b>",
        f"<b>{fmt_number(summary.mean_tempo_s, 1, ' s')}</b>",
        f"<b>{summary.drift_rep_count} of {summary.rep_count}</b>",
        *(["", ""] if noted else []),
    ]
    if len(summary.sets) > 1:
        rows.append(total)
    headers = ["Set", *(["Exercise"] if several else []), "Reps", "Mean range", "Best range", "Tempo (per rep)", "Reps with knee drift"]
    headers += ["Effort (RPE)", "Pain"] if noted else []
    first = 2 if several else 1
    return "<h2>Sets</h2>" + _table(headers, rows, set(range(first, first + 6 if noted else first + 5)))


def _note_cells(s: SetRow) -> list[str]:
    """How the set felt, as the wearer noted it after the set ("–": not asked or skipped)."""
    pain = "–" if s.pain is None else str(s.pain)
    if s.pain_where:
        pain += f" ({_e(s.pain_where)})"
    return ["–" if s.rpe is None else str(s.rpe), pain]


def _drift_cell(s: SetRow) -> str:
    text = f"{s.drift_rep_count} of {s.rep_count}"
    return f'<span class="flag">{text}</span>' if s.drift_rep_count else text


def _rep_table(reps: Sequence[dict[str, Any]], drift_defined: bool) -> str:
    """The HTML rep table, from reps in the result schema; a pair's columns where a rep has them."""
    sided = any(r["side"] for r in reps)
    knee = any(r["knee_flexion_range_deg"] is not None for r in reps)
    asym = any(r["range_asymmetry_pct"] is not None for r in reps)
    headers = ["Set", *(["Leg"] if sided else []), "Rep", "Start", "Range", "Out", "Back", "Knee drift"]
    headers += (["Knee flexion"] if knee else []) + (["Range asymmetry"] if asym else []) + ["Note"]
    rows = []
    classes = []
    for r in reps:
        notes = []
        if r["warnings"]:
            notes.append('<span class="flag">knee drifting inward</span>')
        if r["shallow"]:
            notes.append("shallow")
        if r["step"]:
            notes.append(f"{_e(r['step'])} step")
        drift = fmt_number(r["knee_drift_deg"], 1, "°") if drift_defined or knee else "not measured"
        rows.append(
            [
                "–" if r["set"] is None else str(r["set"]),
                *([_e(r["side"] or "")] if sided else []),
                str(r["index"]),
                f"{r['start_s']:.1f} s",
                f"{r['range_deg']:.0f}°",
                f"{r['down_s']:.1f} s",
                f"{r['up_s']:.1f} s",
                drift,
                *([fmt_number(r["knee_flexion_range_deg"], 0, "°")] if knee else []),
                *([fmt_number(r["range_asymmetry_pct"], 0, " %")] if asym else []),
                ", ".join(notes),
            ]
        )
        classes.append("warn" if r["warnings"] else "")
    numeric = set(range(len(headers) - 1)) - ({1} if sided else set())
    return "<div><h2>Rep table</h2>" + _table(headers, rows, numeric, classes, "reps") + "</div>"


def _trend_section(target: Target) -> str:
    history: Sequence[SessionRecord] = target.history
    if target.record is None:
        note = target.library_note or "this session is not in the library"
        return (
            f'<h2>Progress over sessions</h2><p class="note">No history shown: {_e(note)}. Import it with '
            "<code>sensortrack import</code> to follow progress.</p>"
        )
    if len(history) < 2:
        return (
            '<h2>Progress over sessions</h2><p class="note">This is the only analysed session of this exercise '
            "with this sensor placement in the library so far.</p>"
        )
    fig = plots.trend_figure(history, target.record.id)
    first, last = history[0], history[-1]
    caption = (
        f"{len(history)} sessions from {_e(local_time(first.facts.start_time_utc, '%Y-%m-%d'))} to "
        f"{_e(local_time(last.facts.start_time_utc, '%Y-%m-%d'))}, same exercise and sensor placement; "
        "left and right legs are plotted separately. The circled point is this session."
    )
    return (
        '<div class="section pagebreak"><h2>Progress over sessions</h2>'
        + _figure(fig, "trend over sessions", caption)
        + "</div>"
    )


def _explanation(result: AnalysisResult, settings: AnalysisSettings, drift_defined: bool, segment: str) -> str:
    items = [
        f"<b>Range</b> is how far the {_e(segment)} turns from its resting position at the deepest point of the "
        "rep, in degrees.",
        "<b>Tempo</b> is the time the rep takes: moving away from rest (for a squat, going down) and coming back.",
        f"<b>Shallow</b> reps reach less than {settings.shallow_share_of_best:.0%} of the best rep of their set.",
    ]
    if drift_defined:
        gyro_note = (
            ""
            if result.context.has_gyro
            else (
                " This sensor has no gyroscope, so only tilt out of the rep's plane is seen, not turning about "
                "the vertical."
            )
        )
        items.append(
            f"<b>Knee drift</b> is how far the {_e(segment)} moves out of the rep's own plane of movement toward the "
            "body's midline, in degrees — the knee drifting inward. It is measured against each rep's own plane, so "
            "it is <i>not</i> a clinical valgus angle (such as a frontal-plane projection angle from video), and a "
            "knee that is already turned in at the start of every rep cannot be seen by one sensor. Sensors measure "
            "this direction to within about 4–5°. " + _drift_limit_sentence(result, settings) + gyro_note
        )
    elif GEOMETRY[(result.context.exercise, result.context.placement)].drift_defined:
        items.append(
            f"Knee drift is not measured: the knee turning in turns the {_e(segment)} about the vertical in this "
            "exercise, which a sensor without a gyroscope cannot see. A shank sensor, or one with a gyroscope, can."
        )
    else:
        items.append(
            f"Knee drift is not measured for this exercise: the {_e(segment)} does not sweep a plane the knee could "
            "drift out of."
        )
    return (
        '<div class="section"><h2>What the numbers mean</h2><div class="note"><p>'
        + "</p><p>".join(items)
        + "</p></div></div>"
    )


def write_report(
    target_text: str,
    out: Path,
    settings: AnalysisSettings,
    *,
    library_option: str | None = None,
    exercise: Exercise | None = None,
    placement: Placement | None = None,
    side: Side | None = None,
    force: bool = False,
    reference: ReferenceLookup | None = None,
    pair_settings: PairSettings | None = None,
) -> Target:
    """Analyse ID|FILE afresh (the plot needs the angle trace) and write its report to `out`;
    `reference` finds the person's stored knee-drift reference for it (None: none)."""
    from sensortrack.analysis.knee_pair import PairResult
    from sensortrack.session_analysis import analyze_session

    target = load_target(
        target_text, library_option, exercise=exercise, placement=placement, side=side, with_history=True
    )
    sources = [Path(p) for p in (target.session.path, target.record.file_path if target.record else None) if p]
    check_output(out, sources, force)
    session = target.session
    if len(session.companions) == 1:  # two sensors: the pair's measures, plotted on the first's trace
        from sensortrack.pair_analysis import analyze_pair

        pair = analyze_pair(session, session.companions[0], settings, pair_settings)
        first = pair.result.thigh if isinstance(pair.result, PairResult) else pair.result.left
        other = None if isinstance(pair.result, PairResult) else pair.result.right
        page = build_report(target, first, settings, summary=AnalysisSummary.from_pair(pair, settings), other_leg=other)
    else:
        result = analyze_session(session, settings, reference=reference)
        page = build_report(target, result, settings)
    atomic_write_text(out, lambda fh: fh.write(page))
    return target


def build_progress_report(
    library_path: Path,
    records: Sequence[SessionRecord],
    left_out: Sequence[SessionRecord],
    generated: datetime | None = None,
    felt: dict[int, tuple[float | None, int | None]] | None = None,
) -> str:
    """The whole library (or a filtered part): per exercise and placement, the trend and a table.
    `felt`: session id → (mean effort, most pain) from the wearer's set notes."""
    felt_by_id = {k: plots.SessionFelt(*v) for k, v in (felt or {}).items()}
    generated = generated or datetime.now().astimezone()
    groups: dict[tuple[str, str], list[SessionRecord]] = {}
    for record in records:
        key = (record.facts.exercise or "?", record.facts.placement or "?")
        groups.setdefault(key, []).append(record)
    first = min(r.facts.start_time_utc for r in records)
    last = max(r.facts.start_time_utc for r in records)
    span = f"{local_time(first, '%Y-%m-%d')} to {local_time(last, '%Y-%m-%d')}"
    parts = [
        _head(f"Progress — {span}"),
        "<h1>Progress over sessions</h1>",
        f'<p class="sub">{len(records)} analysed sessions from {_e(span)} · library {_e(library_path)}</p>',
    ]
    for (exercise, placement), rows in sorted(groups.items()):
        parts.append(
            f'<div class="section"><h2>{_e(EXERCISE_NAMES.get(exercise, exercise))} — '
            f"sensor on the {_e(placement)}</h2>"
        )
        noted = any(r.id in felt_by_id for r in rows)
        if len(rows) >= 2:
            caption = "Left and right legs are plotted separately; share of reps with knee drift in percent." + (
                " Under the drift: how the sets felt, as noted after them — mean effort (RPE 1–10) and the most pain "
                "(0–10) of each session."
                if noted
                else ""
            )
            parts.append(_figure(plots.trend_figure(rows, None, felt_by_id), f"{exercise} trend over sessions", caption))
        parts.append(
            _table(
                ["Date", "Leg", "Sets", "Reps", "Mean range", "Tempo (per rep)", "Reps with knee drift"]
                + (["Effort (RPE)", "Pain (most)"] if noted else [])
                + ["Session"],
                [
                    [
                        _e(local_time(r.facts.start_time_utc)),
                        _e(r.facts.side or "?"),
                        str(r.set_count),
                        str(r.rep_count),
                        fmt_number(r.mean_range_deg, 0, "°"),
                        fmt_number(r.mean_tempo_s, 1, " s"),
                        f"{r.drift_rep_count} of {r.rep_count}"
                        + (f" ({100 * r.drift_share:.0f} %)" if r.drift_share is not None else ""),
                        *(_felt_cells(felt_by_id.get(r.id)) if noted else []),
                        f"#{r.id}",
                    ]
                    for r in rows
                ],
                set(range(2, 10 if noted else 8)),
                ["warn" if r.drift_rep_count else "" for r in rows],
                "sessions",
            )
        )
        parts.append("</div>")
    if left_out:
        ids = ", ".join(f"#{r.id} ({_left_out_reason(r)})" for r in left_out)
        parts.append(
            f'<p class="note">Not included: {_e(ids)} '
            "(see <code>sensortrack sessions show ID</code>).</p>"
        )
    parts.append(
        '<div class="section"><h2>What the numbers mean</h2><div class="note"><p>Each point is one session. '
        "<b>Mean range</b> is the average range of its reps, in degrees of segment rotation from rest. "
        "<b>Reps with knee drift</b> counts reps where the segment left the rep's own plane toward the midline by more "
        "than the warning threshold — knee drifting inward, not a clinical valgus angle. Values come from each "
        "session's stored analysis; after changing analysis settings, run <code>sensortrack sessions reanalyze</code> "
        "so that all sessions are comparable.</p></div></div>"
    )
    parts.append(_footer(generated, ""))
    return "\n".join(parts)


def _felt_cells(felt: plots.SessionFelt | None) -> list[str]:
    if felt is None:
        return ["–", "–"]
    return [fmt_number(felt.rpe, 1), "–" if felt.pain is None else str(felt.pain)]


def _left_out_reason(record: SessionRecord) -> str:
    if record.analysis_status == "needs_metadata":
        return "needs metadata"
    if record.analysis_status != "ok":
        return "analysis failed"
    return "start time not plausible"


def write_progress_report(
    out: Path,
    *,
    library_option: str | None = None,
    exercise: str | None = None,
    placement: str | None = None,
    side: str | None = None,
    force: bool = False,
) -> int:
    """Write the library's progress report; returns the number of sessions in it."""
    library_path = resolve_library_path(library_option)
    with Library.open(library_path, create=False) as library:
        matching = library.list(SessionFilter(exercise=exercise, placement=placement, side=side))
        felt = library.felt_by_session()
    # Only sessions that can stand on a time axis: one impossible date must not break the report.
    records = [r for r in matching if r.analysis_status == "ok" and r.dated]
    if not records:
        raise LibraryError(f"no analysed sessions to report on in library {library_path}")
    check_output(out, [], force)
    kept = {r.id for r in records}
    page = build_progress_report(library_path, records, [r for r in matching if r.id not in kept], felt=felt)
    atomic_write_text(out, lambda fh: fh.write(page))
    return len(records)


def _drift_limit_sentence(result: AnalysisResult, settings: AnalysisSettings) -> str:
    """How the knee-drift limit was set: the person's reference, or this session's own reps."""
    ref = result.context.reference
    if ref is not None:
        return (
            f"A rep is flagged when its drift passes this person's own reference ({_e(ref.source)}, "
            f"{ref.reps} good reps, median {ref.median_deg:.1f}°) by more than "
            f"{ref.limit_deg(settings) - ref.median_deg:.1f}°."
        )
    return (
        "There is no personal reference for this exercise, so a rep is flagged when its drift passes "
        f"{settings.drift_threshold_deg:g}° and the lower quartile of the session's reps so far by "
        f"{settings.drift_margin_over_baseline_deg:g}° (before {settings.drift_baseline_reps} reps: "
        f"{settings.drift_no_baseline_deg:g}°)."
    )
