"""Compare recogniser trees on TUNING data only, in seconds per candidate (the features collected once).

    .venv/bin/python benchmarks/train_recognition.py --cache ROWS.npz --scenes-cache SCENES.npz ...
    .venv/bin/python benchmarks/recognition_tuning.py --rows ROWS.npz --scenes SCENES.npz \\
        --variant "depth=6" --variant "depth=7 mex=3" --variant "tilted=0.1 mex=3"

A variant is `depth=`, `min_leaf=`, source shares (`simulator=`, `mex=`, `scenes=`, `tilted=`:
train_recognition.SOURCE_SHARE, unset ones at its defaults) and RecognitionSettings limits (e.g.
`upright_low_long_max_deg=180 bridge_thigh_rest_long_min_deg=0` turns the physical posture checks
off). `--calibrate` prints, per variant, how many sets would be shown as sure and how many of those
are wrong at each unsure limit; `--gyro-bone` only measures session 8's idea of taking the bone from
the gyroscope (gyro_bone_check). Each variant is trained exactly as
train_recognition.py trains (its weights and fit) on the cached simulator rows (tuning seeds) and
MEx 01–15, and judged as benchmarks/recognition.py judges, on:
- UTD-MHAD's ODD subjects, joined and single trials (the even ones are reporting data);
- simulator tuning seeds (default 90–91: inside the tuning range 0–99, not trained on), strapped flat;
- MEx 01–15 in two halves (01–07, 08–15), each judged by the variant trained without it.
It prints per data set exercise-right / none-right / placement-right (%) and their sum, the rule
docs/recognition.md chooses by. MEx 16–30, UTD-MHAD even subjects and the reporting seeds are never
read here.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path
from typing import Any

import numpy as np

import train_recognition as tr
from recognition import UTD_DEFAULT, _utd_person_kept, judge, sim_recordings, summary
from recognition_data import MEX_TRAIN_SUBJECTS, Recording, labelled_folder, mex, training_rows
from sensortrack.analysis.recognition import FEATURES, NONE, RecognitionModel, RecognitionSettings

Rows = tuple[np.ndarray, np.ndarray, np.ndarray]  # features, labels, sources
Judged = list[tuple[Recording, tuple[tuple[float, float], ...]]]


def cached_rows(rows: Path, scenes: Path | None) -> tuple[Rows, Rows]:
    """train_recognition.py's --cache (simulator + tilted, without MEx: added per half below) and
    --scenes-cache, kept apart so that `train` stacks them in train_recognition.py's order (the
    same rows in another order can split a tie otherwise: not the packaged tree)."""
    d = np.load(rows, allow_pickle=False)
    keep = d["source"] != "mex"
    main = d["x"][keep], d["y"][keep], d["source"][keep]
    extra: Rows = (np.zeros((0, main[0].shape[1])), np.array([], dtype=main[1].dtype), np.array([], dtype=main[2].dtype))
    if scenes is not None:
        e = np.load(scenes, allow_pickle=False)
        extra = e["x"], e["y"], e["source"]
    if main[0].shape[1] != len(FEATURES):
        raise SystemExit(f"{rows}: {main[0].shape[1]} features cached, the code computes {len(FEATURES)}: collect again")
    return main, extra


def mex_rows(subjects: tuple[str, ...]) -> Rows:
    x, y, _ = training_rows(mex(subjects), RecognitionSettings())
    return x.reshape(-1, len(FEATURES)), np.array(y), np.array(["mex"] * len(y))


def train(base: tuple[Rows, Rows], mex_part: Rows, depth: int, min_leaf: int, shares: dict[str, float]
          ) -> RecognitionModel:
    """Trained as train_recognition.py trains: simulator and tilted rows, then MEx, then the scenes
    (with the packaged settings and all of MEx 01–15 this is the packaged tree, node for node)."""
    tr.SOURCE_SHARE.clear()
    tr.SOURCE_SHARE.update(shares)
    main, scenes = base
    x, y, src = (np.concatenate([a, b, c]) for a, b, c in zip(main, mex_part, scenes, strict=True))
    used = np.array([shares[str(s)] > 0 for s in src])
    tree = tr.fit(x[used], y[used], src[used], depth, min_leaf)
    return RecognitionModel.from_dict(tr.export(tree, {}))


def parse_variant(text: str) -> dict[str, Any]:
    out: dict[str, Any] = {"depth": 6, "min_leaf": 20, "shares": dict(DEFAULT_SHARES), "settings": {}}
    fields = {f.name for f in dataclasses.fields(RecognitionSettings)}
    for part in text.split():
        key, _, value = part.partition("=")
        if key in ("depth", "min_leaf"):
            out[key] = int(value)
        elif key in fields:  # a RecognitionSettings limit, e.g. upright_low_long_max_deg=180 (off)
            out["settings"][key] = float(value)
        elif key in DEFAULT_SHARES:
            out["shares"][key] = float(value)
        else:
            raise SystemExit(f"unknown variant key {key!r} in {text!r}")
    return out


DEFAULT_SHARES = dict(tr.SOURCE_SHARE)


def line(sm: dict[str, Any]) -> str:
    return "/".join("–" if v is None else f"{v:.0f}" for v in
                    (sm["sets_right_pct"], sm["none_right_pct"], sm["placement_right_pct"]))


# The rule the unsure limit (RecognitionSettings.unsure_below) is chosen by, fixed before looking:
# the lowest limit from which at least this share of the sets shown as sure (given an exercise and
# not marked unsure) are right, on the real people's tuning data and on the simulator's, each.
SURE_RIGHT_SHARE = 0.95
LIMITS = tuple(round(0.4 + 0.05 * k, 2) for k in range(12))  # 0.40 … 0.95


def print_calibration(judged: dict[str, list[dict[str, Any]]]) -> None:
    """Sets shown as sure, and wrong among them, at each candidate unsure limit."""
    ok: dict[float, bool] = {lim: True for lim in LIMITS}
    for name, js in judged.items():
        given = [s for j in js for s in j["sets"] if s["predicted"] != NONE and s["confidence"] is not None]
        _calibration_line(f"{name}, confidence alone", given, {lim: True for lim in LIMITS})
        # shown as sure only where the posture was read too (Recognition.unsure)
        _calibration_line(f"{name}, and the posture read", [s for s in given if s["posture_known"]], ok)
    chosen = next((lim for lim in LIMITS if ok[lim]), None)
    print(f"    lowest limit with >= {SURE_RIGHT_SHARE:.0%} of sure sets right on each (posture read): {chosen}")


def _calibration_line(name: str, given: list[dict[str, Any]], ok: dict[float, bool]) -> None:
    """One line: at each limit, the sets at or above it (shown as sure) and the wrong ones among
    them; `ok[limit]` stays true only where at least SURE_RIGHT_SHARE of them are right."""
    shown = [(s["confidence"], s["predicted"] == s["truth"]) for s in given]
    cells = []
    for lim in LIMITS:
        sure = [right for conf, right in shown if conf >= lim]
        wrong = sum(not r for r in sure)
        ok[lim] &= not sure or (len(sure) - wrong) >= SURE_RIGHT_SHARE * len(sure)
        cells.append(f"{lim:.2f}: {len(sure)}/{wrong}")
    print(f"    {name} ({len(shown)} sets) — limit: sure/wrong  " + "  ".join(cells))


def _gravity_tracked(acc_g: np.ndarray, gyro_dps: np.ndarray, rate_hz: float, tau_s: float = 1.0) -> np.ndarray:
    """Gravity's direction per sample: turned with the gyroscope, pulled toward the accelerometer's
    direction with time constant `tau_s` (a complementary filter: the 0.5 s mean lags in fast turns)."""
    dt = 1.0 / rate_hz
    turn = np.radians(gyro_dps) * dt
    a = acc_g / np.maximum(np.linalg.norm(acc_g, axis=1, keepdims=True), 1e-9)
    out = np.empty_like(a)
    g = a[: max(1, int(0.5 * rate_hz))].mean(axis=0)
    for k in range(a.shape[0]):
        g = g - np.cross(turn[k], g)  # a fixed direction seen from a turning sensor
        g = (1 - dt / tau_s) * g + dt / tau_s * a[k]
        g /= np.linalg.norm(g)
        out[k] = g
    return out


def gyro_bone_check() -> None:
    """Idea (a) of session 8, measured on UTD-MHAD's odd subjects (tuning data): where a gyroscope is
    present, take the bone from the rotation itself. The hinge h is the gyroscope's principal axis;
    a point at r from a fixed hinge accelerates by −ω² r + α h × r (centripetal along the bone), so r
    is a linear least-squares fit of the in-plane acceleration (minus the tracked gravity) on ω and
    α. Per moving window it prints how much of that acceleration the fit explains (R²), the hinge's
    share of the rotation, and the angle between the fitted bone and the resting gravity (a
    standing squat's is ~0°)."""
    from recognition_data import labelled_folder
    from sensortrack.analysis.recognition import RECOGNITION_RATE_HZ, windows

    rows: dict[str, list[tuple[float, float, float]]] = {}
    for folder in UTD_DEFAULT:
        for rec in labelled_folder(folder, folder.name) if folder.is_dir() else ():
            if not _utd_person_kept(rec.person, "odd") or rec.gyro_dps is None:
                continue
            t = np.arange(rec.t_s[0], rec.t_s[-1], 1 / RECOGNITION_RATE_HZ)
            acc = np.column_stack([np.interp(t, rec.t_s, rec.acc_g[:, k]) for k in range(3)])
            gyro = np.column_stack([np.interp(t, rec.t_s, rec.gyro_dps[:, k]) for k in range(3)])
            dyn_all = (acc - _gravity_tracked(acc, gyro, RECOGNITION_RATE_HZ)) * 9.81
            win = windows(rec.t_s, rec.acc_g)
            for i in np.flatnonzero(~win.quiet):
                m = (t >= win.start_s[i]) & (t <= win.end_s[i])
                om = np.radians(gyro[m])
                vals, vecs = np.linalg.eigh(om.T @ om)
                h = vecs[:, 2]
                w = om @ h
                alpha = np.gradient(w, 1 / RECOGNITION_RATE_HZ)
                dyn = dyn_all[m] - np.outer(dyn_all[m] @ h, h)
                r = (-(w**2)[:, None] * dyn - alpha[:, None] * np.cross(h, dyn)).sum(axis=0) / max(
                    float(np.sum(w**4 + alpha**2)), 1e-12)
                fit = -(w**2)[:, None] * r + alpha[:, None] * np.cross(h, r)
                r2 = 1 - float(((dyn - fit) ** 2).sum()) / max(float((dyn**2).sum()), 1e-12)
                rest = win.rest_u[i]
                if np.isnan(rest).any() or np.linalg.norm(r) < 1e-9:
                    continue
                angle = float(np.degrees(np.arccos(min(1.0, abs(float(rest @ r)) / float(np.linalg.norm(r))))))
                rows.setdefault(rec.sets[0][2], []).append((r2, float(vals[2] / vals.sum()), angle))
    for kind, vals_ in rows.items():
        a = np.array(vals_)
        print(f"{kind:8s} {len(a):3d} windows: R² median {np.median(a[:, 0]):.2f} (max {a[:, 0].max():.2f}), "
              f"hinge share median {np.median(a[:, 1]):.2f}, fitted bone to resting gravity "
              f"{np.percentile(a[:, 2], 10):.0f}–{np.percentile(a[:, 2], 90):.0f}° (10–90th pct)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=Path, help="train_recognition.py --cache file (needed unless --gyro-bone)")
    ap.add_argument("--scenes", type=Path, help="train_recognition.py --scenes-cache file")
    ap.add_argument("--variant", action="append", default=[], help='e.g. "depth=7 mex=3 tilted=0.1"')
    ap.add_argument("--sim-seeds", default="90:92", help="simulator tuning seeds to judge on (not trained on)")
    ap.add_argument("--confusions", action="store_true", help="print each variant's confusion matrices")
    ap.add_argument("--calibrate", action="store_true",
                    help="per variant: how many sets would be shown as sure, and wrong, at each unsure limit")
    ap.add_argument("--gyro-bone", action="store_true", help="only measure idea (a): the bone from the gyroscope")
    args = ap.parse_args(argv)
    if args.gyro_bone:
        gyro_bone_check()
        return 0
    if args.rows is None:
        ap.error("--rows is needed")
    a, b = (int(v) for v in args.sim_seeds.split(":"))
    if not (24 <= a <= b <= 100):
        print("judge on tuning seeds 24–99 only (0–23 are trained on, 1000+ are for reporting)", file=sys.stderr)
        return 2
    base = cached_rows(args.rows, args.scenes)
    sim: Judged = [r for seed in range(a, b) for r in sim_recordings(seed)]
    utd: dict[str, Judged] = {}
    for folder in UTD_DEFAULT:
        if folder.is_dir():
            utd[folder.name] = [(r, ()) for r in labelled_folder(folder, folder.name) if _utd_person_kept(r.person, "odd")]
    halves = (MEX_TRAIN_SUBJECTS[:7], MEX_TRAIN_SUBJECTS[7:])
    mex_half_rows = [mex_rows(h) for h in halves]
    mex_half_recs = [list(mex(h)) for h in halves]
    mex_all = tuple(np.concatenate([p[i] for p in mex_half_rows]) for i in range(3))
    for text in args.variant or ["depth=6"]:
        v = parse_variant(text)
        model = train(base, mex_all, v["depth"], v["min_leaf"], v["shares"])  # type: ignore[arg-type]
        rs = RecognitionSettings(**v["settings"])
        judged_utd = {name: [judge(r, w, model, rs) for r, w in recs] for name, recs in utd.items()}
        results = {name: summary(name, js) for name, js in judged_utd.items()}
        sim_judged = [judge(r, w, model, rs) for r, w in sim]
        results["simulator"] = summary("simulator", sim_judged)
        mex_judged = []
        for i in (0, 1):  # each half judged by a tree trained on the other
            other = mex_half_rows[1 - i]
            half_model = train(base, other, v["depth"], v["min_leaf"], v["shares"])  # type: ignore[arg-type]
            mex_judged += [judge(r, (), half_model, rs) for r in mex_half_recs[i]]
        results["MEx 01-15 halves"] = summary("MEx halves", mex_judged)
        if args.calibrate:
            real = [j for name, recs in judged_utd.items() for j in recs] + mex_judged
            print_calibration({"real people (UTD odd, MEx halves)": real, "simulator": sim_judged})
        total = sum(sm[k] or 0.0 for sm in results.values()
                    for k in ("sets_right_pct", "none_right_pct", "placement_right_pct"))
        print(f"{text:28s} " + " | ".join(f"{name} {line(sm)}" for name, sm in results.items())
              + f" | sum {total:.0f}", flush=True)
        if args.confusions:
            for name, sm in results.items():
                print(f"    {name}: {sm['confusion']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
