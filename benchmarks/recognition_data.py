"""Labelled recognition windows and recordings, shared by train_recognition.py and recognition.py.

Sources, and which part of each may be trained on:
- the simulator (sensortrack/simulation/): the standard design (every exercise × placement × side,
  walking, fidgeting, sitting down and lying adjustments between sets) and the hard design
  (sensortrack/simulation/hard.py), drawn from design seeds. Tuning seeds 0–99 train; reporting
  seeds 1000–1099 are only ever reported on (hard.TUNING_SEEDS / REPORTING_SEEDS).
- MEx (/work/shared/data/mex-thigh-accelerometer, CC BY 4.0): thigh accelerometer, bridges and
  clamshells of 30 people; subjects 01–15 train, 16–30 are held out.
- UTD-MHAD local conversions (/work/realdata/utd-mhad-*): never trained on (not licensed for
  copying); reported only.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sensortrack.analysis.recognition import NONE, RecognitionSettings, Windows, windows
from sensortrack.core.model import FloatArray
from sensortrack.simulation.catalog import standard_fixtures
from sensortrack.simulation.hard import hard_sessions
from sensortrack.simulation.recognition_scenes import simulate_flat

MEX_DIR = Path("/work/shared/data/mex-thigh-accelerometer")
MEX_TRAIN_SUBJECTS = tuple(f"{i:02d}" for i in range(1, 16))
MEX_HELD_OUT_SUBJECTS = tuple(f"{i:02d}" for i in range(16, 31))
MEX_EXERCISE = {"02": "bridge", "04": "clamshell"}
# A window is labelled with a set's exercise when at least this share of it lies inside the set
# (first rep's start to last rep's end), "none" when none of it does; windows in between are not
# trained on (they are half rest, half set: either answer is fine there).
IN_SET_SHARE = 0.5


@dataclass(frozen=True, slots=True, eq=False)
class Recording:
    """One recording with its truth: the sets' spans and exercise, the placement."""

    name: str
    source: str  # "simulator", "mex", "utd-single", "utd-joined"
    t_s: FloatArray
    acc_g: FloatArray
    gyro_dps: FloatArray | None
    placement: str
    # (start_s, end_s, exercise or NONE) of every true set; a recording of no exercise has one
    # (start, end, NONE) over all of it
    sets: tuple[tuple[float, float, str], ...]
    person: str = ""


def simulated(seeds: range) -> Iterator[Recording]:
    """The standard and the hard design for each design seed, strapped flat (flat_straps)."""
    for seed in seeds:
        for fx in standard_fixtures(salt=f"/recognition/{seed}"):
            yield _from_sim(f"{seed}_{fx.name}", *simulate_flat(fx.spec, fx.seed))
        for hs in hard_sessions(seed):
            yield _from_sim(f"{seed}_{hs.scenario}", *simulate_flat(hs.spec, hs.seed))


def scenes(seeds: range) -> Iterator[Recording]:
    """sensortrack/simulation/recognition_scenes.py per design seed: trailing-leg lunges, jogging and
    walking in place, paused sets, single-rep clips; and 2–4 s clips cut from the jogging and
    walking in place (no exercise, as short as a UTD-MHAD trial)."""
    from sensortrack.simulation.recognition_scenes import clip_sessions, recognition_sessions

    for seed in seeds:
        rng = np.random.Generator(np.random.PCG64(seed + 31))
        for name, spec, sim_seed in recognition_sessions(seed) + clip_sessions(seed):
            session, labels = simulate_flat(spec, sim_seed)
            rec = _from_sim(f"{seed}_{name}", session, labels)
            yield rec
            for d in labels.distractors:
                if d.kind not in ("jog", "walk_in_place") or d.end_s - d.start_s < 6.0:
                    continue
                t0 = rng.uniform(d.start_s + 1.0, d.end_s - 5.0)
                keep = (rec.t_s >= t0) & (rec.t_s <= t0 + rng.uniform(2.0, 4.0))
                yield Recording(f"{rec.name}_{d.kind}_clip", "simulator", rec.t_s[keep], rec.acc_g[keep], None,
                                rec.placement, ((float(rec.t_s[keep][0]), float(rec.t_s[keep][-1]), NONE),), rec.name)


def tilted(recs: Iterator[Recording]) -> Iterator[Recording]:
    """Each recording strapped at an arbitrary angle instead of flat: its sensor frame turned by a
    random rotation (fixed per recording name). Turning a rigidly strapped sensor turns every
    sample it measures by the same rotation, so this is the same movement seen from a strap that
    does not lie flat (a phone in a pocket, a fixture made by the simulator's own mount draw)."""
    from scipy.spatial.transform import Rotation

    for rec in recs:
        turn = Rotation.random(random_state=stable_seed(rec.name)).as_matrix()
        gyro = None if rec.gyro_dps is None else rec.gyro_dps @ turn.T
        yield Recording(rec.name, rec.source, rec.t_s, rec.acc_g @ turn.T, gyro, rec.placement, rec.sets, rec.person)


def _from_sim(name: str, session, labels) -> Recording:  # type: ignore[no-untyped-def]
    s = session.samples
    sets = tuple((st.start_s, st.end_s, labels.exercise) for st in labels.sets)
    return Recording(name, "simulator", s.t_s, s.acc_g, s.gyro_dps, labels.placement, sets, name)


def mex(subjects: tuple[str, ...], root: Path = MEX_DIR) -> Iterator[Recording]:
    """Whole MEx recordings: one set of the file's exercise over all of it (people exercised for
    the whole recording, up to a minute)."""
    from sensortrack.simulation.mex import read_mex_csv

    for subject in subjects:
        folder = root / "act" / subject
        for path in sorted(folder.glob("*_act_*.csv")):
            exercise = MEX_EXERCISE.get(path.name[:2])
            if exercise is None:
                continue
            t, acc, _, _ = read_mex_csv(path)
            yield Recording(f"mex_{subject}_{path.stem}", "mex", t, acc, None, "thigh",
                            ((float(t[0]), float(t[-1]), exercise),), f"mex-{subject}")


def labelled_folder(folder: Path, source: str) -> Iterator[Recording]:
    """A folder of NAME.csv + NAME.labels.json (benchmarks/real_data/labelled.py). A labelled set
    without rep times spans the recording (or its own start_s/end_s); `"reps": []` is no exercise."""
    from real_data.labelled import LabelError, read_labels
    from sensortrack.core.loading import load_session

    for labels_path in sorted(folder.glob("*.labels.json")):
        csv = labels_path.with_name(labels_path.name[: -len(".labels.json")] + ".csv")
        try:
            truth = read_labels(labels_path)
            session = load_session(csv)
        except (LabelError, OSError, ValueError) as exc:
            print(f"{labels_path.name}: skipped ({exc})")
            continue
        s = session.samples
        t0, t1 = float(s.t_s[0]), float(s.t_s[-1])
        exercise = _group_exercise(truth.group, truth.exercise)
        if not truth.sets:
            sets: tuple[tuple[float, float, str], ...] = ((t0, t1, NONE),)
        else:
            spans = []
            for ts in truth.sets:
                if ts.timed:
                    spans.append((ts.reps[0].start_s, ts.reps[-1].end_s, exercise))
                else:
                    start = ts.start_s if ts.start_s is not None else t0
                    end = ts.end_s if ts.end_s is not None else t1
                    spans.append((float(start), float(end), exercise))
            sets = tuple(spans)
        yield Recording(csv.stem, source, s.t_s, s.acc_g, s.gyro_dps, truth.placement, sets, truth.person or "")


def _group_exercise(group: str, exercise: str) -> str:
    """UTD-MHAD's walking and jogging in place are labelled with no reps: they are no exercise."""
    return NONE if group in ("walk", "jog") else exercise


def window_labels(rec: Recording, win: Windows) -> list[str | None]:
    """Per window: "exercise/placement", NONE, or None (not trained on: mixed or quiet)."""
    out: list[str | None] = []
    for a, b, quiet in zip(win.start_s, win.end_s, win.quiet, strict=True):
        if quiet:
            out.append(None)
            continue
        length = max(b - a, 1e-9)
        inside = {}
        for s0, s1, ex in rec.sets:
            inside[ex] = inside.get(ex, 0.0) + max(0.0, min(b, s1) - max(a, s0)) / length
        best = max(inside, key=lambda k: inside[k]) if inside else NONE
        if inside and inside[best] >= IN_SET_SHARE:
            out.append(NONE if best == NONE else f"{best}/{rec.placement}")
        elif sum(inside.values()) == 0.0:
            out.append(NONE)
        else:
            out.append(None)
    return out


def training_rows(recs: Iterator[Recording], settings: RecognitionSettings
                  ) -> tuple[FloatArray, list[str], list[str]]:
    """Features, labels and group (person) of every labelled window."""
    xs: list[FloatArray] = []
    ys: list[str] = []
    groups: list[str] = []
    for rec in recs:
        win = windows(rec.t_s, rec.acc_g, settings)
        for f, lab in zip(win.features, window_labels(rec, win), strict=True):
            if lab is None:
                continue
            xs.append(f)
            ys.append(lab)
            groups.append(rec.person)
    return np.array(xs), ys, groups


def stable_seed(text: str) -> int:
    return zlib.crc32(text.encode())
