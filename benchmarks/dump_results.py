"""Dump `analyze` results as JSON, to check that a speed change leaves every result as it was.

Writes one JSON file per readable fixture under fixtures/, per hard-design session of seeds 0–20
(tuning seeds: nothing is scored here, results are only compared) and for bench_pipeline's hour,
plus the same sessions fed in uneven chunks (streaming must equal batch). Run it before and after
a change and compare the two folders:

    .venv/bin/python benchmarks/dump_results.py /tmp/before
    ... change ...
    .venv/bin/python benchmarks/dump_results.py /tmp/after
    diff -r /tmp/before /tmp/after && echo identical
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from sensortrack.analysis.pipeline import StreamingAnalyzer
from sensortrack.core.loading import load_session
from sensortrack.session_analysis import analyze_session, resolve_context
from sensortrack.simulation.hard import hard_sessions
from sensortrack.simulation.simulator import simulate_session

REPO = Path(__file__).resolve().parent.parent
_SKIP = {".md", ".json", ".sqlite3", ".bin", ".hex", ".txt"}


def _write(out: Path, name: str, result: object) -> None:
    text = json.dumps(result, sort_keys=True, indent=1, default=repr)
    (out / f"{name}.json").write_text(text)


def _chunked(session: object, sizes: tuple[int, ...] = (1, 7, 64, 333)) -> dict[str, object]:
    """The session fed to the streaming analyzer in blocks of cycling sizes (events included)."""
    ctx = resolve_context(session)  # type: ignore[arg-type]
    s = session.samples  # type: ignore[attr-defined]
    analyzer = StreamingAnalyzer(ctx)
    events: list[str] = []
    i, k = 0, 0
    while i < s.t_s.size:
        j = min(s.t_s.size, i + sizes[k % len(sizes)])
        gyro = None if s.gyro_dps is None else s.gyro_dps[i:j]
        events += [repr(e) for e in analyzer.feed(s.t_s[i:j], s.acc_g[i:j], gyro)]
        i, k = j, k + 1
    result = analyzer.finish().to_dict()
    events += [repr(e) for e in analyzer.drain_events()]
    return {"result": result, "events": events}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--seeds", type=int, default=21, help="hard-design seeds 0..N-1 (default 21)")
    args = parser.parse_args()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    for path in sorted((REPO / "fixtures").rglob("*")):
        if not path.is_file() or path.suffix in _SKIP or "bad" in path.parts or "packets" in path.parts:
            continue
        name = "fixture_" + "_".join(path.relative_to(REPO / "fixtures").with_suffix("").parts).replace(" ", "_")
        try:
            session = load_session(str(path))
        except Exception as exc:  # noqa: BLE001 - some fixtures are not sessions (a vendor's second file)
            print(f"skipped {path.relative_to(REPO)}: {exc}", file=sys.stderr)
            continue
        _write(out, name, analyze_session(session).to_dict())
        if session.meta.exercise and session.meta.sensor.placement and session.meta.sensor.side:
            _write(out, name + "_chunked", _chunked(session))
    for seed in range(args.seeds):
        for hard in hard_sessions(seed):
            session, _ = simulate_session(hard.spec, hard.seed)
            name = f"hard_{seed:02d}_{hard.scenario}"
            _write(out, name, analyze_session(session).to_dict())
            if seed < 3:
                _write(out, name + "_chunked", _chunked(session))
    sys.path.insert(0, str(REPO / "benchmarks"))
    from bench_pipeline import one_hour_at_100_hz

    from sensortrack.analysis.pipeline import analyze

    t, acc, gyro, ctx = one_hour_at_100_hz()
    _write(out, "bench_hour", analyze(t, acc, gyro, ctx).to_dict())  # type: ignore[arg-type]
    print(f"wrote {len(list(out.glob('*.json')))} results to {out}")
    return 0


if __name__ == "__main__":
    np.seterr(all="ignore")
    raise SystemExit(main())
