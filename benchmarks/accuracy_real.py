"""Accuracy of the product's analysis on folders of labelled recordings (real ones, nobody tuned on).

    .venv/bin/python benchmarks/accuracy_real.py DIR... [--json] [--set KEY=VALUE ...] [--details]

Each DIR holds NAME.csv + NAME.labels.json (format: benchmarks/real_data/labelled.py; the
simulator's fixtures/simulated/ is read as is). Every recording is analysed exactly as
`sensortrack analyze` does (sensortrack.session_analysis.analyze_session, exercise/placement/side
from the labels) and scored with sensortrack.simulation.scoring. Printed per folder, and per
group inside it (labels' `group`, else the exercise):

- sets: true sets with reps; exact = the matched detected set has the hand count (or a count inside
  the labels' count_range), ±1 likewise; zero = true sets of 3+ reps counted 0.
  A set with rep times is matched to a detected set by overlap (scoring.score); a recording given
  only as a count is one set compared with every rep counted in the recording.
- boundary error: mean |start|/|end| error as % of the true rep's duration, files with rep times.
- clean/faulty warned: reps labelled `correct` / any other form that carry a knee_drift warning.
  With rep times, a true rep is matched to a detected rep (an unmatched rep is not warned); in a
  count-only recording every detected rep has the recording's form.
- drift AUC: probability that a faulty rep's knee_drift_deg exceeds a correct rep's (ties ½), over
  the reps above; "within person" is the mean of that AUC per `person` (labels) having both forms.
- non-rep recordings (labels `"reps": []`): how many had reps counted, and how many reps.
- misses: every set counted wrong (file, truth, counted, and the reps of every detected set).

A recording that cannot be read, labelled or analysed is reported in one line and left out.
`--json` prints one object: {"settings_overrides", "folders": [{the figures above, "by_group",
"misses", "unreadable", "per_file": every recording's sets (truth, range, counted)}]}, no NaN.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from real_data.labelled import CORRECT, LabelError, RecordingLabels, TrueSet, read_labels
from sensortrack.analysis.settings import AnalysisSettings
from sensortrack.config import parse_set_options
from sensortrack.core.errors import SensortrackError
from sensortrack.core.loading import load_session
from sensortrack.session_analysis import analyze_session
from sensortrack.simulation.labels import Labels, RepLabel, SetLabel
from sensortrack.simulation.scoring import DRIFT_WARNING, Score, pooled, score
from sensortrack.simulation.scoring import _match as match_by_overlap  # the matching score() uses

LABELS_SUFFIX = ".labels.json"


@dataclass(slots=True)
class FileScore:
    file: str
    group: str
    person: str | None
    counts: list[tuple[TrueSet, int]]  # (true set, counted)
    timed: Score | None  # scoring.score() of a recording with rep times
    non_rep_counted: int | None  # reps counted on a recording labelled with no reps
    found_sets: list[int]  # reps in each detected set, for the misses list
    # (form, knee_drift_deg or None, warned) of every labelled rep, as described in the docstring
    rep_forms: list[tuple[str, float | None, bool]] = field(default_factory=list)


def _simulator_labels(truth: RecordingLabels, rate_hz: float) -> Labels:
    """The timed sets as sensortrack's own ground-truth type, so scoring.score() can judge them.
    range_deg and drift are not known for real recordings; score() reads neither (drift is None)."""
    sets = tuple(
        SetLabel(s.reps[0].start_s, s.reps[-1].end_s, drift=False, step=None, reps=tuple(
            RepLabel(r.start_s, r.peak_s, r.end_s, range_deg=math.nan, knee_drift_deg=None, valgus=False)
            for r in s.reps))
        for s in truth.sets
    )
    return Labels(truth.exercise, truth.placement, truth.side, rate_hz, seed=0, generator_version="real",
                  sets=sets)


def _warned(rep: dict[str, Any]) -> bool:
    return DRIFT_WARNING in rep.get("warnings", [])


def _drift(rep: dict[str, Any]) -> float | None:
    value = rep.get("knee_drift_deg")
    return float(value) if value is not None else None


def score_file(csv_path: Path, truth: RecordingLabels, settings: AnalysisSettings) -> FileScore:
    session = load_session(csv_path)
    report = analyze_session(session, settings, truth.exercise, truth.placement, truth.side).to_dict()
    found_sets = report.get("sets", [])
    found_reps = [r for s in found_sets for r in s.get("reps", [])]
    out = FileScore(csv_path.name, truth.group, truth.person, [], None, None,
                    [len(s.get("reps", [])) for s in found_sets])
    if not truth.sets:
        out.non_rep_counted = len(found_reps)
        return out
    if all(s.timed for s in truth.sets):
        out.timed = score(report, _simulator_labels(truth, session.meta.sensor.nominal_rate_hz))
        out.counts = [(s, counted) for s, (_, counted) in zip(truth.sets, out.timed.set_counts, strict=True)]
        true_reps = [r for s in truth.sets for r in s.reps]
        matched = match_by_overlap([(r.start_s, r.end_s) for r in true_reps],
                                   [(float(r["start_s"]), float(r["end_s"])) for r in found_reps])
        for i, rep in enumerate(true_reps):
            if rep.form is None:
                continue
            found = found_reps[matched[i]] if i in matched else None
            out.rep_forms.append((rep.form, None if found is None else _drift(found),
                                  found is not None and _warned(found)))
        return out
    if len(truth.sets) == 1:  # count only: every rep counted in the recording belongs to it
        only = truth.sets[0]
        out.counts = [(only, len(found_reps))]
        if only.form is not None:
            out.rep_forms = [(only.form, _drift(r), _warned(r)) for r in found_reps]
        return out
    # several sets, some count-only: each has start_s/end_s (labelled.py checks), match by overlap
    spans = [(float(s["start_s"]), float(s["end_s"])) for s in found_sets]
    matched = match_by_overlap([(float(s.start_s), float(s.end_s)) for s in truth.sets], spans)  # type: ignore[arg-type]
    for i, true_set in enumerate(truth.sets):
        reps = found_sets[matched[i]].get("reps", []) if i in matched else []
        out.counts.append((true_set, len(reps)))
        if true_set.form is not None:
            out.rep_forms += [(true_set.form, _drift(r), _warned(r)) for r in reps]
    return out


def auc(faulty: list[float], correct: list[float]) -> float | None:
    """P(faulty > correct) + ½ P(tie): the Mann–Whitney form of the ROC area."""
    if not faulty or not correct:
        return None
    f = np.asarray(faulty)[:, None]
    c = np.asarray(correct)[None, :]
    return float(np.mean((f > c) + 0.5 * (f == c)))


def _rate(hits: int, total: int) -> float | None:
    return hits / total if total else None


def summarize(files: list[FileScore]) -> dict[str, Any]:
    counts = [(f, s, n) for f in files for s, n in f.counts]
    forms = [x for f in files for x in f.rep_forms]
    clean = [x for x in forms if x[0] == CORRECT]
    faulty = [x for x in forms if x[0] != CORRECT]
    non_rep = [f for f in files if f.non_rep_counted is not None]
    by_person: dict[str, tuple[list[float], list[float]]] = defaultdict(lambda: ([], []))
    for f in files:
        for form, drift, _ in f.rep_forms:
            if drift is not None and f.person is not None:
                by_person[f.person][form == CORRECT].append(drift)
    person_aucs = [a for fa, co in by_person.values() if (a := auc(fa, co)) is not None]
    timed = [f.timed for f in files if f.timed is not None]
    return {
        "files": len(files),
        "sets": len(counts),
        "exact_rate": _rate(sum(s.accepts(n) for _, s, n in counts), len(counts)),
        "within_one_rate": _rate(sum(s.accepts(n, slack=1) for _, s, n in counts), len(counts)),
        "zero_sets_of_3_plus": sum(1 for _, s, n in counts if s.count >= 3 and n == 0),
        "timed_files": len(timed),
        "boundary_error_pct": pooled(timed)["boundary_error_pct"] if timed else None,
        "clean_reps": len(clean),
        "clean_warned_rate": _rate(sum(w for *_, w in clean), len(clean)),
        "faulty_reps": len(faulty),
        "faulty_warned_rate": _rate(sum(w for *_, w in faulty), len(faulty)),
        "drift_auc": auc([d for _, d, _ in faulty if d is not None], [d for _, d, _ in clean if d is not None]),
        "drift_auc_within_person": float(np.mean(person_aucs)) if person_aucs else None,
        "persons_with_both_forms": len(person_aucs),
        "non_rep_files": len(non_rep),
        "non_rep_files_counted": sum(1 for f in non_rep if f.non_rep_counted),
        "non_rep_reps_counted": sum(f.non_rep_counted or 0 for f in non_rep),
        "misses": [
            {"file": f.file, "truth": s.count, "count_range": list(s.count_range) if s.count_range else None,
             "counted": n, "detected_sets": f.found_sets}
            for f, s, n in counts if not s.accepts(n)
        ] + [
            {"file": f.file, "truth": 0, "count_range": None, "counted": f.non_rep_counted,
             "detected_sets": f.found_sets}
            for f in non_rep if f.non_rep_counted
        ],
    }


def file_row(f: FileScore) -> dict[str, Any]:
    """One recording's outcome, for scripts that compare two runs file by file (--json)."""
    return {
        "file": f.file, "group": f.group, "person": f.person,
        "sets": [{"truth": s.count, "count_range": list(s.count_range) if s.count_range else None, "counted": n,
                  "exact": s.accepts(n)} for s, n in f.counts],
        "non_rep_counted": f.non_rep_counted,
        "detected_sets": f.found_sets,
        "boundary_error_pct": f.timed.boundary_error_pct if f.timed is not None else None,
    }


def score_folder(folder: Path, settings: AnalysisSettings) -> dict[str, Any]:
    files: list[FileScore] = []
    problems: list[str] = []
    labels = sorted(folder.glob(f"*{LABELS_SUFFIX}")) if folder.is_dir() else []
    if not folder.is_dir():
        problems.append(f"{folder}: not a folder")
    elif not labels:
        problems.append(f"{folder}: no *{LABELS_SUFFIX} files")
    for label_path in labels:
        csv_path = label_path.with_name(label_path.name[: -len(LABELS_SUFFIX)] + ".csv")
        try:
            truth = read_labels(label_path)
            files.append(score_file(csv_path, truth, settings))
        except (LabelError, SensortrackError) as exc:
            problems.append(str(exc))
        except Exception as exc:  # the analysis itself failing on a real recording is a finding, not a crash
            problems.append(f"{csv_path}: analysis failed ({type(exc).__name__}: {exc})")
    groups = sorted({f.group for f in files})
    return {
        "folder": str(folder),
        "unreadable": problems,
        **summarize(files),
        "by_group": {g: summarize([f for f in files if f.group == g]) for g in groups},
        "per_file": [file_row(f) for f in files],
    }


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"


def _num(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


HEADER = (f"{'':16} {'files':>5} {'sets':>4} {'exact':>6} {'±1':>5} {'zero':>4} {'bound':>6} "
          f"{'clean w.':>9} {'faulty w.':>10} {'AUC':>5} {'AUC/p':>5} {'non-rep':>9}")


def _row(name: str, s: dict[str, Any]) -> str:
    clean = f"{_pct(s['clean_warned_rate'])}/{s['clean_reps']}" if s["clean_reps"] else "-"
    faulty = f"{_pct(s['faulty_warned_rate'])}/{s['faulty_reps']}" if s["faulty_reps"] else "-"
    non_rep = f"{s['non_rep_files_counted']}/{s['non_rep_files']}" if s["non_rep_files"] else "-"
    bound = "-" if s["boundary_error_pct"] is None else f"{s['boundary_error_pct']:.1f}%"
    return (f"{name:16} {s['files']:5d} {s['sets']:4d} {_pct(s['exact_rate']):>6} {_pct(s['within_one_rate']):>5} "
            f"{s['zero_sets_of_3_plus']:4d} {bound:>6} {clean:>9} {faulty:>10} {_num(s['drift_auc']):>5} "
            f"{_num(s['drift_auc_within_person']):>5} {non_rep:>9}")


def print_folder(result: dict[str, Any], details: bool) -> None:
    print(f"== {result['folder']}")
    for problem in result["unreadable"]:
        print(f"   unreadable: {problem}")
    print(HEADER)
    print(_row("all", result))
    if len(result["by_group"]) > 1 or details:
        for group, s in result["by_group"].items():
            print(_row(f"  {group}", s))
    if result["non_rep_files"]:
        print(f"   reps counted on non-rep recordings: {result['non_rep_reps_counted']} "
              f"in {result['non_rep_files_counted']} of {result['non_rep_files']} files")
    misses = result["misses"]
    print(f"   misses ({len(misses)}):" if misses else "   misses: none")
    for m in misses:
        truth = str(m["truth"]) if m["count_range"] is None else f"{m['truth']} (accepts {m['count_range'][0]}-{m['count_range'][1]})"
        sets = "+".join(map(str, m["detected_sets"])) or "none"
        print(f"     {m['file']:44} truth {truth:20} counted {m['counted']:3d}   detected sets: {sets}")


def _finite(value: Any) -> Any:
    """JSON without NaN: a non-finite number becomes null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dirs", nargs="+", metavar="DIR", help="folders of NAME.csv + NAME.labels.json")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    parser.add_argument("--details", action="store_true", help="per-group rows even for one group")
    parser.add_argument("--set", dest="set_options", action="append", default=[], metavar="KEY=VALUE",
                        help="override an analysis setting (repeatable), as `sensortrack analyze --set`")
    args = parser.parse_args(list(argv) if argv is not None else None)
    try:
        overrides = parse_set_options(args.set_options)
        settings = AnalysisSettings().with_overrides(overrides)
    except (SensortrackError, ValueError) as exc:
        print(f"accuracy_real: {exc}", file=sys.stderr)
        return 2
    results = [score_folder(Path(d), settings) for d in args.dirs]
    if args.json:
        print(json.dumps(_finite({"settings_overrides": overrides, "folders": results}), allow_nan=False))
    else:
        for result in results:
            print_folder(result, args.details)
    return 0


if __name__ == "__main__":
    sys.exit(main())
