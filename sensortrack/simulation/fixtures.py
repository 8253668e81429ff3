"""Writing simulated recordings and their labels to disk (fixtures, the bundled demo)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from sensortrack.core.model import Session
from sensortrack.core.sessionfile import write_session
from sensortrack.simulation.catalog import Fixture
from sensortrack.simulation.labels import Labels
from sensortrack.simulation.simulator import simulate_session


def fixture_paths(root: Path, fixture: Fixture) -> tuple[Path, Path]:
    """(recording, labels) paths of a fixture under the repository root."""
    labels = root / "fixtures" / "simulated" / f"{fixture.name}.labels.json"
    if fixture.where == "demo":
        return root / "sensortrack" / "data" / f"{fixture.name}.csv", labels
    return labels.with_name(f"{fixture.name}.csv"), labels


def write_reproducibly(csv_path: Path, session: Session) -> None:
    """write_session, replacing an existing file, with the `# end` line's wall-clock end time set to
    start + duration, so regenerating a fixture gives the same bytes (no churn in git)."""
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    csv_path.unlink(missing_ok=True)  # the session writer never overwrites
    write_session(csv_path, session)
    text = csv_path.read_text(encoding="utf-8")
    body, end_line = text.rstrip("\n").rsplit("\n", 1)
    end = json.loads(end_line[len("# end ") :])
    start = datetime.fromisoformat(session.meta.start_time_utc)
    end["end_time_utc"] = (start + timedelta(seconds=float(session.samples.t_s[-1]))).isoformat(timespec="seconds")
    csv_path.write_text(f"{body}\n# end {json.dumps(end)}\n", encoding="utf-8", newline="\n")


def write_recording(csv_path: Path, labels_path: Path, session: Session, labels: Labels) -> None:
    """Replace both files of a simulated recording."""
    write_reproducibly(csv_path, session)
    labels_path.parent.mkdir(parents=True, exist_ok=True)
    labels.save(labels_path)


def generate(root: Path, fixture: Fixture) -> tuple[Path, Labels]:
    session, labels = simulate_session(fixture.spec, fixture.seed)
    csv_path, labels_path = fixture_paths(root, fixture)
    write_recording(csv_path, labels_path, session, labels)
    return csv_path, labels
