"""benchmarks/accuracy_real.py and its converters, on tiny labelled folders built from the fixtures.

Expected figures come from the engine's own output on the same recording (through
sensortrack.simulation.scoring, which the benchmark must reuse), so these tests check the benchmark's
bookkeeping whatever the engine counts, and keep holding while the engine changes.
"""

from __future__ import annotations

import importlib
import json
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
import scipy.io

from sensortrack.core.loading import load_session
from sensortrack.session_analysis import analyze_session
from sensortrack.simulation.labels import load_labels
from sensortrack.simulation.scoring import score

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "benchmarks" / "accuracy_real.py"
SIM = REPO / "fixtures" / "simulated"
SQUAT = SIM / "squat_thigh_left.csv"  # gyro, 3 sets, clean and knee-valgus reps
CLAM = SIM / "clamshell_thigh_right.csv"  # accelerometer only, no drift labels


def run_bench(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(BENCH), *map(str, args)], capture_output=True, text=True,
                          timeout=300, cwd=REPO)


def bench_json(*args: str | Path) -> dict[str, Any]:
    done = run_bench(*args, "--json")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def labelled(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    """benchmarks/real_data/labelled.py, imported the way the converters import it."""
    sys.path.insert(0, str(REPO / "benchmarks" / "real_data"))
    try:
        return importlib.import_module("labelled")
    finally:
        sys.path.remove(str(REPO / "benchmarks" / "real_data"))


def engine_report(csv: Path) -> dict[str, Any]:
    return analyze_session(load_session(csv)).to_dict()


def copy_fixture(src: Path, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(src, folder / src.name)
    shutil.copy(src.with_suffix(".labels.json"), folder / src.with_suffix(".labels.json").name)


def test_simulator_labels_are_scored_like_scoring_score(tmp_path: Path) -> None:
    for src in (SQUAT, CLAM):
        copy_fixture(src, tmp_path)
    folder = bench_json(tmp_path)["folders"][0]
    expected = {p: score(engine_report(p), load_labels(p)) for p in (SQUAT, CLAM)}
    counts = [c for s in expected.values() for c in s.set_counts]
    assert folder["unreadable"] == []
    assert folder["files"] == 2
    assert folder["sets"] == len(counts) == 5
    assert folder["exact_rate"] == pytest.approx(np.mean([t == d for t, d in counts]))
    assert folder["within_one_rate"] == pytest.approx(np.mean([abs(t - d) <= 1 for t, d in counts]))
    squat = expected[SQUAT]
    assert folder["faulty_reps"] == squat.valgus_reps > 0
    assert folder["clean_reps"] == squat.clean_reps > 0
    assert folder["faulty_warned_rate"] == pytest.approx(squat.drift_hit_rate)
    assert folder["clean_warned_rate"] == pytest.approx(squat.drift_false_alarm_rate)
    bounds = [(s.boundary_error_pct, s.reps_matched) for s in expected.values()]
    assert folder["boundary_error_pct"] == pytest.approx(sum(b * n for b, n in bounds) / sum(n for _, n in bounds))
    assert set(folder["by_group"]) == {"squat", "clamshell"}
    assert folder["by_group"]["clamshell"]["faulty_reps"] == 0  # clamshells carry no drift label
    misses = [(t, d) for t, d in counts if t != d]
    assert len(folder["misses"]) == len(misses)


def test_real_format_csv_gives_the_same_figures_as_the_simulator_file(tmp_path: Path, labelled: ModuleType) -> None:
    """The same recording as a plain t,ax,..,gz CSV with per-rep `form` labels scores identically."""
    session = load_session(SQUAT)
    truth = load_labels(SQUAT)
    real = {
        "exercise": truth.exercise, "placement": truth.placement, "side": truth.side, "person": "p1",
        "sets": [{"reps": [{"start_s": r.start_s, "peak_s": r.peak_s, "end_s": r.end_s,
                            "form": "knee_valgus" if r.valgus else "correct"} for r in s.reps]} for s in truth.sets],
    }
    s = session.samples
    labelled.write_recording(tmp_path / "real", "squat_p1", s.t_s, s.acc_g, s.gyro_dps, real)
    copy_fixture(SQUAT, tmp_path / "sim")
    real_fig, sim_fig = (f for f in bench_json(tmp_path / "real", tmp_path / "sim")["folders"])
    for key in ("sets", "exact_rate", "within_one_rate", "clean_warned_rate", "faulty_warned_rate", "drift_auc"):
        assert real_fig[key] == pytest.approx(sim_fig[key], abs=1e-9), key
    assert real_fig["boundary_error_pct"] == pytest.approx(sim_fig["boundary_error_pct"], abs=0.5)  # CSV rounding
    # the drift AUC, recomputed from the engine's reps: P(valgus rep's drift > clean rep's drift)
    report = engine_report(SQUAT)
    found = [r for st in report["sets"] for r in st["reps"]]
    faulty, clean = [], []
    for rep in truth.reps:
        overlaps = [max(0.0, min(rep.end_s, f["end_s"]) - max(rep.start_s, f["start_s"])) for f in found]
        if found and max(overlaps) > 0 and found[int(np.argmax(overlaps))]["knee_drift_deg"] is not None:
            (faulty if rep.valgus else clean).append(found[int(np.argmax(overlaps))]["knee_drift_deg"])
    pairs = [(f > c) + 0.5 * (f == c) for f in faulty for c in clean]
    assert real_fig["drift_auc"] == pytest.approx(np.mean(pairs), abs=0.02)
    assert real_fig["drift_auc_within_person"] == pytest.approx(real_fig["drift_auc"])  # one person
    assert real_fig["persons_with_both_forms"] == 1


def _count_only(tmp_path: Path, name: str, labelled: ModuleType, **labels: Any) -> None:
    s = load_session(CLAM).samples
    base = {"exercise": "clamshell", "placement": "thigh", "side": "right"}
    labelled.write_recording(tmp_path, name, s.t_s, s.acc_g, None, {**base, **labels})


def test_count_only_labels_exact_wrong_ranges_and_non_rep(tmp_path: Path, labelled: ModuleType) -> None:
    counted = sum(len(st["reps"]) for st in engine_report(CLAM)["sets"])
    assert counted > 0
    _count_only(tmp_path, "a_right", labelled, sets=[{"count": counted}])
    _count_only(tmp_path, "b_wrong", labelled, sets=[{"count": counted + 2}])
    _count_only(tmp_path, "c_range_ok", labelled, sets=[{"count": counted + 1, "count_range": [counted - 1, counted + 1]}])
    _count_only(tmp_path, "d_range_one_off", labelled, sets=[{"count": counted + 2, "count_range": [counted + 1, counted + 3]}])
    _count_only(tmp_path, "e_no_reps", labelled, reps=[])
    folder = bench_json(tmp_path)["folders"][0]
    assert folder["files"] == 5
    assert folder["sets"] == 4
    assert folder["exact_rate"] == pytest.approx(2 / 4)
    assert folder["within_one_rate"] == pytest.approx(3 / 4)
    assert folder["boundary_error_pct"] is None  # no rep times anywhere
    assert folder["non_rep_files"] == 1
    assert folder["non_rep_files_counted"] == 1
    assert folder["non_rep_reps_counted"] == counted
    misses = {m["file"]: m for m in folder["misses"]}
    assert set(misses) == {"b_wrong.csv", "d_range_one_off.csv", "e_no_reps.csv"}
    assert (misses["b_wrong.csv"]["truth"], misses["b_wrong.csv"]["counted"]) == (counted + 2, counted)
    assert misses["d_range_one_off.csv"]["count_range"] == [counted + 1, counted + 3]
    assert (misses["e_no_reps.csv"]["truth"], misses["e_no_reps.csv"]["counted"]) == (0, counted)
    text = run_bench(tmp_path)
    assert text.returncode == 0
    assert f"truth {counted + 2}" in text.stdout and "b_wrong.csv" in text.stdout
    assert f"reps counted on non-rep recordings: {counted} in 1 of 1 files" in text.stdout
    rows = {r["file"]: r for r in folder["per_file"]}
    assert rows["c_range_ok.csv"]["sets"] == [{"truth": counted + 1, "count_range": [counted - 1, counted + 1],
                                              "counted": counted, "exact": True}]
    assert rows["e_no_reps.csv"]["sets"] == [] and rows["e_no_reps.csv"]["non_rep_counted"] == counted


def test_count_only_form_marks_every_detected_rep(tmp_path: Path, labelled: ModuleType) -> None:
    s = load_session(SQUAT).samples
    report = engine_report(SQUAT)
    reps = [r for st in report["sets"] for r in st["reps"]]
    labelled.write_recording(tmp_path, "all_valgus", s.t_s, s.acc_g, s.gyro_dps,
                             {"exercise": "squat", "placement": "thigh", "side": "left", "form": "knee_valgus",
                              "sets": [{"count": len(reps)}]})
    folder = bench_json(tmp_path)["folders"][0]
    assert folder["faulty_reps"] == len(reps)
    assert folder["clean_reps"] == 0
    assert folder["faulty_warned_rate"] == pytest.approx(np.mean(["knee_drift" in r["warnings"] for r in reps]))
    assert folder["drift_auc"] is None  # needs both forms


def test_unreadable_files_are_one_line_each_never_a_traceback(tmp_path: Path) -> None:
    copy_fixture(CLAM, tmp_path)
    (tmp_path / "no_csv.labels.json").write_text('{"exercise": "squat", "placement": "thigh", "side": "left", "reps": []}')
    (tmp_path / "broken.labels.json").write_text("{not json")
    (tmp_path / "broken.csv").write_text("t,ax,ay,az\n0,0,0,1\n")
    (tmp_path / "bad_exercise.labels.json").write_text('{"exercise": "yoga", "placement": "thigh", "side": "left", "reps": []}')
    (tmp_path / "garbage.labels.json").write_text('{"exercise": "squat", "placement": "thigh", "side": "left", "sets": [{"count": 3}]}')
    (tmp_path / "garbage.csv").write_text("t,ax,ay,az\nhello,world,1,2\n")
    (tmp_path / "backwards.labels.json").write_text(
        '{"exercise": "squat", "placement": "thigh", "side": "left", "reps": [{"start_s": 3, "peak_s": 2, "end_s": 1}]}')
    shutil.copy(CLAM, tmp_path / "backwards.csv")
    folder = bench_json(tmp_path, tmp_path / "missing_folder")
    problems = folder["folders"][0]["unreadable"]
    assert len(problems) == 5
    assert all("\n" not in p for p in problems)
    assert any("no_csv.csv" in p and "no such file" in p for p in problems)
    assert any("broken.labels.json" in p and "not valid JSON" in p for p in problems)
    assert any("yoga" in p for p in problems)
    assert any("garbage.csv" in p for p in problems)
    assert any("backwards" in p and "start_s <= peak_s <= end_s" in p for p in problems)
    assert folder["folders"][0]["files"] == 1  # the good recording is still scored
    assert folder["folders"][1]["unreadable"] == [f"{tmp_path / 'missing_folder'}: not a folder"]
    text = run_bench(tmp_path)
    assert text.returncode == 0 and "Traceback" not in text.stderr + text.stdout
    assert sum(line.strip().startswith("unreadable:") for line in text.stdout.splitlines()) == 5


def test_set_options_reach_the_settings_and_bad_ones_exit_2(tmp_path: Path) -> None:
    copy_fixture(CLAM, tmp_path)
    bad = run_bench(tmp_path, "--set", "no_such_setting_xyz=3")
    assert bad.returncode == 2
    assert len(bad.stderr.strip().splitlines()) == 1 and "Traceback" not in bad.stderr
    bad_form = run_bench(tmp_path, "--set", "novalue")
    assert bad_form.returncode == 2 and "KEY=VALUE" in bad_form.stderr
    from sensortrack.analysis.settings import AnalysisSettings

    key = "lowpass_hz" if hasattr(AnalysisSettings(), "lowpass_hz") else None
    if key is not None:  # an override the engine reads: the figures follow analyze --set
        folder = bench_json(tmp_path, "--set", f"analysis.{key}=0.3")
        assert folder["settings_overrides"] == {key: "0.3"}
        default = bench_json(tmp_path)["folders"][0]
        assert folder["folders"][0]["misses"] != default["misses"] or folder["folders"][0] != default


def test_auc_and_label_parsing(labelled: ModuleType) -> None:
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        bench = importlib.import_module("accuracy_real")
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    assert bench.auc([5.0, 6.0], [1.0, 2.0]) == 1.0
    assert bench.auc([1.0], [1.0]) == 0.5
    assert bench.auc([1.0, 3.0], [2.0]) == 0.5
    assert bench.auc([], [1.0]) is None
    base = {"exercise": "bridge", "placement": "thigh", "side": "left"}
    one = labelled.parse_labels({**base, "reps": [{"start_s": 1, "peak_s": 2, "end_s": 3}], "count_range": [1, 2],
                                 "form": "correct"})
    assert one.sets[0].count == 1 and one.sets[0].count_range == (1, 2) and one.sets[0].reps[0].form == "correct"
    assert one.sets[0].accepts(2) and not one.sets[0].accepts(3) and one.sets[0].accepts(3, slack=1)
    assert one.group == "bridge"
    assert labelled.parse_labels({**base, "reps": []}).sets == ()
    for bad in ({**base}, {**base, "reps": [], "sets": []}, {**base, "sets": [{"count": 2}, {"count": 3}]},
                {**base, "sets": [{"count": -1}]}, {**base, "reps": [], "count_range": [3, 1]},
                {**base, "reps": [{"start_s": "1", "peak_s": 2, "end_s": 3}]}):
        with pytest.raises(labelled.LabelError):
            labelled.parse_labels(bad)


def _converter(name: str) -> ModuleType:
    sys.path.insert(0, str(REPO / "benchmarks" / "real_data"))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(REPO / "benchmarks" / "real_data"))


def test_mex_converter_keeps_ranges_skips_low(tmp_path: Path) -> None:
    src = tmp_path / "mex"
    session = load_session(SIM.parent / "mex" / "bridge_subject01.csv")
    for subject in ("01", "02"):
        (src / "act" / subject).mkdir(parents=True)
        rows = [f"2018-11-08 11:41:{7 + t:09.6f},{a[0]},{a[1]},{a[2]}"
                for t, a in zip(session.samples.t_s[:2000], session.samples.acc_g[:2000], strict=True)]
        (src / "act" / subject / "02_act_1.csv").write_text("\n".join(rows) + "\n")
    rep = {"start_s": 1.0, "peak_s": 2.0, "end_s": 3.0, "debatable": True}
    (src / "labels-subjects-01-15.json").write_text(json.dumps({"files": {
        "01/02_act_1.csv": {"exercise": "bridge", "confidence": "medium", "reps": [rep, rep], "count_range": [2, 3],
                            "note": "n1"},
        "02/02_act_1.csv": {"exercise": "bridge", "confidence": "low", "reps": [], "count_range": None, "note": "n2"},
    }}))
    written, skipped = _converter("mex").convert(src, tmp_path / "out")
    assert written == 1 and len(skipped) == 1 and "02/02_act_1.csv" in skipped[0]
    labels = json.loads((tmp_path / "out" / "mex_s01_bridge.labels.json").read_text())
    assert labels["count_range"] == [2, 3] and len(labels["reps"]) == 2 and labels["placement"] == "thigh"
    assert "CC BY 4.0" in labels["attribution"]
    out = load_session(tmp_path / "out" / "mex_s01_bridge.csv")
    assert out.samples.gyro_dps is None
    assert np.allclose(out.samples.acc_g, session.samples.acc_g[:2000])
    assert np.allclose(out.samples.t_s, session.samples.t_s[:2000] - session.samples.t_s[0], atol=2e-6)


def test_utd_converter_joins_trials_cut_to_their_movement(tmp_path: Path) -> None:
    utd = _converter("utd_mhad")
    rate = utd.RATE_HZ
    t = np.arange(int(4 * rate)) / rate
    moving = (t > 1.5) & (t < 2.5)
    gyro = np.zeros((t.size, 3))
    gyro[moving, 0] = 90.0 * np.sin(np.pi * (t[moving] - 1.5))  # one 1 s movement in the middle
    acc = np.tile([-1.0, 0.1, 0.3], (t.size, 1))
    i0, i1 = utd.movement_span(gyro)
    assert 1.2 <= i0 / rate <= 1.7 and 2.3 <= i1 / rate <= 2.8
    src = tmp_path / "Inertial"
    src.mkdir()
    for trial in (1, 2, 3):  # subject 1, squats; trial 4 missing like a27_s8_t4
        scipy.io.savemat(str(src / f"a27_s1_t{trial}_inertial.mat"), {"d_iner": np.hstack([acc, gyro])})
    scipy.io.savemat(str(src / "a22_s1_t1_inertial.mat"), {"d_iner": np.hstack([acc, gyro])})
    assert utd.convert(src, tmp_path / "out") == 3 + 4  # squat (cut, whole) + jog joined; 3 + 1 single trials
    labels = json.loads((tmp_path / "out" / "utd-mhad-joined" / "utd_squat_s1.labels.json").read_text())
    assert labels["sets"] == [{"count": 3}] and labels["side"] == "right" and len(labels["trials"]) == 3
    joined = load_session(tmp_path / "out" / "utd-mhad-joined" / "utd_squat_s1.csv")
    assert len(joined.samples) == 3 * (i1 - i0)
    assert joined.samples.gyro_dps is not None
    whole = load_session(tmp_path / "out" / "utd-mhad-joined" / "utd_squat_paused_s1.csv")
    assert len(whole.samples) == 3 * t.size
    assert json.loads((tmp_path / "out" / "utd-mhad-joined" / "utd_squat_paused_s1.labels.json").read_text())["group"] \
        == "squat_paused"
    assert json.loads((tmp_path / "out" / "utd-mhad-joined" / "utd_jog_s1.labels.json").read_text())["reps"] == []
    single = load_session(tmp_path / "out" / "utd-mhad-single" / "utd_a27_s1_t1.csv")
    assert len(single.samples) == t.size
