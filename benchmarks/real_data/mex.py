"""Convert the hand-labelled MEx recordings (subjects 01-15) into a labelled collection.

    .venv/bin/python benchmarks/real_data/mex.py /work/shared/data/mex-thigh-accelerometer /work/realdata/mex-labelled

MEx (Wijekoon, Wiratunga, Cooper, arXiv:1908.08992, CC BY 4.0): Axivity AX3 accelerometer on one
thigh, no gyroscope, ~103 Hz; `act/<subject>/02_act_1.csv` = Bridging, `04_act_{1,2}.csv` = The
Clam, one file per side. Rows are read by sensortrack.simulation.mex.read_mex_csv (the fixtures'
reader: timestamps to seconds from the first row, repeated stamps re-timed, values untouched).
Labels come from `labels-subjects-01-15.json` beside the data: `high` files as counted, `medium`
files with their accepted `count_range`, `low` (not countable) files left out.

Side: MEx records neither which thigh carried the sensor nor which clam file is which side, and
the sensor stays on one thigh for both clam files (in one of the two that thigh is the top, moving
leg, in the other the bottom one: see each file's note). Every file is written with side `left`, a
placeholder; it only decides which way is medial, and MEx has no knee-drift labels to score.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from labelled import write_recording
from sensortrack.core.errors import InputFileError
from sensortrack.simulation.mex import ATTRIBUTION, read_mex_csv

LABELS_NAME = "labels-subjects-01-15.json"
EXERCISE_FILES = {"02_act_1.csv": ("bridge", "bridge"), "04_act_1.csv": ("clamshell", "clamshell_1"),
                  "04_act_2.csv": ("clamshell", "clamshell_2")}
SIDE = "left"  # placeholder: MEx does not say which thigh (module docstring)


def convert(source: Path, out_dir: Path) -> tuple[int, list[str]]:
    """Write every usable labelled file; returns (written, skipped with the reason)."""
    labels = json.loads((source / LABELS_NAME).read_text(encoding="utf-8"))["files"]
    written, skipped = 0, []
    for key, entry in sorted(labels.items()):
        subject, file_name = key.split("/")
        if entry["confidence"] == "low" or not entry["reps"]:
            skipped.append(f"{key}: confidence {entry['confidence']} (not countable)")
            continue
        exercise, stem = EXERCISE_FILES[file_name]
        try:
            t_s, acc_g, first_stamp, repaired = read_mex_csv(source / "act" / key)
        except (InputFileError, OSError) as exc:
            skipped.append(f"{key}: {exc}")
            continue
        truth = {
            "exercise": exercise,
            "placement": "thigh",
            "side": SIDE,
            "person": f"mex-{subject}",
            "group": exercise,
            "reps": [{"start_s": r["start_s"], "peak_s": r["peak_s"], "end_s": r["end_s"]} for r in entry["reps"]],
            "source": f"MEx act/{key}, first row {first_stamp}; {repaired} timestamps re-timed",
            "attribution": ATTRIBUTION,
            "confidence": entry["confidence"],
            "note": f"side is a placeholder (MEx does not say which thigh). Labeller: {entry['note']}",
        }
        if entry["confidence"] == "medium" and entry.get("count_range"):
            truth["count_range"] = entry["count_range"]
        write_recording(out_dir, f"mex_s{subject}_{stem}", t_s, acc_g, None, truth)
        written += 1
    return written, skipped


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="the MEx folder (act/ and labels-subjects-01-15.json)")
    parser.add_argument("out_dir", type=Path, help="where to write NAME.csv + NAME.labels.json")
    args = parser.parse_args()
    if not (args.source / LABELS_NAME).is_file():
        print(f"mex.py: {args.source / LABELS_NAME}: no such file", file=sys.stderr)
        return 2
    written, skipped = convert(args.source, args.out_dir)
    for line in skipped:
        print(f"skipped {line}")
    print(f"{written} recordings written to {args.out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
