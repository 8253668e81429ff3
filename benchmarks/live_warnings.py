"""Live knee-drift warnings against `analyze`'s, on the hard design's squat and lunge sessions.

Issue 9: "warnings fire only on counted movements". Each session is fed to the streaming analyzer
in blocks of `--block-s` (as a live sensor delivers it) and the events are played through the live
view's warning policy (`analysis/live_warnings.py`, the same one the TUI uses). Printed:

- warnings shown live, and how many of them `analyze` does not give for the same file (by the rep's
  start time; streaming == batch, so a counted rep has the same start in both);
- of those, how many were taken back (`RepWithdrawn`) and after how long, and how many stay;
- warnings `analyze` gives that the live view never showed (should be 0), and how late the held
  ones were shown (a set's first reps wait until the set is established).

`--with-reference`: the `squat_person` sessions only, each judged against the same person's
reference as accuracy_reference.py builds it (a correct-only session strapped on again), so the
personal limit (today's level, the person's noise floor) is what the live view and `analyze` share.

Seeds 0–99 are for tuning, 1000–1099 for reporting (as accuracy_hard.py).

    .venv/bin/python benchmarks/live_warnings.py --seeds 0:40 --hold 3
    .venv/bin/python benchmarks/live_warnings.py --report
    .venv/bin/python benchmarks/live_warnings.py --seeds 0:40 --with-reference
"""

from __future__ import annotations

import argparse
from dataclasses import replace

import numpy as np

from accuracy_reference import add_design_arguments, design_choice, person_reference
from sensortrack.analysis.live_warnings import LiveWarnings, WarningShown, WarningTakenBack
from sensortrack.analysis.pipeline import StreamingAnalyzer, analyze
from sensortrack.analysis.results import DriftWarning, Event, RepWithdrawn, SetEnded
from sensortrack.session_analysis import resolve_context
from sensortrack.simulation.hard import hard_sessions
from sensortrack.simulation.simulator import simulate_session


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_design_arguments(parser)
    parser.add_argument("--block-s", type=float, default=0.1, help="seconds of samples per feed (default 0.1)")
    parser.add_argument("--hold", type=int, metavar="N", help="hold a set's warnings until it has N reps "
                        "(default: live_warning_hold_reps)")
    parser.add_argument("--with-reference", action="store_true",
                        help="squat_person sessions judged against the person's reference (module doc)")
    args = parser.parse_args()
    seeds, settings = design_choice(parser, args)
    if args.block_s <= 0:
        parser.exit(2, "live_warnings: --block-s must be above 0\n")
    hold_reps = settings.live_warning_hold_reps if args.hold is None else args.hold
    shown = wrong = taken_back = stays = missed = final_total = sessions = on_no_rep = 0
    shown_for_s: list[float] = []  # how long a warning analyze does not give stayed on screen
    provisional = provisional_wrong = 0  # DriftWarning events (raised while a rep is under way; not shown)
    withdrawn_at: list[str] = []  # "rep N of a kept set" / "rep N of a set not kept"
    held_for_s: list[float] = []  # how late a held warning analyze gives was shown after its rep counted
    for seed in seeds:
        for hard in hard_sessions(seed):
            if not hard.scenario.startswith("squat_person" if args.with_reference else ("squat", "lunge")):
                continue
            reference = person_reference(hard, settings) if args.with_reference else None
            if args.with_reference and reference is None:
                continue
            session, _ = simulate_session(hard.spec, seed=hard.seed)
            ctx = replace(resolve_context(session), reference=reference)
            s = session.samples
            batch = analyze(s.t_s, s.acc_g, s.gyro_dps, ctx, settings)
            final = {r.start_s for r in batch.reps if r.drifted}
            spans = [(r.start_s, r.end_s) for r in batch.reps]
            warned_spans = [(r.start_s, r.end_s) for r in batch.reps if r.drifted]
            final_total += len(final)
            sessions += 1
            analyzer = StreamingAnalyzer(ctx, settings, keep_trace=False)
            view = LiveWarnings(hold_reps)
            step = max(1, int(round(args.block_s * ctx.rate_hz)))
            events: list[Event] = []
            for i in range(0, len(s), step):
                block = s.slice(i, i + step)
                events += analyzer.feed(block.t_s, block.acc_g, block.gyro_dps)
            analyzer.finish()
            events += analyzer.drain_events()
            out = view.review(events)
            for k, e in enumerate(events):
                if isinstance(e, DriftWarning):
                    provisional += 1
                    provisional_wrong += not any(a <= e.warning.t_s <= b for a, b in warned_spans)
                elif isinstance(e, RepWithdrawn) and e.rep.drifted:
                    ended = next(x for x in events[k:] if isinstance(x, SetEnded))
                    withdrawn_at.append(f"rep {e.rep.index} of a set {'kept' if ended.kept else 'not kept'}")
            on_screen: dict[float, float] = {}  # rep start -> when its warning was shown
            seen: set[float] = set()
            for item in out:
                if isinstance(item, WarningShown):
                    start = item.rep.start_s
                    shown += 1
                    seen.add(start)
                    on_screen[start] = item.t_s
                    if start in final:
                        held_for_s.append(item.t_s - item.counted_t_s)
                    else:
                        wrong += 1
                        on_no_rep += not any(a < item.rep.end_s and item.rep.start_s < b for a, b in spans)
                elif isinstance(item, WarningTakenBack):
                    start = item.rep.start_s
                    if start in on_screen and start not in final:
                        taken_back += 1
                        shown_for_s.append(item.t_s - on_screen.pop(start))
            stays += sum(1 for start in on_screen if start not in final)
            missed += len(final - seen)

    def spread(values: list[float]) -> str:
        if not values:
            return "-"
        return f"median {np.median(values):.1f} s, max {max(values):.1f} s"

    what = "squat_person sessions with the person's reference" if args.with_reference else "squat and lunge sessions"
    print(f"{what} of the hard design: {sessions} (seeds {seeds.start}:{seeds.stop}), "
          f"fed in {args.block_s:g} s blocks; hold until rep {hold_reps} of a set")
    print(f"warnings analyze gives: {final_total}; shown live: {shown}")
    print(f"shown live, not on a rep of the final count: {wrong} ({on_no_rep} on no rep at all)")
    print(f"  taken back (RepWithdrawn): {taken_back}, on screen for {spread(shown_for_s)}")
    print(f"  still shown at the end: {stays}")
    print(f"  withdrawn warned reps were: {', '.join(sorted(withdrawn_at)) or '-'}")
    print(f"analyze's warnings never shown live: {missed}")
    print(f"provisional DriftWarning events (rep under way, not shown): {provisional}, "
          f"{provisional_wrong} of them not within a rep analyze warns")
    print(f"analyze's warnings shown after their rep was counted by: {spread([x for x in held_for_s if x > 0])} "
          f"({sum(1 for x in held_for_s if x > 0)} of {len(held_for_s)} held)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
