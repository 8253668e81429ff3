"""Why own-plane knee drift misreads real thighs: the rep's own axis, real against simulated.

`drift_own_plane` measures each rep's drift out of the plane the rep itself started in: its axis is
`drift.own_axis` of the knee's direction at the rep's start, half-way and where the depth reaches
`drift_axis_fit_share_of_min_range` of the exercise's range floor. This prints, per recording of
correct squats / sit-to-stands, the median angle between each rep's own axis and the calibrated
medial axis (the one the default measure uses) / the median angle between each rep's own axis and
the recording's mean own axis (its scatter within the person) — for the axis fitted on the first
part of the way down as the measure does, and on the whole way down (start, half depth, deepest) —
and the two drift readings per rep. Then the person's plane (the mean whole-way-down axis written in
the calibration's basis) compared between two recordings of the same person: UTD-MHAD's joined and
paused files (the same trials, each calibrated on its own) and two simulated sessions strapped on
again.

Tuning data only: UTD-MHAD odd subjects (joined squats and chair rises, thigh, 50 Hz; labels say
every rep is correct) and the hard design's squat_person reference sessions (correct reps only,
thigh with a gyroscope), seeds 0–9.

    .venv/bin/python benchmarks/drift_own_axis.py [--utd DIR] [--seeds 0:10]

It wraps `own_plane_drift_gyro` where the rep judge (analysis/rep_judge.py) calls it to see the
axis (a diagnostic, not a measure of the product).
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

import numpy as np

import sensortrack.analysis.rep_judge as rep_judge
from sensortrack.analysis.drift import own_axis, own_plane_drift_gyro, rotate_one
from sensortrack.analysis.settings import AnalysisSettings
from sensortrack.core.loading import load_session
from sensortrack.core.model import FloatArray, Session
from sensortrack.session_analysis import analyze_session
from sensortrack.simulation.hard import hard_sessions
from sensortrack.simulation.simulator import simulate_session

_axes: dict[bytes, tuple[float, FloatArray]] = {}  # rep start orientation → (deviation °, own axis)
_whole: dict[bytes, tuple[float, FloatArray]] = {}  # the same from the whole way down (start, half, deepest)


def _to_sensor(quat0: FloatArray, axis_e: FloatArray) -> FloatArray:
    """`axis_e` in the sensor frame at the rep's start, so the reps of one recording compare."""
    w, x, y, z = (float(c) for c in quat0)
    return rotate_one(np.array([w, -x, -y, -z]), axis_e)


def _fit(quat: FloatArray, knee_s: FloatArray, medial_e: FloatArray, depth: FloatArray, end: int, sweep_deg: float,
         into: dict[bytes, tuple[float, FloatArray]]) -> None:
    mid = int(np.searchsorted(depth, 0.5 * float(depth[end])))
    if not 0 < mid < end:
        return
    axis = own_axis(*(rotate_one(quat[i], knee_s) for i in (0, mid, end)), sweep_deg)
    if axis is None:
        return
    axis = axis if float(axis @ medial_e) >= 0 else -axis
    deviation = float(np.degrees(np.arccos(min(1.0, float(axis @ medial_e)))))
    into[quat[0].tobytes()] = (deviation, _to_sensor(quat[0], axis))


def _watching(
    quat: FloatArray, knee_s: FloatArray, medial_e: FloatArray, depth: FloatArray, fit_deg: float, sweep_deg: float
) -> FloatArray | None:
    end = int(np.searchsorted(depth, fit_deg))
    if end < depth.shape[0]:
        _fit(quat, knee_s, medial_e, depth, end, sweep_deg, _axes)
    # the last call of a rep sees all of it (an open rep's calls see less and are overwritten)
    _fit(quat, knee_s, medial_e, depth, int(np.searchsorted(depth, float(depth[-1]))), sweep_deg, _whole)
    return own_plane_drift_gyro(quat, knee_s, medial_e, depth, fit_deg, sweep_deg)


def _in_calibration(axes_s: FloatArray, calibration: dict[str, object]) -> FloatArray | None:
    """The mean of `axes_s` (sensor frame) in the calibration's own basis: the flexion axis f, rest
    "up" made perpendicular to it, and f × up. That basis follows the thigh, not the strap, so a
    person's plane written in it can carry over to a session strapped on again."""
    f = np.asarray(calibration.get("flexion_axis_sensor", ()), float)
    up = np.asarray(calibration.get("rest_up_sensor", ()), float)
    if f.shape != (3,) or up.shape != (3,) or not len(axes_s):
        return None
    up = up - (up @ f) * f
    up /= np.linalg.norm(up)
    mean = axes_s.mean(axis=0)
    mean /= np.linalg.norm(mean)
    return np.array([mean @ f, mean @ up, mean @ np.cross(f, up)])


def _angle_deg(a: FloatArray | None, b: FloatArray | None) -> str:
    if a is None or b is None:
        return "-"
    return f"{np.degrees(np.arccos(np.clip(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)), -1.0, 1.0))):.1f}°"


def _row(name: str, session: Session, **given: str) -> FloatArray | None:
    own = AnalysisSettings().with_overrides({"drift_own_plane": "true"})
    _axes.clear()
    _whole.clear()
    with_own = analyze_session(session, own, **given)  # type: ignore[arg-type]
    calibrated = analyze_session(session, AnalysisSettings(), **given)  # type: ignore[arg-type]
    fmt = lambda reps: " ".join(f"{r.knee_drift_deg:4.1f}" if r.knee_drift_deg is not None else "  - " for r in reps)  # noqa: E731
    print(f"{name:20s} first part {_spread(_axes)} | whole way down {_spread(_whole)} | "
          f"own-plane drift {fmt(with_own.reps)} | calibrated {fmt(calibrated.reps)}")
    return _in_calibration(np.array([a for _, a in _whole.values()]), with_own.calibration)


def _spread(fits: dict[bytes, tuple[float, FloatArray]]) -> str:
    """Median angle of the reps' axes to the calibrated medial axis, and to their own mean axis."""
    if len(fits) < 2:
        return "  -  /   - "
    axes = np.array([a for _, a in fits.values()])
    mean = axes.mean(axis=0)
    mean /= np.linalg.norm(mean)
    scatter = np.degrees(np.arccos(np.clip(axes @ mean, -1.0, 1.0)))
    return f"{np.median([d for d, _ in fits.values()]):4.1f}° / {np.median(scatter):4.1f}°"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--utd", type=Path, default=Path("/work/realdata/utd-mhad-joined"))
    parser.add_argument("--seeds", default="0:10", help="hard-design tuning seeds LO:HI")
    args = parser.parse_args()
    lo, hi = (int(x) for x in args.seeds.split(":"))
    if hi > 100:
        parser.exit(2, "drift_own_axis: tuning seeds only (0–99)\n")
    rep_judge.own_plane_drift_gyro = _watching  # type: ignore[assignment]
    print("real: UTD-MHAD odd subjects (tuning half), correct reps")
    planes: dict[str, FloatArray | None] = {}
    for path in sorted(args.utd.glob("utd_*.csv")):
        subject = int(path.stem.rsplit("_s", 1)[1])
        if path.stem.startswith(("utd_squat", "utd_chair")) and subject % 2 == 1:
            planes[path.stem] = _row(path.stem, load_session(path), exercise="squat", placement="thigh", side="right")
    carried: list[str] = []
    print("simulated: hard design squat_person, reference sessions (correct reps), thigh with a gyroscope")
    for seed in range(lo, hi):
        for hard in hard_sessions(seed, only="squat_person"):
            if hard.spec.placement != "thigh" or not hard.gyro:
                continue
            correct = replace(hard.spec, sets=tuple(replace(s, drift=False) for s in hard.spec.sets))
            session, _ = simulate_session(correct, seed=hard.seed + 7_919)
            first = _row(f"seed {seed}", session)
            again, _ = simulate_session(correct, seed=hard.seed + 2 * 7_919)  # strapped on again
            carried.append(f"seed {seed} {_angle_deg(first, _row(f'seed {seed} again', again))}")
    print("the person's plane (mean whole-way-down axis, in the calibration's basis), from one")
    print("recording to another of the same person: UTD squats with / without pauses, chair likewise")
    print("(the same UTD trials joined two ways, each calibrated on its own: not strapped on again)")
    for subject in (1, 3, 5, 7):
        for kind in ("squat", "chair"):
            pair = planes.get(f"utd_{kind}_s{subject}"), planes.get(f"utd_{kind}_paused_s{subject}")
            print(f"  utd s{subject} {kind}: {_angle_deg(*pair)}")
    print("  simulated, the same person strapped on again:", ", ".join(carried))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
