"""Knee drift out of the person's own plane, carried by their personal reference.

A person whose thigh abducts as it flexes in a correct squat turns it about an axis tilted away from
the calibrated medio-lateral one, so the calibrated measure reads drift on every correct rep. The
reference keeps that person's plane (the mean whole-way-down axis of its clean reps, in the
calibration's basis); a session judged against it reads about 0 on correct reps and the caving on
valgus reps. The plane is stored in the library (migration 7) and a reference stored without one
judges as before.
"""

from __future__ import annotations

import statistics
import sqlite3
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from sensortrack.analysis.drift import calibration_basis, person_plane_cal, plane_drift_gyro, whole_rep_axis_cal
from sensortrack.analysis.pipeline import StreamingAnalyzer, analyze
from sensortrack.analysis.reference import DriftReference
from sensortrack.analysis.settings import AnalysisSettings
from sensortrack.library.references import find_reference, save_reference
from sensortrack.library.schema import SCHEMA_VERSION
from sensortrack.library.store import Library
from sensortrack.personal_reference import build_reference
from sensortrack.session_analysis import analyze_session, resolve_context
from sensortrack.simulation.scoring import drift_readings
from sensortrack.simulation.simulator import simulate_session
from sensortrack.simulation.spec import Distractor, ImuSpec, PersonSpec, SessionSpec, SetSpec

PLANE = AnalysisSettings(drift_reference_plane=True)  # the default since session 8 (settings.py)
KNEE_S = np.array([0.0, 0.0, -1.0])
MEDIAL_E = np.array([0.0, 1.0, 0.0])


def _spec(*, valgus_set: bool) -> SessionSpec:
    # The thigh abducts as it flexes (the knee travels 14° outward at full depth): a correct squat.
    person = PersonSpec(plane_yaw_deg=-14.0, femoral_rotation_deg=6.0, valgus_deg=(7.0, 10.0))
    sets = (SetSpec(6), SetSpec(6, drift=True)) if valgus_set else (SetSpec(6), SetSpec(6))
    return SessionSpec(
        exercise="squat", placement="thigh", side="right", rate_hz=100.0, person=person, sets=sets,
        between=((Distractor("stand", 6.0),),), imu=ImuSpec(gyro=True),
    )


def _reference(seed: int = 11, settings: AnalysisSettings | None = None) -> DriftReference:
    good, _ = simulate_session(_spec(valgus_set=False), seed=seed)  # strapped on again: its own seed
    return build_reference(good, settings or PLANE, source="good reps", exercise="squat",
                           placement="thigh", side="right")


def test_a_whole_rep_gives_the_axis_it_turned_about_in_the_calibration_basis() -> None:
    from scipy.spatial.transform import Rotation

    axis = np.array([0.25, 1.0, 0.2])
    axis /= np.linalg.norm(axis)
    flex = 80.0 * np.sin(np.linspace(0.0, np.pi, 200)) ** 2
    rot = Rotation.from_rotvec(np.radians(flex)[:, None] * axis[None, :])
    xyzw = rot.as_quat()
    quat = np.column_stack((xyzw[:, 3], xyzw[:, :3]))
    basis = calibration_basis(np.array([0.0, 1.0, 0.0]), np.array([0.0, 0.0, 1.0]))
    found = whole_rep_axis_cal(quat, KNEE_S, np.maximum.accumulate(flex), basis, 12.0)
    assert found is not None and float(found @ (basis @ axis)) > 0.9999
    assert found[0] > 0  # signed along the flexion axis, whichever way the fit came out
    # About that plane the rep reads no drift; about the calibrated axis (tilted 18° off) it does.
    plane = person_plane_cal([found, found])
    assert plane is not None
    own = plane_drift_gyro(quat, KNEE_S, plane, basis, MEDIAL_E)
    assert float(np.abs(own - own[0]).max()) < 0.3
    calibrated = plane_drift_gyro(quat, KNEE_S, np.array([1.0, 0.0, 0.0]), basis, MEDIAL_E)
    assert float(np.abs(calibrated - calibrated[0]).max()) > 5.0
    assert whole_rep_axis_cal(quat[:8], KNEE_S, np.maximum.accumulate(flex)[:8], basis, 12.0) is None  # a short arc


def test_an_abducting_thigh_correct_reps_pass_and_valgus_reps_warn_against_its_plane() -> None:
    reference = _reference()
    assert reference.plane_cal is not None
    session, labels = simulate_session(_spec(valgus_set=True), seed=12)
    # The calibrated plane reads this person's correct reps as drift; their own plane does not.
    calibrated = drift_readings(analyze_session(session, reference=replace(reference, plane_cal=None)), labels)
    assert statistics.median(d for v, d in calibrated if not v) > 2.5
    judged = analyze_session(session, PLANE, reference=reference)
    doc = judged.to_dict()
    assert doc["drift_reference"]["kind"] == "personal"
    warned = [(t.valgus, any(t.start_s - 0.6 < r.start_s < t.start_s + 0.6 and r.warnings for r in judged.reps))
              for t in labels.reps]
    correct = [w for valgus, w in warned if not valgus]
    faulty = [w for valgus, w in warned if valgus]
    assert len(correct) == 6 and len(faulty) == 6
    assert not any(correct)
    assert sum(faulty) >= 5
    # Out of the plane, correct reps read near the reference and below every valgus rep.
    readings = drift_readings(judged, labels)
    assert statistics.median(d for v, d in readings if not v) < 1.5
    assert max(d for v, d in readings if not v) < min(d for v, d in readings if v)
    # The same reference without its plane (as stored before migration 7) measures as before.
    flat = replace(reference, plane_cal=None)
    before = analyze_session(session, AnalysisSettings(drift_reference_plane=False), reference=flat)
    assert [r.knee_drift_deg for r in analyze_session(session, PLANE, reference=flat).reps] == [
        r.knee_drift_deg for r in before.reps
    ]
    # A stored plane is used whatever the setting says at analysis time.
    assert analyze_session(session, AnalysisSettings(), reference=reference).to_dict() == judged.to_dict()


def test_a_strap_shift_seen_in_todays_reps_is_not_taken_for_caving() -> None:
    """The reference was strapped on elsewhere: here it reads 2.5° less than today's correct reps.
    Today's level (their lower quartile, up to `drift_restrap_shift_thigh_deg` above the
    reference's median) takes that shift in, so correct reps stay unwarned and every valgus rep
    still warns; following today's reps down only (a shift of 0, the rule before session 8) warns
    most of the correct reps."""
    reference = _reference()
    shifted = replace(reference, median_deg=reference.median_deg - 2.5)
    session, labels = simulate_session(_spec(valgus_set=True), seed=12)

    def warned(settings: AnalysisSettings) -> tuple[int, int]:
        judged = analyze_session(session, settings, reference=shifted)
        hits = [(t.valgus, any(t.start_s - 0.6 < r.start_s < t.start_s + 0.6 and r.warnings for r in judged.reps))
                for t in labels.reps]
        return sum(w for v, w in hits if not v), sum(w for v, w in hits if v)

    assert PLANE.drift_restrap_shift_thigh_deg >= 2.5
    assert warned(PLANE) == (0, 6)
    correct, faulty = warned(replace(PLANE, drift_restrap_shift_thigh_deg=0.0))
    assert correct >= 3 and faulty == 6


def test_without_a_reference_nothing_changes() -> None:
    session, _ = simulate_session(_spec(valgus_set=True), seed=12)
    on = analyze_session(session, PLANE).to_dict()
    off = analyze_session(session, AnalysisSettings(drift_reference_plane=False)).to_dict()
    assert on == off


def test_the_plane_reference_streams_as_it_batches() -> None:
    session, _ = simulate_session(replace(_spec(valgus_set=True), rate_hz=52.0), seed=13)
    ctx = replace(resolve_context(session), reference=_reference())
    s = session.samples
    batch = analyze(s.t_s, s.acc_g, s.gyro_dps, ctx, PLANE).to_dict()
    assert any(r["warnings"] for st in batch["sets"] for r in st["reps"])
    for seed in (1, 2):
        rng = np.random.default_rng(seed)
        analyzer = StreamingAnalyzer(ctx, PLANE)
        i = 0
        while i < len(s):
            n = int(rng.choice([1, 3, 17, 250]))
            block = s.slice(i, i + n)
            analyzer.feed(block.t_s, block.acc_g, block.gyro_dps)
            i += n
        assert analyzer.finish().to_dict() == batch


def test_the_plane_goes_through_the_library_and_old_references_keep_working(tmp_path: Path) -> None:
    reference = _reference()
    assert reference.plane_cal is not None
    path = tmp_path / "lib.sqlite3"
    with Library.open(path) as library:
        assert library.schema_version == SCHEMA_VERSION
        save_reference(library, "me", reference, None)
        stored = find_reference(library, "me", "squat", "thigh", "right")
    assert stored is not None and stored.reference.plane_cal is not None
    assert np.allclose(stored.reference.plane_cal, reference.plane_cal, atol=1e-9)
    assert stored.reference.median_deg == pytest.approx(reference.median_deg)
    assert DriftReference.from_dict(reference.to_dict()).plane_cal == pytest.approx(reference.plane_cal, abs=1e-5)
    # A reference stored before planes (the column NULL) reads back without one, as it was judged.
    conn = sqlite3.connect(path)
    conn.execute("UPDATE drift_references SET plane_axis_cal = NULL")
    conn.commit()
    conn.close()
    with Library.open(path) as library:
        old = find_reference(library, "me", "squat", "thigh", "right")
    assert old is not None and old.reference.plane_cal is None
    assert "plane_axis_cal" not in old.reference.to_dict()
    # A damaged plane is a damaged reference (one clear error), not a crash.
    conn = sqlite3.connect(path)
    conn.execute("UPDATE drift_references SET plane_axis_cal = '[1, 2]'")
    conn.commit()
    conn.close()
    from sensortrack.core.errors import LibraryError

    with Library.open(path) as library, pytest.raises(LibraryError, match="damaged"):
        find_reference(library, "me", "squat", "thigh", "right")


def test_a_version_6_library_gains_the_plane_column(tmp_path: Path) -> None:
    path = tmp_path / "lib.sqlite3"
    with Library.open(path) as library:
        save_reference(library, "me", replace(_reference(), plane_cal=None), None)
    conn = sqlite3.connect(path)
    conn.executescript("ALTER TABLE drift_references DROP COLUMN plane_axis_cal; PRAGMA user_version = 6;")
    conn.close()
    with Library.open(path) as library:
        assert library.schema_version == SCHEMA_VERSION
        kept = find_reference(library, "me", "squat", "thigh", "right")
    assert kept is not None and kept.reference.plane_cal is None


def test_reference_set_stores_the_plane_and_analyze_judges_by_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The user's path: import good reps, `reference set` with the plane on, `analyze` a session."""
    import json

    from sensortrack.cli import main
    from sensortrack.core.sessionfile import write_session

    good, _ = simulate_session(_spec(valgus_set=False), seed=11)
    today, labels = simulate_session(_spec(valgus_set=True), seed=12)
    write_session(tmp_path / "good.csv", good)
    write_session(tmp_path / "today.csv", today)
    library = str(tmp_path / "lib.sqlite3")
    on = ("--set", "drift_reference_plane=true")
    assert main(["import", str(tmp_path / "good.csv"), "--library", library]) == 0
    assert main(["reference", "set", "1", "--library", library, *on]) == 0
    capsys.readouterr()
    # The stored plane is used by default: the reference decides how drift is measured.
    assert main(["analyze", str(tmp_path / "today.csv"), "--library", library, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["drift_reference"]["kind"] == "personal" and len(doc["drift_reference"]["plane_axis_cal"]) == 3
    reps = [r for st in doc["sets"] for r in st["reps"]]
    warned = [(t.valgus, any(abs(r["start_s"] - t.start_s) < 0.6 and r["warnings"] for r in reps)) for t in labels.reps]
    assert not any(w for valgus, w in warned if not valgus)
    assert sum(w for valgus, w in warned if valgus) >= 5
    assert main(["analyze", str(tmp_path / "today.csv"), "--library", library]) == 0
    assert "drift out of the person's own plane" in capsys.readouterr().out
