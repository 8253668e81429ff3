"""Exercise, placement and side are words of the vocabulary from the flags inward (issue 15)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from sensortrack.core.errors import ConfigError, MissingMetadataError
from sensortrack.core.loading import load_session
from sensortrack.core.model import Session
from sensortrack.core.vocabulary import exercise_or_none, placement_or_none, side_or_none
from sensortrack.session_analysis import resolve_context


@pytest.fixture
def squats(fixtures_dir: Path) -> Session:
    return load_session(fixtures_dir / "simulated" / "squat_thigh_right.csv")


def test_words_from_outside_are_narrowed_or_dropped() -> None:
    assert exercise_or_none("bridge") == "bridge"
    assert placement_or_none("shank") == "shank"
    assert side_or_none("left") == "left"
    for odd in ("Bridge", "", None, 3, "knee"):
        assert exercise_or_none(odd) is None
        assert placement_or_none(odd) is None
        assert side_or_none(odd) is None


def test_flags_win_and_the_context_holds_the_words(squats: Session) -> None:
    ctx = resolve_context(squats, "lunge", None, "left")
    assert (ctx.exercise, ctx.placement, ctx.side) == ("lunge", "thigh", "left")


def test_an_unknown_word_is_named_with_the_words_it_could_be(squats: Session) -> None:
    with pytest.raises(ConfigError, match=r"unknown exercise 'pilates' \(one of squat, lunge"):
        resolve_context(squats, "pilates")


def test_a_missing_word_asks_for_its_flag(squats: Session) -> None:
    bare = replace(squats, meta=replace(squats.meta, exercise=None))
    with pytest.raises(MissingMetadataError, match="pass --exercise"):
        resolve_context(bare)


def test_a_stored_reference_with_an_unknown_word_is_malformed() -> None:
    from sensortrack.analysis.reference import DriftReference

    doc = {"exercise": "squat", "placement": "thigh", "side": "left", "median_deg": 2.0, "spread_deg": 1.0,
           "reps": 6, "source": "test"}
    assert DriftReference.from_dict(doc).exercise == "squat"
    with pytest.raises(ValueError):
        DriftReference.from_dict({**doc, "exercise": "pilates"})
    with pytest.raises(ValueError):
        DriftReference.from_dict({**doc, "side": "middle"})
