"""Two sensors in the live view: the pair's analysis and its three panels.

The view's counter, phase and plot follow one stream, the *primary* (the thigh of a thigh + shank
pair; the first sensor's side of a left + right pair), analysed by the same StreamingAnalyzer as
with one sensor. The pair's own analyzers add what only two sensors give, without changing their
maths: `analysis.knee_pair.KneePairAnalyzer` the knee's flexion and frontal-plane (valgus) angle
per rep once both streams have covered it, `analysis.sides_pair` the other leg's reps and their
symmetry index against the primary's. Panels: each sensor's state (`SensorsPanel`), the knee-angle
gauge (`KneeGauge`) and the left/right symmetry (`SymmetryPanel`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from rich.text import Text
from textual.widgets import Static

from sensortrack.analysis.context import AnalysisContext
from sensortrack.analysis.knee_pair import KneeMeasured, KneePairAnalyzer, KneeRep, PairResult
from sensortrack.analysis.pair_settings import PairSettings
from sensortrack.analysis.pipeline import StreamingAnalyzer
from sensortrack.analysis.results import AnalysisResult, Event, Rep, RepCounted
from sensortrack.analysis.settings import AnalysisSettings
from sensortrack.analysis.sides_pair import pair_reps, symmetry_index_pct
from sensortrack.core.model import FloatArray
from sensortrack.tui.widgets import bar

if TYPE_CHECKING:
    from sensortrack.tui.sources import SensorView

KNEE = "thigh+shank"
SIDES = "left+right"


def pair_kind(first: AnalysisContext, second: AnalysisContext) -> str:
    """Which pair two sensors make; ValueError for any other two places."""
    if first.side == second.side and {first.placement, second.placement} == {"thigh", "shank"}:
        return KNEE
    if first.placement == second.placement and {first.side, second.side} == {"left", "right"}:
        return SIDES
    raise ValueError(
        f"two sensors must be the thigh and shank of one leg or the same segment of both legs; got the "
        f"{first.side} {first.placement} and the {second.side} {second.placement}"
    )


@dataclass(frozen=True, slots=True)
class OtherSideRep:
    """A rep the other leg's sensor counted (left + right pairs): for the symmetry panel."""

    rep: Rep


PairItem = KneeMeasured | OtherSideRep


class LivePair:
    """The analysis of a live pair, fed by sensor index (0: the first sensor given, 1: the second).
    `primary` is the StreamingAnalyzer the view's counter and phase follow."""

    def __init__(
        self,
        contexts: tuple[AnalysisContext, AnalysisContext],
        settings: AnalysisSettings,
        pair_settings: PairSettings | None = None,
    ) -> None:
        self.pair_settings = pair_settings or PairSettings()
        self.kind = pair_kind(*contexts)
        self.contexts = contexts
        self.knee: KneePairAnalyzer | None = None
        self.knee_result: PairResult | None = None  # a thigh + shank pair's, once finished
        self.other_result: AnalysisResult | None = None  # a left + right pair's other leg, once finished
        self._other: StreamingAnalyzer | None = None
        if self.kind == KNEE:
            self.primary_index = 0 if contexts[0].placement == "thigh" else 1
            self.knee = KneePairAnalyzer(contexts[self.primary_index], contexts[1 - self.primary_index], settings, self.pair_settings)
            self.primary = self.knee.thigh
        else:
            self.primary_index = 0
            self.primary = StreamingAnalyzer(contexts[0], settings, keep_trace=False)
            self._other = StreamingAnalyzer(contexts[1], settings, keep_trace=False)

    @property
    def primary_ctx(self) -> AnalysisContext:
        return self.contexts[self.primary_index]

    @property
    def state(self):  # type: ignore[no-untyped-def]  # the primary's StreamState
        return self.primary.state

    def feed(self, index: int, t_s: FloatArray, acc_g: FloatArray, gyro_dps: FloatArray | None) -> list[Event | PairItem]:
        primary = index == self.primary_index
        if self.knee is not None:
            if primary:
                return list(self.knee.feed_thigh(t_s, acc_g, gyro_dps))
            return list(self.knee.feed_shank(t_s, acc_g, gyro_dps))
        if primary:
            return list(self.primary.feed(t_s, acc_g, gyro_dps))
        assert self._other is not None
        return [OtherSideRep(e.rep) for e in self._other.feed(t_s, acc_g, gyro_dps) if isinstance(e, RepCounted)]

    def end_set(self) -> list[Event]:
        if self._other is not None:
            self._other.end_set()  # the other leg's set ends with it
        return self.primary.end_set()

    def drain_events(self) -> list[Event | PairItem]:
        if self.knee is not None:
            return list(self.knee.drain_events())
        return list(self.primary.drain_events())

    def finish(self) -> AnalysisResult:
        """The primary stream's result (the view's sets); knee angles measured only now are drained next."""
        if self.knee is not None:
            self.knee_result = self.knee.finish()
            return self.knee_result.thigh
        assert self._other is not None
        self.other_result = self._other.finish()
        return self.primary.finish()


# ---------------------------------------------------------------- panels


def sensor_line(view: SensorView) -> Text:
    """One sensor's state: what can go wrong first (a narrow terminal cuts the end)."""
    ok = view.state == "streaming"
    text = Text(f"{view.side} {view.placement:<6}", style="bold")
    state = view.state if view.state != "reconnecting" or not view.last_problem else f"reconnecting ({view.last_problem})"
    text.append(f" {'●' if ok else '○'} {state}", style="green" if ok else ("dim" if view.state == "ended" else "bold yellow"))
    text.append(f" · {view.rate_hz:.0f}/{view.nominal_rate_hz:g} Hz")
    if view.battery_pct is not None:
        text.append(f" · battery {view.battery_pct} %")
    text.append(f" · lost {view.lost_samples}" + (f" in {view.gaps} gaps" if view.gaps else ""))
    if view.reconnects:
        text.append(f" · {view.reconnects} reconnects")
    return text


class SensorsPanel(Static):
    """Each sensor of the pair on its own line, and what a sensor that is out means for the set."""

    def show(self, views: list[SensorView], kind: str, primary_index: int) -> None:
        text = Text()
        for k, view in enumerate(views):
            if k:
                text.append("\n")
            text.append_text(sensor_line(view))
        out = [k for k, v in enumerate(views) if v.state in ("reconnecting", "stalled") or v.state.startswith("silent")]
        if out and len(out) < len(views):
            gone = views[out[0]]
            if out[0] == primary_index:
                what = "reps are not counted live until it is back" + (
                    " (the shank's reps fill in when the session is analysed)" if kind == KNEE else ""
                )
            else:
                what = "no knee angle until it is back" if kind == KNEE else "no left/right comparison until it is back"
            text.append(f"\n⚠ the {gone.side} {gone.placement} sensor is out; the other keeps recording: {what}", style="bold yellow")
        self.update(text)


class KneeGauge(Static):
    """The last measured rep's knee: flexion range and frontal-plane change toward valgus, with the
    limit (`PairSettings.knee_valgus_limit_deg`); or why there is no knee angle."""

    WIDTH = 20

    def show(self, rep_index: int | None, knee: KneeRep | None, limit_deg: float, why_not: str = "") -> None:
        if knee is None:
            self.update(Text(f"knee     {why_not or 'waiting for a rep both sensors saw'}", style="dim"))
            return
        full = max(2.0 * limit_deg, 1.0)
        cells = bar(knee.valgus_deg, full, self.WIDTH)
        mark = int(round(self.WIDTH * limit_deg / full))
        style = "bold red" if knee.warning is not None else "green"
        text = Text("knee     ")
        text.append(cells[:mark], style=style)
        text.append("│", style="bold")
        text.append(cells[mark:], style=style)
        who = f"rep {rep_index} " if rep_index is not None else ""
        text.append(f" {who}valgus {knee.valgus_deg:+.1f}° (limit {limit_deg:g}°) · flexion {knee.flexion_range_deg:.0f}°")
        self.update(text)


@dataclass(frozen=True, slots=True)
class Symmetry:
    pairs: int
    only_primary: int
    only_other: int
    last: dict[str, float] | None  # the newest pair's index per measure, %
    median: dict[str, float]  # over the pairs so far, %


def symmetry_of(primary: list[Rep], other: list[Rep], settings: PairSettings) -> Symmetry:
    """Live left/right symmetry of the reps so far (`analysis.sides_pair`'s pairing and index)."""
    pairs, only_a, only_b = pair_reps(primary, other, settings.pair_min_overlap_share)

    def indices(a: Rep, b: Rep) -> dict[str, float]:
        return {
            "range": symmetry_index_pct(a.range_deg, b.range_deg),
            "tempo": symmetry_index_pct(a.end_s - a.start_s, b.end_s - b.start_s),
        }

    per_pair = [indices(a, b) for a, b in pairs]
    median = {m: float(np.median([p[m] for p in per_pair])) for m in ("range", "tempo")} if per_pair else {}
    return Symmetry(len(pairs), len(only_a), len(only_b), per_pair[-1] if per_pair else None, median)


class SymmetryPanel(Static):
    """Left against right: the newest rep pair's and the session's median symmetry index."""

    def show(self, sym: Symmetry | None, settings: PairSettings, sides: tuple[str, str]) -> None:
        if sym is None or sym.last is None:
            self.update(Text(f"{sides[0]}/{sides[1]}  waiting for a rep both legs made", style="dim"))
            return
        text = Text(f"{sides[0]}/{sides[1]}  {sym.pairs} rep pairs")
        for measure, limit in (("range", settings.range_asymmetry_limit_pct), ("tempo", settings.tempo_asymmetry_limit_pct)):
            median = sym.median[measure]
            over = median > limit
            text.append(f" · {measure} {sym.last[measure]:.0f} % (median {median:.0f} %, limit {limit:g} %)", style="bold red" if over else "")
        unpaired = sym.only_primary + sym.only_other
        if unpaired:
            text.append(f" · {unpaired} reps one leg only", style="yellow")
        self.update(text)
