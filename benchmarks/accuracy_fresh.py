"""Accuracy on simulated sessions the analysis was never tuned on (fresh seeds, same design).

The committed fixtures were looked at while the thresholds were chosen; these were not. Each round
draws every exercise × placement × side again with new seeds (new depths, tempos, strap
orientations, noise, dropouts, distractors), simulates it in memory and scores it like
tests/test_analysis_accuracy.py does. A large gap between this table and the fixtures' one would
mean the thresholds fit the fixtures rather than the movements.

    .venv/bin/python benchmarks/accuracy_fresh.py [--rounds 3] [--first 0] [--only squat] [--details]
                                                  [--set analysis.KEY=VALUE ...]

Keep rounds 0-2 for reporting and try ideas on others (--first 10): tuning on the rounds you report
would make them fixtures again.

This is the fixtures' own design, which the first-generation engine was built on; the sessions it
fails like real recordings (a person's own knee path, fast continuous sets, sit-to-stand, recordings
starting on a rep, small ranges on a coarse accelerometer, alternating lunges) are in
benchmarks/accuracy_hard.py.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sensortrack.analysis.settings import AnalysisSettings
from sensortrack.config import parse_set_options
from sensortrack.core.model import EXERCISES
from sensortrack.session_analysis import analyze_session
from sensortrack.simulation.accuracy import per_exercise
from sensortrack.simulation.catalog import standard_fixtures
from sensortrack.simulation.scoring import Score, score
from sensortrack.simulation.simulator import simulate_session


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="fresh draws of the whole design (default 3)")
    parser.add_argument("--first", type=int, default=0, help="first round's number: other rounds, other seeds")
    parser.add_argument("--only", default="", help="only exercises whose name starts with this (e.g. squat)")
    parser.add_argument("--details", action="store_true", help="also list every session whose counts are off")
    parser.add_argument("--set", action="append", default=[], metavar="analysis.KEY=VALUE", help="override a setting")
    args = parser.parse_args()
    settings = AnalysisSettings().with_overrides(parse_set_options(args.set))
    scores: dict[Path, Score] = {}
    for k in range(args.first, args.first + args.rounds):
        for fixture in standard_fixtures(salt=f"/fresh{k}"):
            if not fixture.name.startswith(args.only):
                continue
            session, labels = simulate_session(fixture.spec, fixture.seed)
            # per_exercise groups by the name's exercise prefix; the path is only a key
            key = Path(f"{fixture.name}_fresh{k}.csv")
            scores[key] = score(analyze_session(session, settings), labels)
            if args.details and any(t != d for t, d in scores[key].set_counts):
                print(f"{key.stem:32} seed {fixture.seed:>10}  sets (true, found): {scores[key].set_counts}")
    print(f"{args.rounds} round(s) of fresh seeds, {len(scores)} sessions")
    print(f"{'exercise':10} {'sets':>4} {'exact':>6} {'±1':>6} {'bound%':>7} {'drift hit':>9} {'false al.':>9}")
    for exercise in EXERCISES:
        if not exercise.startswith(args.only) and not args.only.startswith(exercise):
            continue
        acc = per_exercise(scores, exercise)
        hit = "-" if acc.drift_hit_rate is None else f"{acc.drift_hit_rate:.2f}"
        fa = "-" if acc.drift_false_alarm_rate is None else f"{acc.drift_false_alarm_rate:.2f}"
        print(
            f"{exercise:10} {acc.sets:4d} {acc.exact_count_rate:6.2f} {acc.within_one_rate:6.2f} "
            f"{acc.boundary_error_pct:7.1f} {hit:>9} {fa:>9}"
        )


if __name__ == "__main__":
    main()
