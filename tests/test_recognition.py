"""Exercise and placement recognised from the movement (issue 13): known answers on simulated
sessions the tree was not trained on (the committed fixtures: the tree saw only other seeds), a
multi-exercise session, walking → none, the CLI without flags on a plain CSV, and flags winning."""

from __future__ import annotations

import dataclasses
import functools
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sensortrack.analysis.recognition import FEATURES, LONG_AXIS_UNKNOWN, NONE, RecognitionModel, RecognitionSettings, recognise
from sensortrack.core.loading import load_session
from sensortrack.core.model import EXERCISES, PLACEMENTS, SampleBlock, SensorInfo, Session, SessionMeta
from sensortrack.recognising import SIDE_UNKNOWN_NOTE, packaged_model, recognise_session
from sensortrack.session_analysis import analyze_session
from sensortrack.simulation import Distractor, SessionSpec, SetSpec, simulate_session
from sensortrack.simulation.catalog import standard_fixtures
from sensortrack.simulation.labels import load_labels
from sensortrack.simulation.recognition_scenes import simulate_flat

SIM = Path(__file__).resolve().parent.parent / "fixtures" / "simulated"
MEX_BRIDGE = SIM.parent / "mex" / "bridge_subject03.csv"  # CC BY 4.0, fixtures/mex/NOTICE.md


def _bare(session: Session) -> Session:
    """The session as a plain CSV would give it: no exercise, placement or side."""
    sensor = dataclasses.replace(session.meta.sensor, placement=None, side=None)
    return dataclasses.replace(session, meta=dataclasses.replace(session.meta, sensor=sensor, exercise=None),
                               samples=session.samples.with_sensor(sensor))


@functools.cache
def _fixture(name: str) -> Session:
    """The committed simulated fixture's movement (same design, seed, sets and labels), strapped FLAT
    on the skin as a real strap sits (recognition_scenes.flat_straps): the committed file's own
    simulated strap points anywhere, which the recogniser's posture features do not expect."""
    fx = next(f for f in standard_fixtures() if f.name == name)
    return simulate_flat(fx.spec, fx.seed)[0]


# Known misses of the shipped tree on these fixtures (strapped flat, _fixture), listed so that they
# are seen (strict: fixing one fails the list): thigh clamshells' small, slow roll reads as a
# shank's; one left shank's squats read as a thigh's (new with the posture features against the
# bone, session 6, which read both thigh bridges right: they were listed here before); one lunge
# set in each of two sessions reads as clamshell or bridge (the small, slow rear-leg lunges of
# recognition_scenes.py). docs/recognition.md.
KNOWN_MISSES = {"clamshell_thigh_left": "placement recognised as shank",
                "clamshell_thigh_right": "placement recognised as shank",
                "squat_shank_left": "placement recognised as thigh",
                "lunge_thigh_left": "its first set recognised as clamshell",
                "lunge_shank_left": "its third set recognised as bridge"}


@pytest.mark.parametrize("side", ("left", "right"))
@pytest.mark.parametrize("placement", PLACEMENTS)
@pytest.mark.parametrize("exercise", EXERCISES)
def test_every_exercise_and_placement_is_recognised(exercise: str, placement: str, side: str,
                                                    request: pytest.FixtureRequest) -> None:
    """The placement, and every set's exercise, of each committed simulated fixture (not trained on)."""
    name = f"{exercise}_{placement}_{side}"
    if name in KNOWN_MISSES:
        request.applymarker(pytest.mark.xfail(reason=KNOWN_MISSES[name], strict=True))
    labels = load_labels(SIM / f"{name}.labels.json")
    result = analyze_session(_bare(_fixture(name)))
    assert result.context.placement == placement
    assert len(result.sets) >= len(labels.sets) - 1
    for st in result.sets:
        assert st.exercise_source == "recognised"
        assert st.exercise_confidence is not None and 0.0 <= st.exercise_confidence <= 1.0
        assert st.exercise == exercise, (st.index, st.exercise)


def test_given_flags_win_and_sets_say_given() -> None:
    session = _bare(_fixture("bridge_thigh_left"))
    result = analyze_session(session, exercise="squat", placement="shank", side="left")
    assert result.context.exercise == "squat" and result.context.placement == "shank"
    assert result.recognition is None
    assert all(st.exercise == "squat" and st.exercise_source == "given" and st.exercise_confidence is None
               for st in result.sets)
    # the file's own metadata wins too: the fixture as recorded is analysed exactly as before
    recorded = _fixture("bridge_thigh_left")
    assert analyze_session(recorded).to_dict()["sets"] == analyze_session(
        session, exercise="bridge", placement="thigh", side="left").to_dict()["sets"]


def test_exercise_given_placement_recognised() -> None:
    result = analyze_session(_bare(_fixture("squat_shank_right")), exercise="squat", side="right")
    assert result.context.placement == "shank"
    assert result.recognition is not None and result.recognition["placement_source"] == "recognised"
    assert all(st.exercise_source == "given" for st in result.sets)


def test_one_exercise_recognised_gives_the_same_sets_as_given() -> None:
    """One exercise in the whole file: analysed in one pass, exactly as with --exercise."""
    session = _bare(_fixture("squat_thigh_left"))
    recognised = analyze_session(session, side="left").to_dict()["sets"]
    given = analyze_session(session, exercise="squat", placement="thigh", side="left").to_dict()["sets"]
    strip = ("exercise_source", "exercise_confidence", "exercise_unsure")
    assert [{k: v for k, v in s.items() if k not in strip} for s in recognised] == \
        [{k: v for k, v in s.items() if k not in strip} for s in given]


def _joined(first: Session, second: Session, pause_s: float = 0.0) -> Session:
    a, b = first.samples, second.samples
    dt = float(np.median(np.diff(a.t_s)))
    shift = float(a.t_s[-1]) + dt + pause_s - float(b.t_s[0])
    pieces = [a, SampleBlock(b.t_s + shift, b.acc_g, b.gyro_dps, sensor=a.sensor)]
    if pause_s > 0:  # quiet standing: the last sample of the first held still
        n = int(pause_s / dt)
        t = float(a.t_s[-1]) + dt * np.arange(1, n)
        pieces.insert(1, SampleBlock(t, np.repeat(a.acc_g[-1:], t.size, axis=0),
                                     None if a.gyro_dps is None else np.zeros((t.size, 3)), sensor=a.sensor))
    samples = SampleBlock.concat(pieces)
    sensor = SensorInfo(model="test", nominal_rate_hz=a.sensor.nominal_rate_hz)
    return Session(SessionMeta(sensor=sensor), samples.with_sensor(sensor))


def _sim(exercise: str, placement: str, seed: int, n_sets: int = 2, gyro: bool = True) -> Session:
    from sensortrack.simulation.spec import ImuSpec

    quiet = "lie" if exercise in ("bridge", "clamshell") else "stand"
    spec = SessionSpec(exercise, placement, "left", 100.0,  # type: ignore[arg-type]
                       sets=tuple(SetSpec(8) for _ in range(n_sets)),
                       lead_in=(Distractor(quiet, 3.0),),  # type: ignore[arg-type]
                       between=tuple((Distractor(quiet, 4.0),) for _ in range(n_sets - 1)),  # type: ignore[arg-type]
                       lead_out=(Distractor(quiet, 3.0),), imu=ImuSpec(gyro=gyro))  # type: ignore[arg-type]
    return simulate_session(spec, seed)[0]


def test_a_session_of_several_exercises_gives_each_set_its_own() -> None:
    bridges = _fixture("bridge_shank_left")
    squats = _fixture("squat_shank_left")
    session = _joined(bridges, squats, pause_s=4.0)  # no rest long enough to tell them apart by
    result = analyze_session(session)
    exercises = [st.exercise for st in result.sets]
    assert "bridge" in exercises and "squat" in exercises
    boundary = float(bridges.samples.t_s[-1])
    for st in result.sets:
        assert st.exercise == ("bridge" if st.end_s <= boundary + 3.0 else "squat"), exercises
    assert [st.index for st in result.sets] == list(range(1, len(result.sets) + 1))
    segs = result.recognition["segments"]  # type: ignore[index]
    assert [s["exercise"] for s in segs if s["exercise"] != NONE][:2] == ["bridge", "squat"]


def _walk_only(seed: int, seconds: float = 40.0) -> Session:
    """A recording of walking only (the simulator's walk, cut out of a session that has one)."""
    spec = SessionSpec("squat", "thigh", "right", 100.0, sets=(SetSpec(5),),
                       lead_in=(Distractor("stand", 2.0), Distractor("walk", seconds)),
                       lead_out=(Distractor("stand", 1.0),))
    session, labels = simulate_session(spec, seed)
    walk = next(d for d in labels.distractors if d.kind == "walk")
    s = session.samples
    i0, i1 = np.searchsorted(s.t_s, [walk.start_s, walk.end_s])
    return dataclasses.replace(_bare(session), samples=s.slice(int(i0), int(i1)))


def test_walking_is_no_exercise() -> None:
    for seed in (2101, 2102):
        session = _walk_only(seed)
        rec = recognise_session(session)
        assert {seg.exercise for seg in rec.segments} == {NONE}, rec.segments
        result = analyze_session(session)
        assert result.sets == ()
        assert result.to_dict()["exercise"] == NONE


def test_missing_side_leaves_out_what_depends_on_it() -> None:
    session = _bare(_fixture("squat_thigh_left"))
    result = analyze_session(session, exercise="squat", placement="thigh")
    d = result.to_dict()
    assert d["side"] is None and SIDE_UNKNOWN_NOTE in d["notes"]
    reps = [r for s in d["sets"] for r in s["reps"]]
    assert reps and all(r["knee_drift_deg"] is None and r["warnings"] == [] and r["step"] is None for r in reps)
    with_side = analyze_session(session, exercise="squat", placement="thigh", side="left")
    assert len(with_side.reps) == len(result.reps)  # the same reps, only the side's results left out


def test_model_file_is_small_readable_and_matches_the_features() -> None:
    from importlib import resources

    path = resources.files("sensortrack.data").joinpath("recognition_tree.json")
    raw = path.read_text(encoding="utf-8")
    assert len(raw) < 200_000
    d = json.loads(raw)
    assert tuple(d["features"]) == FEATURES
    assert NONE in d["classes"] and all(c == NONE or c.split("/")[1] in PLACEMENTS for c in d["classes"])
    model = RecognitionModel.from_dict(d)
    p = model.predict_proba(np.zeros((3, len(FEATURES))))
    assert np.allclose(p.sum(axis=1), 1.0, atol=1e-3)
    bad = dict(d, features=list(FEATURES[::-1]))
    with pytest.raises(ValueError):
        RecognitionModel.from_dict(bad)


def test_recognition_is_pure() -> None:
    """The same answer from copies, and the caller's arrays untouched (its cost is measured by
    benchmarks/recognition.py, not asserted here: a timed assertion fails on a busy machine)."""
    session = _fixture("clamshell_thigh_left")
    s = session.samples
    t, acc = s.t_s.copy(), s.acc_g.copy()
    a = recognise(s.t_s, s.acc_g, packaged_model())
    b = recognise(t, acc, packaged_model())
    assert a.segments == b.segments and a.placement == b.placement
    assert np.array_equal(t, s.t_s) and np.array_equal(acc, s.acc_g)


def test_batched_window_features_equal_the_per_window_definition() -> None:
    """windows() computes all windows in one numpy pass; the tree was trained on the same numbers."""
    from sensortrack.analysis import recognition as r

    s = _fixture("band_walk_shank_right").samples
    settings = r.RecognitionSettings()
    win = r.windows(s.t_s, s.acc_g, settings)
    st = r._stream(s.t_s, s.acc_g, settings)
    w = int(settings.window_s * r.RECOGNITION_RATE_HZ)
    for j, start in enumerate(win.start_s):
        i0 = int(np.searchsorted(st.t_s, start))
        one = r.window_features(st.u[i0:i0 + w], st.turn_dps[i0:i0 + w], st.shock_g[i0:i0 + w],
                                st.body_g[i0:i0 + w], settings)
        assert np.abs(win.features[j] - one).max() < 1e-6, (j, win.features[j] - one)


def _strapped_swing(rest_seg: np.ndarray, hinge_seg: np.ndarray, around_deg: float, turn_deg: float,
                    face_out: bool = True, range_deg: float = 70.0) -> tuple[np.ndarray, np.ndarray]:
    """20 s of gravity (g) in the frame of a strap lying flat on a segment (segment frame: z along
    the bone, x forward, y to the side): the segment swings by up to `range_deg` about `hinge_seg`
    and back in 2 s, then rests 2 s with gravity along `rest_seg`. The strap sits `around_deg` round
    the limb from its front, turned `turn_deg` about its own normal, either face out."""
    from scipy.spatial.transform import Rotation

    t = np.arange(0.0, 20.0, 0.02)
    phase = t % 4.0
    angle = np.where(phase < 2.0, np.radians(range_deg) * np.sin(np.pi * phase / 2.0) ** 2, 0.0)
    hinge = hinge_seg / np.linalg.norm(hinge_seg)
    g_seg = Rotation.from_rotvec(angle[:, None] * hinge).apply(rest_seg / np.linalg.norm(rest_seg))
    a = np.radians(around_deg)
    normal = np.array([np.cos(a), np.sin(a), 0.0]) * (1.0 if face_out else -1.0)
    bone, across = np.array([0.0, 0.0, 1.0]), np.cross(normal, np.array([0.0, 0.0, 1.0]))
    psi = np.radians(turn_deg)
    ex = np.cos(psi) * bone + np.sin(psi) * across
    sensor_to_seg = np.column_stack([ex, np.cross(normal, ex), normal])
    return t, g_seg @ sensor_to_seg


def test_posture_features_are_body_angles_whatever_the_strap() -> None:
    """Gravity's angle to the bone (normal × hinge) is the same wherever around the limb the strap
    sits, however it is turned about its normal and with either face out; it tells standing
    (gravity along the bone) from lying on the side (across it). Where the hinge lies along the
    skin normal the bone cannot be found: the features say unknown, not a guess."""
    from sensortrack.analysis import recognition as r

    def posture(t: np.ndarray, acc: np.ndarray) -> np.ndarray:
        win = r.windows(t, acc)
        return np.median(win.features[:, [FEATURES.index(f) for f in
                                          ("rest_long_deg", "low_long_deg", "high_long_deg")]], axis=0)

    down = np.array([0.0, 0.0, -1.0])  # standing: gravity along the bone
    squat_hinge = np.array([0.0, 1.0, 0.0])  # the thigh's side-to-side axis
    base = posture(*_strapped_swing(down, squat_hinge, 0.0, 0.0))
    assert base[0] < 5 and base[1] < 5 and base[2] > 60  # from along the bone to far across it
    for around, turn, face_out in ((35.0, 0.0, True), (-50.0, 120.0, True), (20.0, 250.0, False), (180.0, 75.0, True)):
        np.testing.assert_allclose(posture(*_strapped_swing(down, squat_hinge, around, turn, face_out)), base,
                                   atol=1e-6)
    # lying on the side, thigh level (gravity across the bone), the knee lifting about a horizontal
    # axis along the body: gravity stays far from the bone, wherever the strap sits
    for around, turn in ((90.0, 30.0), (60.0, 200.0)):
        side = posture(*_strapped_swing(np.array([0.0, -1.0, 0.0]), np.array([1.0, 0.0, 0.3]), around, turn,
                                        range_deg=40.0))
        assert side[0] > 70 and side[1] > 35, side
    # a sagittal swing seen from the side of the thigh: the hinge along the normal, the bone unknown
    unknown = posture(*_strapped_swing(down, squat_hinge, 90.0, 40.0))
    assert list(unknown) == [r.LONG_AXIS_UNKNOWN] * 3


def _write_plain_csv(path: Path, session: Session) -> None:
    s = session.samples
    cols = [s.t_s[:, None], s.acc_g] + ([s.gyro_dps] if s.gyro_dps is not None else [])
    header = "t,ax,ay,az" + (",gx,gy,gz" if s.gyro_dps is not None else "")
    np.savetxt(path, np.hstack(cols), delimiter=",", header=header, comments="", fmt="%.6f")


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sensortrack", *args], capture_output=True, text=True,
                          timeout=120)


@pytest.mark.slow
def test_cli_analyze_plain_csv_without_flags(tmp_path: Path) -> None:
    csv = tmp_path / "mystery.csv"
    _write_plain_csv(csv, load_session(MEX_BRIDGE))  # a real thigh bridge (MEx subject 03)
    done = _cli("analyze", str(csv), "--json", "--no-reference")
    assert done.returncode == 0, done.stderr
    d = json.loads(done.stdout)
    assert d["exercise"] == "bridge" and d["placement"] == "thigh" and d["side"] is None
    assert d["recognition"]["placement_source"] == "recognised"
    assert d["sets"] and all(s["exercise"] == "bridge" and s["exercise_source"] == "recognised"
                             and 0.0 <= s["exercise_confidence"] <= 1.0 for s in d["sets"])
    assert "NaN" not in done.stdout
    text = _cli("analyze", str(csv), "--no-reference")
    assert text.returncode == 0, text.stderr
    assert "recognised: bridge (" in text.stdout and "side not given" in text.stdout
    given = _cli("analyze", str(csv), "--json", "--no-reference", "--exercise", "clamshell",
                 "--placement", "thigh", "--side", "left")
    assert given.returncode == 0, given.stderr
    g = json.loads(given.stdout)
    assert g["exercise"] == "clamshell" and "recognition" not in g
    assert all(s["exercise"] == "clamshell" and s["exercise_source"] == "given" for s in g["sets"])


def test_import_and_reanalyze_store_each_set_recognised(tmp_path: Path) -> None:
    """`import` and `sessions reanalyze` analyse a plain CSV with its exercise recognised: the
    library keeps each set's own exercise."""
    from sensortrack.analysis.settings import AnalysisSettings
    from sensortrack.library.ingest import import_file
    from sensortrack.library.reanalyze import reanalyze
    from sensortrack.library.store import Library

    plain = tmp_path / "phone-log.csv"
    _write_plain_csv(plain, _fixture("clamshell_thigh_right"))
    with Library.open(tmp_path / "lib.sqlite3") as library:
        record = import_file(library, plain, AnalysisSettings()).record
        assert record.analysis_status == "ok" and record.rep_count > 0
        assert {row.exercise for row in library.sets(record.id)} == {"clamshell"}
        report = reanalyze(library, [record], AnalysisSettings(), helpers=0)
        assert report.analyzed == 1
        assert {row.exercise for row in library.sets(record.id)} == {"clamshell"}


def test_library_lists_and_filters_a_recognised_session(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A plain CSV imported without flags: the library keeps the recognised exercise and placement
    apart from given ones, shows them as recognised, and `sessions --exercise` finds the session."""
    from sensortrack.cli import main

    plain = tmp_path / "phone-log.csv"
    _write_plain_csv(plain, load_session(MEX_BRIDGE))  # a real thigh bridge (MEx subject 03)
    lib = str(tmp_path / "lib.sqlite3")
    assert main(["import", str(plain), "--library", lib]) == 0
    out = capsys.readouterr().out
    assert "bridge (recognised) ? thigh (recognised)" in out and "? ? ?" not in out
    assert main(["sessions", "--library", lib, "--json", "--exercise", "bridge", "--placement", "thigh"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert (row["exercise"], row["exercise_source"], row["placement"], row["placement_source"], row["side"]) == \
        ("bridge", "recognised", "thigh", "recognised", None)
    assert main(["sessions", "--library", lib, "--json", "--exercise", "squat"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["sessions", "--library", lib]) == 0
    assert "bridge (recognised)" in capsys.readouterr().out
    # Given values win and are shown plainly; the recognised ones are no longer stored.
    assert main(["import", str(plain), "--library", lib, "--exercise", "bridge", "--placement", "thigh",
                 "--side", "right"]) == 0
    assert capsys.readouterr().out.startswith("updated ")
    assert main(["sessions", "--library", lib, "--json"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert (row["exercise"], row["exercise_source"], row["placement_source"], row["side"]) == \
        ("bridge", "given", "given", "right")


# ---- physical posture checks and the posture gate on "sure" (session 8) -------------------------


def _one_leaf_model(p: dict[str, float]) -> RecognitionModel:
    """A tree of one leaf: every window gets the probabilities `p` (the rest of the classes 0), so
    that what follows the tree (the posture checks, the unsure gate) is seen on its own."""
    classes = sorted({*p, "none", "squat/thigh"})
    return RecognitionModel.from_dict({"features": list(FEATURES), "classes": classes,
                                       "nodes": [{"p": [p.get(c, 0.0) for c in classes]}]})


def _swinging(hinge: str, from_bone_deg: float, range_deg: float, seconds: float = 40.0) -> tuple[np.ndarray, np.ndarray]:
    """A strap lying flat (skin normal = sensor z) on a segment whose bone is sensor y, turning
    about `hinge` ("x": across the bone and the skin normal, as seen from the front of the limb;
    "z": along the skin normal, a sagittal movement seen from the side) between `from_bone_deg` and
    `from_bone_deg + range_deg` of gravity from the bone, 3 s a rep with 1 s held at the start."""
    t = np.arange(0.0, seconds, 0.01)
    phase = np.clip((t % 3.0 - 1.0) / 2.0, 0.0, 1.0)
    angle = np.radians(from_bone_deg + range_deg * 0.5 * (1 - np.cos(2 * np.pi * phase)))
    g = np.zeros((t.size, 3))
    g[:, 1] = np.cos(angle)
    g[:, 2 if hinge == "x" else 0] = np.sin(angle)
    return t, g + np.random.Generator(np.random.PCG64(3)).normal(0, 0.004, g.shape)


def test_an_exercise_the_posture_rules_out_is_not_chosen_and_is_shown_unsure() -> None:
    """Standing (gravity along the bone at rest, the bone found): a thigh bridge is physically
    impossible, so a tree leaning to it (0.7) gives the bout its next exercise, shown unsure (0.3)."""
    t, acc = _swinging("x", 0.0, 25.0)  # a rear-leg lunge's small swing from standing
    model = _one_leaf_model({"bridge/thigh": 0.7, "lunge/thigh": 0.3})
    rec = recognise(t, acc, model, placement="thigh")
    [seg] = [s for s in rec.segments if s.exercise != NONE]
    assert seg.exercise == "lunge" and rec.unsure("lunge", seg.start_s, seg.end_s)
    assert rec.posture_known(seg.start_s, seg.end_s)
    # without the check, the tree's choice stands
    off = RecognitionSettings(bridge_thigh_rest_long_min_deg=0.0, bridge_thigh_high_long_min_deg=0.0)
    assert [s.exercise for s in recognise(t, acc, model, off, "thigh").segments if s.exercise != NONE] == ["bridge"]
    # a shank's bridge rests near vertical (the shank ~20° from it): no check there
    shank = _one_leaf_model({"bridge/shank": 0.7, "lunge/shank": 0.3})
    assert [s.exercise for s in recognise(t, acc, shank, placement="shank").segments if s.exercise != NONE] == ["bridge"]


def test_a_bridge_needs_its_two_ends() -> None:
    """Session 9: a thigh's bridge starts each rep 45–60° up from the floor and reaches near level at
    the top. A thigh lying level all along (a clamshell's leg underneath: gravity 75–87° from the
    bone) or never farther than 45° from vertical (a rear-leg lunge whose thigh rests 32° from it)
    is not bridging; a real bridge's swing (40° → 75°) is. A shank's bridge stands on its foot."""
    lying = _swinging("x", 75.0, 12.0)
    model = _one_leaf_model({"bridge/thigh": 0.7, "clamshell/thigh": 0.3})
    assert [s.exercise for s in recognise(*lying, model, placement="thigh").segments if s.exercise != NONE] \
        == ["clamshell"]
    off = RecognitionSettings(bridge_thigh_low_long_max_deg=90.0)
    assert [s.exercise for s in recognise(*lying, model, off, "thigh").segments if s.exercise != NONE] == ["bridge"]
    lunge = _swinging("x", 32.0, 12.0)
    model = _one_leaf_model({"bridge/thigh": 0.7, "lunge/thigh": 0.3})
    assert [s.exercise for s in recognise(*lunge, model, placement="thigh").segments if s.exercise != NONE] \
        == ["lunge"]
    bridge = _swinging("x", 40.0, 35.0)
    assert [s.exercise for s in recognise(*bridge, model, placement="thigh").segments if s.exercise != NONE] \
        == ["bridge"]
    shank = _one_leaf_model({"bridge/shank": 0.7, "clamshell/shank": 0.3})
    assert [s.exercise for s in recognise(*lying, shank, placement="shank").segments if s.exercise != NONE] \
        == ["clamshell"]
    assert [s.exercise for s in recognise(*_swinging("x", 10.0, 10.0), shank, placement="shank").segments
            if s.exercise != NONE] == ["bridge"]


def test_the_tree_walked_for_all_windows_at_once_equals_a_walk_per_window() -> None:
    """Session 10 walks every window down the tree together (one level at a time); each window's
    probabilities must be those of its own leaf, as a plain walk per window finds."""
    model = packaged_model()
    x = np.random.Generator(np.random.PCG64(5)).uniform(-5.0, 100.0, (400, len(FEATURES)))
    x[::7, FEATURES.index("rest_long_deg")] = LONG_AXIS_UNKNOWN
    expected = np.empty((x.shape[0], len(model.classes)))
    for i, row in enumerate(x):
        node = 0
        while model.feature[node] >= 0:
            node = model.left[node] if row[model.feature[node]] <= model.threshold[node] else model.right[node]
        expected[i] = model.value[node]
    assert np.array_equal(model.predict_proba(x), expected)
    assert model.predict_proba(x[:0]).shape == (0, len(model.classes))


def test_a_bridge_from_feet_placed_far_is_still_a_bridge() -> None:
    """Session 10: with the feet placed far from the hips the thigh starts only ~25° up from the
    floor (gravity ~64° from the bone at the bottom, as the simulator's flattest thigh bridges on
    tuning seeds 92–97), and still rises to near level: a bridge. A thigh lying level all along (a
    clamshell's leg underneath on MEx 01–15: gravity 69° or more from the bone) is still not one."""
    model = _one_leaf_model({"bridge/thigh": 0.7, "clamshell/thigh": 0.3})
    far_feet = _swinging("x", 63.0, 24.0)
    assert [s.exercise for s in recognise(*far_feet, model, placement="thigh").segments if s.exercise != NONE] \
        == ["bridge"]
    underneath = _swinging("x", 71.0, 12.0)
    assert [s.exercise for s in recognise(*underneath, model, placement="thigh").segments if s.exercise != NONE] \
        == ["clamshell"]


def test_a_recognised_placement_is_unsure_where_nothing_tells_it() -> None:
    """Session 9: the placement is shown as a guess where the posture was not read (a sagittal
    movement seen from the side of the limb), or where only clamshells were recognised (the clam
    turns the whole leg as one body: thigh and shank see the same); sure from the front of a squat;
    never unsure when given."""
    squat = _one_leaf_model({"squat/thigh": 0.9, "squat/shank": 0.1})
    clam = _one_leaf_model({"clamshell/thigh": 0.9, "clamshell/shank": 0.1})
    front, side = _swinging("x", 0.0, 70.0), _swinging("z", 0.0, 70.0)
    rec = recognise(*front, squat)
    assert rec.placement == "thigh" and rec.placement_confidence > 0.85 and not rec.placement_unsure
    assert rec.to_dict()["placement_unsure"] is False
    assert recognise(*side, squat).placement_unsure
    assert recognise(*_swinging("x", 75.0, 30.0), clam).placement_unsure
    assert not recognise(*side, squat, placement="shank").placement_unsure


def test_a_recognised_placement_is_unsure_where_the_movement_is_too_small_to_tell() -> None:
    """Session 11: a segment that turns only ~8° per window (a real thigh's shallow bridge on MEx
    01–15, or a shank's full one) cannot tell a thigh from a shank, however sure the tree: the
    placement is shown as a guess; the same strap turning 25° is sure."""
    model = _one_leaf_model({"squat/thigh": 0.9, "squat/shank": 0.1})
    small = recognise(*_swinging("x", 0.0, 8.0), model)
    assert small.placement == "thigh" and small.placement_confidence > 0.85
    assert small.placement_unsure and small.to_dict()["placement_unsure"] is True
    assert not recognise(*_swinging("x", 0.0, 25.0), model).placement_unsure
    assert not recognise(*_swinging("x", 0.0, 8.0), model, placement="thigh").placement_unsure


def test_an_upright_exercise_needs_the_segment_near_vertical() -> None:
    """Gravity never within 70° of the bone (lying on the side, a strap on the side of the thigh):
    squats, lunges, step-ups and band walks are done on one's feet, so the clamshell is chosen."""
    t, acc = _swinging("x", 70.0, 20.0)
    model = _one_leaf_model({"squat/thigh": 0.6, "clamshell/thigh": 0.4})
    assert [s.exercise for s in recognise(t, acc, model, placement="thigh").segments if s.exercise != NONE] \
        == ["clamshell"]
    t, acc = _swinging("x", 0.0, 80.0)  # from standing: a squat is possible
    assert [s.exercise for s in recognise(t, acc, model, placement="thigh").segments if s.exercise != NONE] == ["squat"]


def test_a_set_whose_posture_cannot_be_read_is_unsure_however_sure_the_tree() -> None:
    """The hinge along the skin normal (a squat seen from the side of the thigh): the bone, so the
    posture, cannot be found from the accelerometer; on real people the tree's probability is no
    guide there (docs/recognition.md), so even 0.99 is shown as unsure. Seen from the front, sure."""
    model = _one_leaf_model({"squat/thigh": 0.99, "lunge/thigh": 0.01})
    for hinge, unsure in (("z", True), ("x", False)):
        t, acc = _swinging(hinge, 0.0, 70.0)
        rec = recognise(t, acc, model, placement="thigh")
        [seg] = [s for s in rec.segments if s.exercise != NONE]
        assert seg.exercise == "squat" and rec.exercise_confidence("squat", seg.start_s, seg.end_s) > 0.95
        assert rec.posture_known(seg.start_s, seg.end_s) is not unsure
        assert rec.unsure("squat", seg.start_s, seg.end_s) is unsure


def test_the_report_says_when_the_recognised_placement_is_a_guess() -> None:
    """Session 9: a clamshell cannot tell the thigh from the shank (the whole leg turns as one), so its
    recognised placement is shown as unsure in the JSON and the report; a thigh bridge's is not."""
    from sensortrack.report_text import format_report

    for name, unsure in (("clamshell_shank_left", True), ("bridge_thigh_left", False)):
        session = _bare(_fixture(name))
        result = analyze_session(session)
        assert result.recognition is not None and result.recognition["placement_unsure"] is unsure
        text = format_report(session, result)
        assert ("(recognised, UNSURE: pass --placement) sensor" in text) is unsure
        assert f"{result.context.placement} (recognised" in text


def _benchmark(args: list[str]) -> subprocess.CompletedProcess[str]:
    repo = Path(__file__).resolve().parent.parent
    return subprocess.run([sys.executable, str(repo / "benchmarks" / "recognition.py"), *args],
                          capture_output=True, text=True, cwd=repo, timeout=120)


def test_the_live_benchmark_looks_into_tuning_seeds_only() -> None:
    """Session 11: `benchmarks/recognition.py --tuning --live-seeds A:B` runs the live decision on
    tuning seeds, to look into the sets it labels wrong or late; reporting seeds (and the seeds the
    tree was trained on) are refused there, and tuning seeds without --tuning as before."""
    quiet = ["--sim-seeds", "0:0", "--mex-root", "/nonexistent", "--utd", "--no-timing", "--json"]
    for args in (["--tuning", "--live-seeds", "1000:1001"], ["--tuning", "--live-seeds", "10:11"],
                 ["--live-seeds", "40:41"]):
        done = _benchmark(args + quiet)
        assert done.returncode == 2 and "seeds" in done.stderr, args


def test_the_live_sets_to_look_into_are_the_wrong_and_the_late() -> None:
    """`wrong_or_late` keeps a set labelled with another exercise or none, or shown later than 0.5 s
    after its second rep, with its seed; a right label in time is left out."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    try:
        from recognition import wrong_or_late
    finally:
        sys.path.pop(0)

    def row(decided: str | None, after: float) -> dict[str, object]:
        return {"exercise": "bridge", "placement": "thigh", "decided": decided, "unsure": True, "after_rep2_s": after}

    parts = [[row("bridge", -0.3), row("clamshell", -0.3)], [row("bridge", 0.6), row(None, 2.0), row("bridge", 0.5)]]
    got = wrong_or_late(range(40, 42), parts)
    assert [(j["seed"], j["decided"], j["after_rep2_s"]) for j in got] == [(40, "clamshell", -0.3), (41, "bridge", 0.6),
                                                                        (41, None, 2.0)]
