"""`live --exercise auto` knows a set's exercise by the end of its second rep (issue 13): the live
recogniser finds reps from gravity's direction alone (no exercise needed), and recognises the set
from its own first two reps. Simulated sets (strapped flat, recognition_scenes.simulate_flat) fed
in 0.1 s chunks, as a sensor's notifications come: nothing is said before the first rep is done,
and the label is there no later than 0.5 s after the second rep's end."""

from __future__ import annotations

import pytest

from sensortrack.analysis.recognition_live import LiveRecogniser
from sensortrack.recognising import packaged_model
from sensortrack.simulation import Distractor, SessionSpec, SetSpec
from sensortrack.simulation.labels import Labels
from sensortrack.core.model import Session
from sensortrack.simulation.recognition_scenes import simulate_flat

QUIET = {"bridge": "lie", "clamshell": "lie"}


def _one_set(exercise: str, placement: str, seed: int) -> tuple[Session, Labels]:
    spec = SessionSpec(exercise, placement, "left", 100.0, sets=(SetSpec(8),),  # type: ignore[arg-type]
                       lead_in=(Distractor(QUIET.get(exercise, "stand"), 4.0),),  # type: ignore[arg-type]
                       lead_out=(Distractor(QUIET.get(exercise, "stand"), 6.0),))  # type: ignore[arg-type]
    return simulate_flat(spec, seed)


def _first_decision(session: Session, placement: str, chunk: int):  # type: ignore[no-untyped-def]
    s = session.samples
    rec = LiveRecogniser(packaged_model(), placement)
    for i in range(0, len(s), chunk):
        decided = rec.feed(s.t_s[i : i + chunk], s.acc_g[i : i + chunk])
        if decided is not None:
            return decided, float(s.t_s[min(i + chunk, len(s)) - 1])
    return None, float(s.t_s[-1])


@pytest.mark.parametrize("placement", ("thigh", "shank"))
@pytest.mark.parametrize("exercise", ("squat", "lunge", "band_walk", "bridge", "clamshell"))
def test_known_by_the_end_of_the_second_rep(exercise: str, placement: str) -> None:
    session, labels = _one_set(exercise, placement, 7)
    reps = labels.sets[0].reps
    decided, shown_at_s = _first_decision(session, placement, 10)  # 0.1 s chunks at 100 Hz
    assert decided is not None
    assert shown_at_s <= reps[1].end_s + 0.5, (shown_at_s, reps[1].end_s)  # shown by then
    assert decided.decided_s >= reps[0].start_s + 0.5  # from the set's own movement, not its rest
    assert decided.start_s <= reps[0].start_s + 0.5  # the bout starts at its first rep
    assert 0.0 <= decided.confidence <= 1.0


def test_the_same_decision_in_any_chunking() -> None:
    session, _ = _one_set("squat", "thigh", 7)
    first = [_first_decision(session, "thigh", chunk)[0] for chunk in (1, 7, 10, 333)]
    assert all(d is not None for d in first)
    assert len({(d.exercise, round(d.decided_s, 9), round(d.confidence, 9)) for d in first}) == 1


def test_what_is_shown_as_sure_is_right() -> None:
    """A two-rep answer is shown as sure only from the calibrated confidence (sure_from, chosen so
    that sure answers were right on tuning seeds) and where the posture was read; on these sets
    (seeds 7 and 11, not tuning seeds of the threshold) every answer shown as sure is the set's
    exercise, and the rest are marked unsure. (Not every seed is so: on seed 12 a shank's
    clamshells read as step-ups at 0.96 — sure answers were right 95 %, not 100 %, of the time.)"""
    from sensortrack.analysis.recognition_live import LiveRecognitionSettings

    sure_from = LiveRecognitionSettings().sure_from
    shown = []
    for seed in (7, 11):
        for exercise in ("squat", "lunge", "band_walk", "bridge", "clamshell", "step_up"):
            for placement in ("thigh", "shank"):
                decided, _ = _first_decision(_one_set(exercise, placement, seed)[0], placement, 10)
                assert decided is not None
                # below sure_from always unsure; above it, unsure too where the posture was not read
                assert decided.unsure or decided.confidence >= sure_from
                shown.append((exercise, decided.exercise, decided.unsure))
    assert all(truth == said for truth, said, unsure in shown if not unsure), shown
    assert any(not unsure for *_, unsure in shown)  # some are shown as sure: the check is not empty


@pytest.mark.parametrize("placement", ("thigh", "shank"))
def test_a_band_walk_whose_first_step_sinks_into_the_stance(placement: str) -> None:
    """Seed 43's band walk sinks from upright into the half-squat stance with its first step: the
    step goes past the stance and comes back to it before the stance is first held, so it is a rep
    (not only the stance), and the walk is labelled by its second step's end, not a step later."""
    session, labels = _one_set("band_walk", placement, 43)
    reps = labels.sets[0].reps
    decided, shown_at_s = _first_decision(session, placement, 10)
    assert decided is not None
    assert shown_at_s <= reps[1].end_s + 0.5, (shown_at_s, reps[1].end_s)
    assert decided.start_s <= reps[0].start_s + 0.5
