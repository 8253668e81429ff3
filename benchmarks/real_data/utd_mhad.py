"""Convert UTD-MHAD's right-thigh inertial trials (actions 22-27) into two labelled collections.

    .venv/bin/python benchmarks/real_data/utd_mhad.py SOURCE/data/Inertial /work/realdata

SOURCE is a local copy of github:woo-chia-wei/kinect-sequence-classification (data/Inertial holds
UTD-MHAD's `a{action}_s{subject}_t{trial}_inertial.mat`). UTD-MHAD: C. Chen, R. Jafari,
N. Kehtarnavaz, "UTD-MHAD: A Multimodal Dataset for Human Action Recognition Utilizing a Depth
Camera and a Wearable Inertial Sensor", ICIP 2015; 8 subjects x 4 trials per action; for actions
22-27 the inertial sensor is worn on the right thigh. Each .mat holds `d_iner` (n x 6): acceleration
(g: its magnitude is ~1.0 standing still) then angular rate (°/s: jogging peaks at ~200-300, which
as rad/s would be impossible), sampled at 50 Hz (no time column).

Written:
- utd-mhad-joined/: per subject, the 4 trials of one action cut to their movement and joined with
  no pause, so the recording starts on a rep and has no still second between reps.
  squat = a27 (one squat per trial, 4 reps); lunge = a26 (forward lunge, the sensor thigh is the
  trailing leg, 4 reps); chair = a24 sit-to-stand and a25 stand-to-sit alternately
  (a24 t1, a25 t1, ..., a25 t4: 4 reps that start and end seated), labelled exercise "squat", the
  product's closest; jog = a22 and walk = a23 (jogging / walking in place, labelled with no reps).
  `utd_{squat,lunge,chair}_paused_sN`: the same trials joined whole, each with its own still
  start and end (1-2 s standing or seated between reps), a control for the cut versions.
  UTD-MHAD has 4 trials per subject and action, so a joined set has 4 reps, not 5 (3 where a
  trial is missing: a23_s6_t4 and a27_s8_t4 are not in the copy).
- utd-mhad-single/: every a27, a26, a22, a23 trial as recorded (one squat / one lunge between
  standing, or a few seconds of jogging / walking in place: no reps).

Labels are counts only: a trial's rep has no hand-marked start and end, and the movement cut below
is a detector's guess, not a label (its spans are kept in `trials` for reading, not scored).
Cutting a trial to its movement: from the first to the last sample where |gyro| smoothed over 0.2 s
exceeds 20 °/s and a quarter of the trial's peak, widened by 0.15 s each side (checked on plots of
every action: /work/notes/plots/utd_cuts.png when made with --plot-cuts). UTD-MHAD's own files have no
licence text in that repository: the data stays outside this repository (docs/real-recordings.md).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np
import scipy.io

from labelled import write_recording
from sensortrack.core.model import FloatArray

RATE_HZ = 50.0  # UTD-MHAD inertial sampling rate (Chen et al. 2015)
SUBJECTS = range(1, 9)
TRIALS = range(1, 5)
ACTIVE_DPS = 20.0  # still standing/sitting reads < 10 °/s here; a squat or a lunge peaks > 50 °/s
# A bump after the movement (a27_s3_t4 has one ~1 s after standing up) stays under this share of the
# trial's peak speed; the slow bottom of a lunge lies between two active phases and stays inside.
PEAK_SHARE = 0.25
SMOOTH_S = 0.2
MARGIN_S = 0.15

SOURCE_NOTE = "UTD-MHAD (Chen, Jafari, Kehtarnavaz, ICIP 2015) via github:woo-chia-wei/kinect-sequence-classification"


def _trial_path(folder: Path, action: int, subject: int, trial: int) -> Path:
    return folder / f"a{action}_s{subject}_t{trial}_inertial.mat"


def read_trial(folder: Path, action: int, subject: int, trial: int) -> tuple[FloatArray, FloatArray]:
    data = scipy.io.loadmat(str(_trial_path(folder, action, subject, trial)))["d_iner"].astype(float)
    return data[:, :3], data[:, 3:6]


def movement_span(gyro_dps: FloatArray) -> tuple[int, int]:
    """[start, end) sample indices of the trial's movement (module docstring)."""
    width = max(1, round(SMOOTH_S * RATE_HZ))
    speed = np.convolve(np.linalg.norm(gyro_dps, axis=1), np.ones(width) / width, mode="same")
    active = np.flatnonzero(speed > max(ACTIVE_DPS, PEAK_SHARE * float(speed.max(initial=0.0))))
    if active.size == 0:
        return 0, len(gyro_dps)
    margin = round(MARGIN_S * RATE_HZ)
    return max(0, int(active[0]) - margin), min(len(gyro_dps), int(active[-1]) + 1 + margin)


def join(pieces: list[tuple[FloatArray, FloatArray, str]], cut: bool = True,
         ) -> tuple[FloatArray, FloatArray, FloatArray, list[dict[str, Any]]]:
    """Trials back to back on one 50 Hz clock: cut to their movement, or whole (`cut=False`)."""
    accs, gyros, spans, n = [], [], [], 0
    for acc, gyro, name in pieces:
        i0, i1 = movement_span(gyro) if cut else (0, len(gyro))
        accs.append(acc[i0:i1])
        gyros.append(gyro[i0:i1])
        spans.append({"trial": name, "start_s": round(n / RATE_HZ, 3), "end_s": round((n + i1 - i0) / RATE_HZ, 3)})
        n += i1 - i0
    return np.arange(n) / RATE_HZ, np.vstack(accs), np.vstack(gyros), spans


def _labels(exercise: str, group: str, subject: int, count: int, note: str,
            trials: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    truth: dict[str, Any] = {"exercise": exercise, "placement": "thigh", "side": "right", "person": f"utd-s{subject}",
                             "group": group}
    truth.update({"sets": [{"count": count}]} if count else {"reps": []})
    truth.update({"source": SOURCE_NOTE, "note": note})
    if trials is not None:
        truth["trials"] = trials
    return truth


JOINED = {  # name: (exercise, actions taken in turn, reps per trial pair/trial, note)
    "squat": ("squat", (27,), "a27: one squat per trial, 4 trials joined"),
    "lunge": ("lunge", (26,), "a26: one forward lunge per trial, sensor thigh = trailing leg, 4 trials joined"),
    "chair": ("squat", (24, 25), "a24 sit-to-stand + a25 stand-to-sit alternately = one chair rep from seated; "
                                 "labelled squat, the product's closest exercise"),
    "jog": ("squat", (22,), "a22 jogging in place: no reps (labelled squat, the exercise a user would pick)"),
    "walk": ("squat", (23,), "a23 walking in place: no reps (labelled squat, the exercise a user would pick)"),
}
PAUSED = ("squat", "lunge", "chair")  # also joined whole: a control for the cut (no-pause) version
SINGLE = {27: ("squat", "squat", 1, "a27 single trial: one squat between standing"),
          26: ("lunge", "lunge", 1, "a26 single trial: one forward lunge, sensor thigh = trailing leg"),
          22: ("squat", "jog", 0, "a22 single trial: jogging in place, no reps"),
          23: ("squat", "walk", 0, "a23 single trial: walking in place, no reps")}


def convert(folder: Path, out_root: Path) -> int:
    written = 0
    for subject in SUBJECTS:
        for name, (exercise, actions, note) in JOINED.items():
            # UTD-MHAD lacks a few trials (861 of 864 sequences): a rep needs all its actions' trials
            trials = [t for t in TRIALS if all(_trial_path(folder, a, subject, t).is_file() for a in actions)]
            if not trials:
                continue
            pieces = [(*read_trial(folder, a, subject, t), f"a{a}_s{subject}_t{t}") for t in trials for a in actions]
            count = 0 if name in ("jog", "walk") else len(trials)
            t_s, acc, gyro, spans = join(pieces)
            write_recording(out_root / "utd-mhad-joined", f"utd_{name}_s{subject}", t_s, acc, gyro,
                            _labels(exercise, name, subject, count, note, spans))
            written += 1
            if name in PAUSED:  # the same trials whole: the standing/sitting each trial has stays in
                t_s, acc, gyro, spans = join(pieces, cut=False)
                write_recording(out_root / "utd-mhad-joined", f"utd_{name}_paused_s{subject}", t_s, acc, gyro,
                                _labels(exercise, f"{name}_paused", subject, count,
                                        note + "; trials whole, with their own still start and end", spans))
                written += 1
        for action, (exercise, group, count, note) in SINGLE.items():
            for trial in TRIALS:
                if not _trial_path(folder, action, subject, trial).is_file():
                    continue
                acc, gyro = read_trial(folder, action, subject, trial)
                write_recording(out_root / "utd-mhad-single", f"utd_a{action}_s{subject}_t{trial}",
                                np.arange(len(acc)) / RATE_HZ, acc, gyro, _labels(exercise, group, subject, count, note))
                written += 1
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inertial_dir", type=Path, help="the data/Inertial folder with a*_s*_t*_inertial.mat")
    parser.add_argument("out_root", type=Path, help="utd-mhad-joined/ and utd-mhad-single/ are written here")
    args = parser.parse_args()
    try:
        written = convert(args.inertial_dir, args.out_root)
    except (OSError, KeyError, ValueError) as exc:
        print(f"utd_mhad.py: {exc}", file=sys.stderr)
        return 2
    print(f"{written} recordings written under {args.out_root}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
