"""Replay the personal-reference warning rule over a grid of its settings, on recorded drift traces.

The drift of a rep does not depend on the warning settings (only whether it warns does), so each
`squat_person` session of the hard design (accuracy_reference.py: the reference is the same
person's correct-only session, strapped on again) and, with `--utd DIR`, each UTD-MHAD squat and
chair-rise recording (the reference: the same person's other recording of the same trials) is
analysed once, recording for every counted rep judged against the reference its drift and depth
per sample and the session baseline it was judged with. The rule of analysis/reference.py is then
replayed for every combination of:

- `drift_restrap_shift_thigh_deg` (how far today's level may sit above the reference's median),
- `drift_margin_over_reference_plane_deg` / `drift_margin_over_reference_deg` (a thigh's floor,
  person's plane / calibrated plane), `drift_margin_over_reference_shank_deg`,
- `drift_spread_multiple`.

The replay is checked against the analysis' own warnings at the settings it ran with (a mismatch
is printed, and means the replay no longer is the rule). Tuning data only: seeds 0–99 and UTD-MHAD
odd subjects by default; this script has no reporting option on purpose.

    .venv/bin/python benchmarks/drift_margin_sweep.py --seeds 0:100 --utd /work/realdata/utd-mhad-joined
"""

from __future__ import annotations

import argparse
import itertools
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from sensortrack.analysis import rep_judge
from sensortrack.analysis.reference import DriftReference
from sensortrack.analysis.settings import AnalysisSettings
from sensortrack.core.errors import DriftReferenceError
from sensortrack.core.loading import load_session
from sensortrack.personal_reference import build_reference
from sensortrack.session_analysis import analyze_session, resolve_context
from sensortrack.simulation.hard import TUNING_SEEDS, hard_sessions
from sensortrack.simulation.scoring import _found_reps, _rep_match  # the scorer's own rep matching
from sensortrack.simulation.simulator import simulate_session

_REFERENCE_SALT = 7_919  # as accuracy_reference.py
_UTD_TUNING = (1, 3, 5, 7)


@dataclass
class Traced:
    """One counted rep judged against a reference, as `_maybe_warn` saw it."""

    t0_s: float
    drift_deg: np.ndarray
    depth_deg: np.ndarray
    min_range_deg: float
    session_level_deg: float | None
    usual_range_deg: float | None
    warned: bool = False


@dataclass
class Judged:
    cell: str  # "sim thigh gyro", "utd thigh gyro", …
    reference: DriftReference
    reps: list[tuple[bool, Traced | None]]  # (valgus, the detected rep matched to it)


def _record(judge: Any, sink: list[Traced], drift: Any, t: np.ndarray, theta: np.ndarray) -> None:
    baseline = judge._st.tracker._baseline
    sink.append(Traced(float(t[0]), np.array(drift.drift_deg), np.maximum.accumulate(theta) - theta[0],
                       judge._k.min_range_deg, baseline.level_deg(), baseline.usual_range_deg()))


def traced_analysis(session: Any, settings: AnalysisSettings, reference: DriftReference, body: dict[str, str]) -> tuple[dict[str, Any], list[Traced]]:
    """`analyze_session` with every finished rep's drift trace recorded (a wrapper around the
    analyzer's warning step; the analysis itself is unchanged)."""
    sink: list[Traced] = []
    original = rep_judge.RepJudge.maybe_warn

    def wrapped(self: Any, drift: Any, start: int, t: np.ndarray, theta: np.ndarray, finished: bool = True) -> Any:
        if finished and drift is not None and self._st.ctx.reference is not None:
            _record(self, sink, drift, t, theta)
        return original(self, drift, start, t, theta, finished)

    rep_judge.RepJudge.maybe_warn = wrapped  # type: ignore[method-assign]
    try:
        report = analyze_session(session, settings, reference=reference, **body).to_dict()  # type: ignore[arg-type]
    finally:
        rep_judge.RepJudge.maybe_warn = original  # type: ignore[method-assign]
    return report, sink


def _by_rep(report: dict[str, Any], traced: list[Traced]) -> list[Traced | None]:
    """The trace of each of the report's reps (by start time; a rep's start is t0 less a delay)."""
    out: list[Traced | None] = []
    for st in report["sets"]:
        for rep in st["reps"]:
            best = min(traced, key=lambda x: abs(x.t0_s - rep["start_s"]), default=None)
            if best is None or abs(best.t0_s - rep["start_s"]) > 1.0 or rep["knee_drift_deg"] is None:
                out.append(None)
                continue
            best.warned = bool(rep["warnings"])
            out.append(best)
    return out


def collect(seeds: range, utd: Path | None, settings: AnalysisSettings) -> list[Judged]:
    judged: list[Judged] = []
    for seed in seeds:
        for hard in hard_sessions(seed, only="squat_person"):
            correct_only = replace(hard.spec, sets=tuple(replace(s, drift=False) for s in hard.spec.sets))
            ref_session, _ = simulate_session(correct_only, seed=hard.seed + _REFERENCE_SALT)
            ctx = resolve_context(ref_session)
            body = {"exercise": ctx.exercise, "placement": ctx.placement, "side": ctx.side}
            try:
                reference = build_reference(ref_session, settings, source=f"seed {seed}", **body)  # type: ignore[arg-type]
            except DriftReferenceError:
                continue
            session, labels = simulate_session(hard.spec, seed=hard.seed)
            report, traced = traced_analysis(session, settings, reference, body)
            reps = _by_rep(report, traced)
            matched = _rep_match(labels.reps, _found_reps(report))
            pairs = [(t.valgus, reps[matched[i]] if i in matched else None)
                     for i, t in enumerate(labels.reps) if t.knee_drift_deg is not None]
            judged.append(Judged(f"sim {ctx.placement} {'gyro' if hard.gyro else 'acc only'}", reference, pairs))
    if utd is not None:
        body = {"exercise": "squat", "placement": "thigh", "side": "right"}
        for subject in _UTD_TUNING:
            for kind in ("squat", "chair"):
                joined, paused = utd / f"utd_{kind}_s{subject}.csv", utd / f"utd_{kind}_paused_s{subject}.csv"
                if not (joined.exists() and paused.exists()):
                    continue
                for judged_path, reference_path in ((joined, paused), (paused, joined)):
                    try:
                        reference = build_reference(load_session(reference_path), settings, source=reference_path.name, **body)  # type: ignore[arg-type]
                    except DriftReferenceError:
                        continue
                    report, traced = traced_analysis(load_session(judged_path), settings, reference, body)
                    judged.append(Judged("utd thigh gyro", reference, [(False, r) for r in _by_rep(report, traced)]))
    return judged


def warns(rep: Traced, reference: DriftReference, settings: AnalysisSettings) -> bool:
    """analysis/reference.py's rule and rep_judge.RepJudge.maybe_warn's crossing, replayed."""
    share: Any = 1.0
    if rep.usual_range_deg is not None and rep.usual_range_deg > 0:
        share = rep.depth_deg / rep.usual_range_deg
    limit = reference.limit_deg(settings, rep.session_level_deg, share)
    return bool(((rep.drift_deg > limit) & (rep.depth_deg >= rep.min_range_deg)).any())


def tally(judged: list[Judged], settings: AnalysisSettings) -> dict[str, list[int]]:
    """cell → [correct warned, correct, valgus warned, valgus]."""
    cells: dict[str, list[int]] = {}
    for j in judged:
        c = cells.setdefault(j.cell, [0, 0, 0, 0])
        for valgus, rep in j.reps:
            w = rep is not None and warns(rep, j.reference, settings)
            c[2 if valgus else 0] += int(w)
            c[3 if valgus else 1] += 1
    return cells


def _line(cells: dict[str, list[int]]) -> str:
    sim = [sum(v[i] for k, v in cells.items() if k.startswith("sim")) for i in range(4)]
    utd = cells.get("utd thigh gyro", [0, 0, 0, 0])
    pct = lambda a, b: f"{100 * a / b:5.1f} %" if b else "  -  "  # noqa: E731
    parts = "  ".join(f"{k[4:]}: {v[0]}/{v[1]} {pct(v[2], v[3])}" for k, v in sorted(cells.items()) if k.startswith("sim"))
    return f"sim correct {pct(sim[0], sim[1])} valgus {pct(sim[2], sim[3])} | utd correct {utd[0]}/{utd[1]} | {parts}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default=f"{TUNING_SEEDS.start}:{TUNING_SEEDS.stop}", help="tuning seeds LO:HI")
    parser.add_argument("--utd", type=Path, help="UTD-MHAD joined recordings (odd subjects only)")
    parser.add_argument("--plane", choices=("true", "false"), default="true", help="drift_reference_plane")
    args = parser.parse_args()
    lo, hi = (int(x) for x in args.seeds.split(":"))
    if hi > TUNING_SEEDS.stop:
        parser.exit(2, f"{parser.prog}: tuning seeds only (< {TUNING_SEEDS.stop})\n")
    base = replace(AnalysisSettings(), drift_reference_plane=args.plane == "true")
    judged = collect(range(lo, hi), args.utd, base)
    mismatches = sum(1 for j in judged for _, r in j.reps if r is not None and warns(r, j.reference, base) != r.warned)
    print(f"defaults: {_line(tally(judged, base))}  (replay mismatches: {mismatches})")
    grid = itertools.product([0.0, 1.0, 2.0, 3.0], [1.75, 2.0, 2.5, 3.0], [2.5, 3.0, 3.5], [1.5, 2.0], [2.0, 2.5, 3.0])
    for shift, plane_floor, flat_floor, shank_floor, multiple in grid:
        s = replace(base, drift_restrap_shift_thigh_deg=shift, drift_margin_over_reference_plane_deg=plane_floor,
                    drift_margin_over_reference_deg=flat_floor, drift_margin_over_reference_shank_deg=shank_floor,
                    drift_spread_multiple=multiple)
        print(f"shift {shift:3.1f} plane floor {plane_floor:4.2f} flat floor {flat_floor:3.1f} shank floor "
              f"{shank_floor:3.1f} × {multiple:3.1f}: {_line(tally(judged, s))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
