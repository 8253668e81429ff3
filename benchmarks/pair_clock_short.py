"""Can a short two-sensor recording state its clock skew? And what does not applying it cost a rep?

    .venv/bin/python benchmarks/pair_clock_short.py [--seeds tune|report] [--n 100]

The pair simulator's thigh + shank sessions (benchmarks/accuracy_pair.py's design: two squat sets
with walking between, 45–110 s; the shank's clock 0–2.5 s late and ±300 ppm off). Per session:
- the skew the window lags give (clock_align._skew_fit, whatever the span) against the truth, and
  whether the truth lies within its stated ±2 standard errors;
- the largest timing error over the session with the offset only (what a short recording gets) and
  with the fitted skew applied as well;
- what the offset-only alignment costs each rep: its knee valgus and flexion range against the same
  analysis fed the shank on its true clock.
Seeds 0–99 chose nothing here yet; the figures in docs/two-sensors.md say which seeds they are from.
"""

from __future__ import annotations

import argparse

import numpy as np

from sensortrack.analysis.clock_align import ClockAlignment, estimate_alignment
from sensortrack.analysis.knee_pair import KneePairAnalyzer, PairResult
from sensortrack.analysis.pair_settings import PairSettings
from sensortrack.core.model import FloatArray, Session
from sensortrack.simulation.pair import REPORTING_SEEDS, TUNING_SEEDS, pair_session_spec, simulate_knee_pair

from accuracy_pair import _ctx  # noqa: E402  (the benchmark's own context helper)


def _knee(thigh: Session, shank: Session, exercise: str, to_first: FloatArray) -> PairResult:
    t, s = thigh.samples, shank.samples
    analyzer = KneePairAnalyzer(_ctx(thigh, exercise), _ctx(shank, exercise), pair_settings=PairSettings())
    analyzer.feed_thigh(t.t_s, t.acc_g, t.gyro_dps)
    analyzer.feed_shank(to_first, s.acc_g, s.gyro_dps)
    return analyzer.finish()


def session(seed: int) -> dict[str, list[float]]:
    spec = pair_session_spec(seed)
    thigh, shank, truth = simulate_knee_pair(spec, seed)
    t, s = thigh.samples, shank.samples
    est = estimate_alignment(t.t_s, t.acc_g, t.gyro_dps, s.t_s, s.acc_g, s.gyro_dps, PairSettings())
    true_t = truth.clock.to_first(s.t_s)
    out: dict[str, list[float]] = {k: [] for k in (
        "span_s", "skew_err_ppm", "sigma2_ppm", "inside", "offset_only_ms", "with_skew_ms", "valgus_diff", "range_diff")}
    out["span_s"].append(float(t.t_s[-1] - t.t_s[0]))
    out["offset_only_ms"].append(float(np.max(np.abs(est.to_first(s.t_s) - true_t))) * 1000)
    if est.fitted_skew_ppm is not None and est.skew_uncertainty_ppm is not None:
        out["skew_err_ppm"].append(est.fitted_skew_ppm - truth.clock.skew_ppm)
        out["sigma2_ppm"].append(est.skew_uncertainty_ppm)
        out["inside"].append(float(abs(est.fitted_skew_ppm - truth.clock.skew_ppm) <= est.skew_uncertainty_ppm))
        # the fitted skew applied, its offset re-fitted as the median lag would be: through the window lags' line
        skewed = ClockAlignment(est.offset_s, est.fitted_skew_ppm, est.correlation, est.windows, "")
        # est.offset_s is the median lag (offset only); the line's offset at the middle of the session matches it there
        mid = 0.5 * float(s.t_s[0] + s.t_s[-1])
        shift = est.to_first(np.array([mid]))[0] - skewed.to_first(np.array([mid]))[0]
        out["with_skew_ms"].append(float(np.max(np.abs(skewed.to_first(s.t_s) + shift - true_t))) * 1000)
    measured = _knee(thigh, shank, spec.exercise, est.to_first(s.t_s))
    exact = _knee(thigh, shank, spec.exercise, true_t)
    for start, knee in measured.knee.items():
        ref = exact.knee.get(start)
        if ref is not None:
            out["valgus_diff"].append(abs(knee.valgus_deg - ref.valgus_deg))
            out["range_diff"].append(abs(knee.flexion_range_deg - ref.flexion_range_deg))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", choices=("tune", "report"), default="report")
    parser.add_argument("--n", type=int, default=100)
    args = parser.parse_args()
    seeds = list(TUNING_SEEDS if args.seeds == "tune" else REPORTING_SEEDS)[: args.n]
    total: dict[str, list[float]] = {}
    for seed in seeds:
        for k, v in session(seed).items():
            total.setdefault(k, []).extend(v)

    def q(key: str) -> str:
        x = np.abs(np.array(total[key]))
        return f"median {np.median(x):.1f}, 95th percentile {np.percentile(x, 95):.1f}, largest {x.max():.1f}"

    print(f"seeds {seeds[0]}–{seeds[-1]} ({len(seeds)} thigh + shank sessions, {q('span_s')} s long)")
    print(f"skew fitted on any span, |error| ppm:        {q('skew_err_ppm')}")
    print(f"its stated uncertainty (2 SE) ppm:           {q('sigma2_ppm')}")
    print(f"truth inside ±2 SE:                          {100 * np.mean(total['inside']):.0f} % of {len(total['inside'])}")
    print(f"timing error, offset only (as applied) ms:   {q('offset_only_ms')}")
    print(f"timing error, fitted skew applied too ms:    {q('with_skew_ms')}")
    print(f"per rep, offset only vs the true clock: knee valgus |diff| ° {q('valgus_diff')}; "
          f"flexion range |diff| ° {q('range_diff')} ({len(total['valgus_diff'])} reps)")


if __name__ == "__main__":
    main()
