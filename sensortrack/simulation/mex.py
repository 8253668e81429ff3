"""Convert a few real MEx thigh-accelerometer recordings into session files for fixtures/mex/.

MEx (Wijekoon, Wiratunga, Cooper, arXiv:1908.08992, CC BY 4.0): Axivity AX3 on the thigh, ±8 g,
nominal 100 Hz (~103 Hz by its timestamps), CSV rows `timestamp, x, y, z` in g, no header.
Which thigh, and which of the two clam files is which side, the dataset does not say.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from sensortrack.core.errors import InputFileError
from sensortrack.core.model import FloatArray, SampleBlock, SensorInfo, Session, SessionMeta
from sensortrack.simulation.fixtures import write_reproducibly

ATTRIBUTION = "MEx dataset, Wijekoon, Wiratunga, Cooper, arXiv:1908.08992, CC BY 4.0"


@dataclass(frozen=True, slots=True)
class MexPick:
    source: str  # path under act/
    name: str  # fixture file name without .csv
    exercise: str
    side: str
    side_note: str


# Two bridging and two clam recordings from four different people. The clam files were chosen
# among those where the thigh visibly moves (in many pairs one file barely moves: see fixtures/README.md).
PICKS = (
    MexPick("01/02_act_1.csv", "bridge_subject01", "bridge", "left",
            "side not recorded by MEx (one thigh, unnamed); 'left' is a placeholder"),
    MexPick("03/02_act_1.csv", "bridge_subject03", "bridge", "left",
            "side not recorded by MEx (one thigh, unnamed); 'left' is a placeholder"),
    MexPick("04/04_act_1.csv", "clamshell_subject04_side1", "clamshell", "left",
            "MEx records one clam file per side without saying which: ASSUMED left for 04_act_1"),
    MexPick("02/04_act_2.csv", "clamshell_subject02_side2", "clamshell", "right",
            "MEx records one clam file per side without saying which: ASSUMED right for 04_act_2"),
)


def read_mex_csv(path: Path) -> tuple[FloatArray, FloatArray, str, int]:
    """(t_s from the first timestamp, acc_g (n, 3), first timestamp text, timestamps repaired)."""
    stamps: list[float] = []
    rows: list[list[float]] = []
    first = ""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split(",")
        try:
            # Rows on a whole second are written without a fraction ("11:46:02"): fromisoformat reads both.
            stamp = datetime.fromisoformat(fields[0].strip())
            rows.append([float(f) for f in fields[1:4]])
        except (ValueError, IndexError):
            raise InputFileError(str(path), "not a MEx row (timestamp, x, y, z)", number) from None
        first = first or fields[0].strip()
        stamps.append(stamp.replace(tzinfo=UTC).timestamp())  # naive: no DST shifts
    t = np.asarray(stamps) - stamps[0]
    t, repaired = strictly_increasing(t)
    return t, np.asarray(rows), first, repaired


def strictly_increasing(t: FloatArray) -> tuple[FloatArray, int]:
    """Timestamps that repeat or step back (logger clock resolution, clock corrections) are replaced
    by linear interpolation over sample index between the nearest good stamps on either side, so no
    sample is dropped and no acceleration value is touched. Returns (times, how many were replaced)."""
    good = np.ones(t.size, dtype=bool)
    running_max = -np.inf
    for i, value in enumerate(t):  # a stamp is good if it is later than every good stamp before it
        if value > running_max:
            running_max = value
        else:
            good[i] = False
    bad = int((~good).sum())
    if bad == 0:
        return t, 0
    index = np.arange(t.size)
    fixed = np.interp(index, index[good], t[good])
    # Trailing bad stamps have no later anchor: continue at the median sample interval.
    period = float(np.median(np.diff(t[good])))
    last_good = int(index[good][-1])
    fixed[last_good + 1 :] = t[last_good] + period * np.arange(1, t.size - last_good)
    return fixed, bad


def mex_session(source_dir: Path, pick: MexPick) -> Session:
    path = source_dir / "act" / pick.source
    t_s, acc_g, first, repaired = read_mex_csv(path)
    sensor = SensorInfo(model="Axivity AX3", placement="thigh", side=pick.side, nominal_rate_hz=100.0,
                        name="MEx act", clock="device")  # type: ignore[arg-type]
    repair_note = (
        f"; {repaired} repeated/backward timestamps re-timed by interpolation over sample index"
        if repaired else "; timestamps used as recorded (all strictly increasing)"
    )
    meta = SessionMeta(
        sensor=sensor,
        exercise=pick.exercise,  # type: ignore[arg-type]
        start_time_utc=first,  # the logger's clock; MEx does not state the time zone
        notes=f"MEx act/{pick.source} (real recording, thigh accelerometer only); {pick.side_note}{repair_note}",
        source="import:mex",
        attribution=ATTRIBUTION,
    )
    return Session(meta=meta, samples=SampleBlock(t_s=t_s, acc_g=acc_g, sensor=sensor))


def convert_mex_fixtures(source_dir: Path, out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for pick in PICKS:
        target = out_dir / f"{pick.name}.csv"
        write_reproducibly(target, mex_session(source_dir, pick))
        written.append(target)
    return written
