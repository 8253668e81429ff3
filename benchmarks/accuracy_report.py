"""Print rep-count, boundary and knee-drift accuracy per exercise on the simulated fixtures.

    .venv/bin/python benchmarks/accuracy_report.py
"""

from __future__ import annotations

from pathlib import Path

from sensortrack.core.model import EXERCISES
from sensortrack.simulation.accuracy import per_exercise, score_files

SIM = Path(__file__).resolve().parent.parent / "fixtures" / "simulated"


def main() -> None:
    scores = score_files(sorted(p for p in SIM.glob("*.csv") if p.stem != "demo_squats"))
    print(f"{'file':34} {'sets (true, found)':32} {'exact':>5} {'bound%':>6} {'drift hit':>9} {'false al.':>9}")
    for path, s in scores.items():
        bnd = "-" if s.boundary_error_pct is None else f"{s.boundary_error_pct:.1f}"
        hit = "-" if s.drift_hit_rate is None else f"{s.drift_hit_rate:.2f}"
        fa = "-" if s.drift_false_alarm_rate is None else f"{s.drift_false_alarm_rate:.2f}"
        print(f"{path.name:34} {str(s.set_counts):32} {s.exact_count_rate:5.2f} {bnd:>6} {hit:>9} {fa:>9}")
    print()
    print("per exercise (excluding the _cut/_restrap/_partial hard cases is the test's view; this includes them)")
    for ex in EXERCISES:
        print(per_exercise(scores, ex))


if __name__ == "__main__":
    main()
