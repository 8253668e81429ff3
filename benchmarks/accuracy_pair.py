"""Two-sensor accuracy and cost on the pair simulator (sensortrack/simulation/pair.py).

    .venv/bin/python benchmarks/accuracy_pair.py [--seeds tune|report] [--n 100] [--set pair.KEY=VALUE]
                                                [--valgus-first] [--no-sides] [--limits]

Seeds 0–99 were used to choose the method and its limits (`--seeds tune`); 1000–1099 were not
(`--seeds report`, the default): only those figures count. Per seed:
- a thigh + shank session of one leg (two squat sets, valgus from a drawn rep in most second sets,
  any strap orientation, clock offset up to 2.5 s and skew up to ±300 ppm on the shank): the rep
  found by the thigh's engine is matched to the true rep by its peak; scored are valgus reps warned,
  correct reps warned, the per-rep AUC of the knee's valgus angle, and the knee flexion range
  against the truth;
- a left + right session of the same design, in turn symmetric, one leg 60–78 % of the other's
  range, or one knee caving on every rep: is the asymmetry flagged (and never on symmetric ones)?
Then the cost of two 200 Hz streams fed live-like in 50 ms blocks, as a share of one core, against
the floor of one stream through the single-sensor engine in the same run.

`--valgus-first`: the first set caves on every rep too, so the knee axis is calibrated on caving reps
(the method's weak case, docs/two-sensors.md). Everything here is simulated: no real thigh + shank
recordings with rep labels were available.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from sensortrack.analysis.clock_align import estimate_alignment
from sensortrack.analysis.context import AnalysisContext
from sensortrack.analysis.knee_pair import KneePairAnalyzer
from sensortrack.analysis.pair_settings import PairSettings
from sensortrack.analysis.pipeline import StreamingAnalyzer
from sensortrack.analysis.sides_pair import SidesAnalyzer
from sensortrack.config import parse_set_options
from sensortrack.core.model import Session
from sensortrack.simulation.pair import (
    REPORTING_SEEDS,
    TUNING_SEEDS,
    pair_session_spec,
    simulate_knee_pair,
    simulate_sides_pair,
)


def auc(scores_pos: list[float], scores_neg: list[float]) -> float:
    """Probability that a valgus rep scores above a correct one (ties count half)."""
    if not scores_pos or not scores_neg:
        return float("nan")
    pos, neg = np.array(scores_pos)[:, None], np.array(scores_neg)[None, :]
    return float(np.mean((pos > neg) + 0.5 * (pos == neg)))


def _ctx(session: Session, exercise: str) -> AnalysisContext:
    sensor = session.meta.sensor
    return AnalysisContext(exercise, str(sensor.placement), str(sensor.side), sensor.nominal_rate_hz,
                           session.samples.gyro_dps is not None)


def knee_session(seed: int, pair_settings: PairSettings, valgus_first: bool = False) -> dict[str, list[float]]:
    spec = pair_session_spec(seed, valgus_first=valgus_first)
    thigh, shank, truth = simulate_knee_pair(spec, seed)
    t, s = thigh.samples, shank.samples
    clock = estimate_alignment(t.t_s, t.acc_g, t.gyro_dps, s.t_s, s.acc_g, s.gyro_dps, pair_settings)
    analyzer = KneePairAnalyzer(_ctx(thigh, spec.exercise), _ctx(shank, spec.exercise), pair_settings=pair_settings)
    analyzer.feed_thigh(t.t_s, t.acc_g, t.gyro_dps)
    analyzer.feed_shank(clock.to_first(s.t_s), s.acc_g, s.gyro_dps)
    result = analyzer.finish()
    out: dict[str, list[float]] = {"pos": [], "neg": [], "pos_warned": [], "neg_warned": [], "range_err": [],
                                   "missed": [], "align_err_ms": []}
    probe = np.array([0.0, float(s.t_s[-1])])
    out["align_err_ms"].append(float(np.max(np.abs(clock.to_first(probe) - truth.clock.to_first(probe)))) * 1000)
    reps = result.thigh.reps
    for true_rep in truth.reps:
        found = [r for r in reps if abs(r.peak_s - true_rep.peak_s) < 0.5 * (true_rep.end_s - true_rep.start_s)]
        knee = result.knee_for(found[0]) if found else None
        if knee is None:
            out["missed"].append(1.0)
            continue
        key = "pos" if true_rep.valgus else "neg"
        out[key].append(knee.valgus_deg)
        out[f"{key}_warned"].append(1.0 if knee.warning is not None else 0.0)
        out["range_err"].append(knee.flexion_range_deg - true_rep.flexion_range_deg)
    return out


def sides_session(seed: int, kind: str | None, pair_settings: PairSettings) -> bool:
    spec = pair_session_spec(seed)
    left, right, _ = simulate_sides_pair(spec, seed, one_sided=kind, affected_side="left" if seed % 2 else "right")
    a, b = left.samples, right.samples
    clock = estimate_alignment(a.t_s, a.acc_g, a.gyro_dps, b.t_s, b.acc_g, b.gyro_dps, pair_settings)
    analyzer = SidesAnalyzer(_ctx(left, spec.exercise), _ctx(right, spec.exercise), pair_settings=pair_settings)
    analyzer.feed("left", a.t_s, a.acc_g, a.gyro_dps)
    analyzer.feed("right", clock.to_first(b.t_s), b.acc_g, b.gyro_dps)
    return bool(analyzer.finish().flags)


def cpu_share(pair_settings: PairSettings) -> tuple[float, float]:
    """(pair, one stream) CPU seconds per second of 200 Hz data, fed in 50 ms blocks."""
    spec = pair_session_spec(5)
    from dataclasses import replace

    spec = replace(spec, rate_hz=200.0)
    thigh, shank, _ = simulate_knee_pair(spec, 5)
    t, s = thigh.samples, shank.samples
    duration = float(t.t_s[-1] - t.t_s[0])
    block = 10  # 50 ms at 200 Hz

    started = time.process_time()
    single = StreamingAnalyzer(_ctx(thigh, spec.exercise))
    for i in range(0, len(t), block):
        single.feed(t.t_s[i : i + block], t.acc_g[i : i + block], t.gyro_dps[i : i + block])  # type: ignore[index]
    single.finish()
    one = (time.process_time() - started) / duration

    started = time.process_time()
    analyzer = KneePairAnalyzer(_ctx(thigh, spec.exercise), _ctx(shank, spec.exercise), pair_settings=pair_settings)
    for i in range(0, max(len(t), len(s)), block):
        analyzer.feed_thigh(t.t_s[i : i + block], t.acc_g[i : i + block], t.gyro_dps[i : i + block])  # type: ignore[index]
        analyzer.feed_shank(s.t_s[i : i + block], s.acc_g[i : i + block], s.gyro_dps[i : i + block])  # type: ignore[index]
    analyzer.finish()
    pair = (time.process_time() - started) / duration
    return pair, one


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", choices=("tune", "report"), default="report")
    parser.add_argument("--n", type=int, default=100, help="how many seeds of the range (default all 100)")
    parser.add_argument("--set", action="append", default=[], metavar="pair.KEY=VALUE", help="override a pair setting")
    parser.add_argument("--no-sides", action="store_true", help="skip the left + right sessions")
    parser.add_argument("--valgus-first", action="store_true",
                        help="the first set caves on every rep too (the axis is calibrated on caving reps)")
    parser.add_argument("--limits", action="store_true", help="also the warn rates at other valgus limits (tuning)")
    args = parser.parse_args()
    overrides = {k.removeprefix("pair."): v for k, v in parse_set_options(args.set).items()}
    pair_settings = PairSettings().with_overrides(overrides)
    seeds = list(TUNING_SEEDS if args.seeds == "tune" else REPORTING_SEEDS)[: args.n]
    total: dict[str, list[float]] = {}
    flagged = {"symmetric": [0, 0], "range": [0, 0], "valgus": [0, 0]}
    for seed in seeds:
        for key, values in knee_session(seed, pair_settings, args.valgus_first).items():
            total.setdefault(key, []).extend(values)
        if not args.no_sides:
            kind = (None, "range", "valgus")[seed % 3]
            hit = sides_session(seed, kind, pair_settings)
            cell = flagged[kind or "symmetric"]
            cell[0] += int(hit)
            cell[1] += 1
    err = np.abs(np.array(total["range_err"]))
    design = "first set caving on every rep" if args.valgus_first else "first set clean"
    print(f"seeds {seeds[0]}–{seeds[-1]} ({args.seeds}), {len(seeds)} thigh+shank sessions, {design}")
    print(f"reps scored {len(total['pos']) + len(total['neg'])} (valgus {len(total['pos'])}), "
          f"true reps without a knee angle {len(total['missed'])}")
    print(f"valgus reps warned   {100 * np.mean(total['pos_warned']):5.1f} %   (goal ≥ 90 %)")
    print(f"correct reps warned  {100 * np.mean(total['neg_warned']):5.1f} %   (goal ≤ 5 %, no personal reference)")
    print(f"per-rep AUC          {auc(total['pos'], total['neg']):.3f}     (goal ≥ 0.97)")
    if args.limits:
        pos, neg = np.array(total["pos"]), np.array(total["neg"])
        for limit in np.arange(2.5, 7.01, 0.5):
            print(f"  limit {limit:.1f}°: valgus warned {100 * np.mean(pos > limit):5.1f} %, "
                  f"correct warned {100 * np.mean(neg > limit):5.1f} %")
    print(f"knee flexion range   |error| median {np.median(err):.2f}°, 95th {np.percentile(err, 95):.2f}°, "
          f"max {err.max():.2f}°, within 3°: {100 * np.mean(err <= 3.0):.1f} %   (goal within 3°)")
    print(f"clock alignment      |error| median {np.median(total['align_err_ms']):.1f} ms, "
          f"max {np.max(total['align_err_ms']):.1f} ms")
    if not args.no_sides:
        for kind, (hit, n) in flagged.items():
            goal = "never" if kind == "symmetric" else "always"
            print(f"left+right {kind:9} flagged {hit}/{n}   (goal: {goal})")
    pair, one = cpu_share(pair_settings)
    print(f"two 200 Hz streams live: {100 * pair:.1f} % of a core (goal < 20 %); one stream, single-sensor "
          f"engine: {100 * one:.1f} % (ratio {pair / one:.2f})")


if __name__ == "__main__":
    main()
