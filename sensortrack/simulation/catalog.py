"""The committed fixture set: one spec and seed per file, built deterministically from its name.

fixtures/simulated/{exercise}_{placement}_{side}.csv for every combination, the hard cases, and the
bundled demo. Changing anything here changes the fixtures: regenerate with
`python -m sensortrack.simulation` and commit the result.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, replace

import numpy as np

from sensortrack.core.model import EXERCISES, PLACEMENTS, SIDES
from sensortrack.simulation.spec import Distractor, ImuSpec, SessionSpec, SetSpec

RATES_HZ = (50.0, 52.0, 60.0, 100.0, 104.0, 200.0)
# The four simulated files written without gyro columns (accelerometer-only sensors).
ACC_ONLY = frozenset({
    "bridge_thigh_left", "clamshell_thigh_right", "squat_shank_right", "band_walk_thigh_left",
})
LYING = ("bridge", "clamshell")


@dataclass(frozen=True, slots=True)
class Fixture:
    name: str
    spec: SessionSpec
    seed: int
    where: str = "simulated"  # "simulated" → fixtures/simulated/, "demo" → sensortrack/data/


def _seed(name: str) -> int:
    return zlib.crc32(name.encode())  # stable across Python runs, unlike hash()


def _between(exercise: str, rng: np.random.Generator) -> tuple[Distractor, ...]:
    """A rest between sets: lying still and adjusting, or standing, walking around and fidgeting."""
    if exercise in LYING:
        items = [Distractor("lie", rng.uniform(3, 6)), Distractor("adjust", rng.uniform(2, 4))]
        if rng.random() < 0.5:
            items.append(Distractor("roll", rng.uniform(2.5, 4)))
        items.append(Distractor("lie", rng.uniform(1.5, 3)))
        return tuple(items)
    items = [Distractor("stand", rng.uniform(2, 4)), Distractor("walk", rng.uniform(5, 12))]
    if rng.random() < 0.35:
        items.append(Distractor("sit_stand", rng.uniform(5, 8)))
    items += [Distractor("fidget", rng.uniform(2, 4)), Distractor("stand", rng.uniform(1.0, 2.5))]
    return tuple(items)


def _imu(name: str, rng: np.random.Generator) -> ImuSpec:
    return ImuSpec(
        gyro=name not in ACC_ONLY,
        quantise=bool(rng.random() < 0.4),
        drop_bursts_per_min=float(rng.uniform(0.5, 3.0)),
        jitter_fraction=float(rng.uniform(0.0, 0.05)),
    )


def _sets(exercise: str, rng: np.random.Generator, index: int) -> tuple[SetSpec, ...]:
    n = lambda: int(rng.integers(5, 11))  # noqa: E731 - a draw, named for reading
    if exercise == "clamshell":  # no knee-drift label: two clean sets at different tempos
        return (SetSpec(n(), pause_at_peak_s=(0.0, 1.0)), SetSpec(n(), tempo_scale=1.25))
    if exercise == "bridge":  # holds at the top vary per set; MEx people hold ~5 s
        return (
            SetSpec(n(), pause_at_peak_s=(0.0, 1.0)),
            SetSpec(int(rng.integers(5, 8)), drift=True, pause_at_peak_s=(3.0, 5.0)),
        )
    if exercise == "band_walk":  # steps are short: more of them per set
        n = lambda: int(rng.integers(7, 11))  # noqa: E731
        first = "lead" if index % 2 == 0 else "trail"
        other = "trail" if first == "lead" else "lead"
        return (
            SetSpec(n(), step=first, rest_between_reps_s=(0.1, 0.6), pause_at_peak_s=(0.0, 0.2)),
            SetSpec(n(), drift=True, step=other, rest_between_reps_s=(0.1, 0.6), pause_at_peak_s=(0.0, 0.2)),
        )
    if index % 3 == 0:  # three shorter sets, the last clean at first and drifting from its middle
        k = int(rng.integers(5, 7))
        return (
            SetSpec(int(rng.integers(5, 8)), pause_at_peak_s=(0.0, 0.5), tempo_scale=0.85),
            SetSpec(int(rng.integers(5, 8)), drift=True, pause_at_peak_s=(0.0, 0.5), tempo_scale=0.85),
            SetSpec(k, drift=True, drift_from_rep=k // 2 + 1, tempo_scale=0.85),
        )
    return (SetSpec(n(), pause_at_peak_s=(0.0, 0.5)), SetSpec(n(), drift=True, pause_at_peak_s=(0.0, 0.5)))


def standard_fixtures(salt: str = "") -> list[Fixture]:
    """Every exercise × placement × side. `salt` draws other seeds for the same design (held-out
    sessions for benchmarks/accuracy_fresh.py); the committed fixtures use none."""
    out = []
    index = 0
    for exercise in EXERCISES:
        for placement in PLACEMENTS:
            for side in SIDES:
                name = f"{exercise}_{placement}_{side}"
                seed = _seed(name + salt)
                rng = np.random.Generator(np.random.PCG64(seed))
                sets = _sets(exercise, rng, index)
                quiet = "lie" if exercise in LYING else "stand"
                spec = SessionSpec(
                    exercise=exercise, placement=placement, side=side,
                    rate_hz=RATES_HZ[index % len(RATES_HZ)],
                    sets=sets,
                    lead_in=(Distractor(quiet, rng.uniform(2, 4)),),
                    between=tuple(_between(exercise, rng) for _ in range(len(sets) - 1)),
                    lead_out=(Distractor(quiet, rng.uniform(1.5, 3)),),
                    imu=_imu(name, rng),
                    cut_start_s=float(rng.uniform(0, 1.0)), cut_end_s=float(rng.uniform(0, 1.0)),
                )
                out.append(Fixture(name, spec, seed))
                index += 1
    return out


def hard_fixtures() -> list[Fixture]:
    imu = ImuSpec(drop_bursts_per_min=2.0)
    walk_rest = (Distractor("stand", 2.5), Distractor("walk", 8.0), Distractor("fidget", 3.0), Distractor("stand", 1.5))
    restrap = SessionSpec(
        "squat", "thigh", "left", 100.0,
        sets=(SetSpec(7), SetSpec(7, drift=True), SetSpec(6)),
        between=(
            (Distractor("stand", 2.0), Distractor("restrap", 2.2), Distractor("stand", 3.0)),
            (Distractor("walk", 6.0), Distractor("restrap", 1.8), Distractor("stand", 2.0)),
        ),
        imu=imu,
    )
    partial = SessionSpec(
        "squat", "thigh", "right", 60.0,
        sets=(
            SetSpec(8, depth_scale=0.72, shallow_reps=(3, 6), pause_at_peak_s=(0.5, 1.0)),
            SetSpec(8, drift=True, depth_scale=0.8, shallow_reps=(2,), pause_at_peak_s=(0.6, 1.0)),
        ),
        between=(walk_rest,),
        imu=replace(imu, quantise=True),
    )
    cut = SessionSpec(
        "squat", "thigh", "left", 104.0,
        sets=(SetSpec(7, rest_between_reps_s=(0.3, 0.6)), SetSpec(7, drift=True, rest_between_reps_s=(0.3, 0.6))),
        lead_in=(Distractor("walk", 5.0),),
        between=(walk_rest,),
        lead_out=(Distractor("fidget", 2.0), Distractor("walk", 4.0)),
        imu=imu,
        cut_start_s=2.2, cut_end_s=1.5,  # starts and stops mid-walk, < 1 s of stillness around sets
    )
    return [
        Fixture("squat_thigh_left_restrap", restrap, _seed("squat_thigh_left_restrap")),
        Fixture("squat_thigh_right_partial", partial, _seed("squat_thigh_right_partial")),
        Fixture("squat_thigh_left_cut", cut, _seed("squat_thigh_left_cut")),
    ]


def demo_fixture() -> Fixture:
    """The bundled `sensortrack demo` recording: clean set of 8, walk, 8 more with reps 4–8 drifting."""
    spec = SessionSpec(
        "squat", "thigh", "left", 100.0,
        sets=(SetSpec(8), SetSpec(8, drift=True, drift_from_rep=4)),
        lead_in=(Distractor("stand", 3.0),),
        between=((Distractor("stand", 2.5), Distractor("walk", 10.0), Distractor("stand", 2.5)),),
        lead_out=(Distractor("stand", 2.0),),
        imu=ImuSpec(drop_bursts_per_min=0.5),
    )
    return Fixture("demo_squats", spec, _seed("demo_squats"), where="demo")


def all_fixtures() -> list[Fixture]:
    """Squats first: they are the ones the analysis is tuned on."""
    fixtures = standard_fixtures() + hard_fixtures() + [demo_fixture()]
    return sorted(fixtures, key=lambda f: (not f.name.startswith("squat"), f.name.startswith("demo")))
