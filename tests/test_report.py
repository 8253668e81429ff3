"""`sensortrack report`: one self-contained HTML file with the figures, tables and trend."""

from __future__ import annotations

import base64
import html
import re
from html.parser import HTMLParser
from collections.abc import Callable
from pathlib import Path

import pytest

from sensortrack.cli import main
from sensortrack.library.store import Library

REPO = Path(__file__).resolve().parents[1]
SIMULATED = REPO / "fixtures" / "simulated"
SVG_START = b"<svg xmlns=\"http://www.w3.org/2000/svg\""


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


class Page(HTMLParser):
    """Collects what a reader of the report sees: images, table rows, headings, external links."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.images: list[bytes] = []
        self.external: list[str] = []
        self.headings: list[str] = []
        self.rows: dict[str, int] = {}  # table class → body rows
        self.rep_rows = 0
        self.warn_rows = 0
        self._table_class: str | None = None
        self._in_body = False
        self._heading = False
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "img":
            src = a.get("src") or ""
            assert src.startswith("data:image/svg+xml;base64,"), src[:40]
            self.images.append(base64.b64decode(src.split(",", 1)[1]))
        if tag in ("link", "script") or (tag == "img" and not (a.get("src") or "").startswith("data:")):
            self.external.append(tag)
        if tag == "table":
            self._table_class = a.get("class")
        if tag == "tbody":
            self._in_body = True
        if tag == "tr" and self._in_body:
            self.rows[self._table_class or ""] = self.rows.get(self._table_class or "", 0) + 1
            if self._table_class == "reps":
                self.rep_rows += 1
                self.warn_rows += a.get("class") == "warn"
        if tag == "h2":
            self._heading = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "tbody":
            self._in_body = False
        if tag == "h2":
            self._heading = False

    def handle_data(self, data: str) -> None:
        if self._heading:
            self.headings.append(data.strip())


@pytest.fixture
def library(tmp_path: Path, capsys: pytest.CaptureFixture[str], dated_copy: Callable[[Path, Path, str], Path]) -> Path:
    """Three squat sessions a week apart (left, right, left) and a bridge."""
    path = tmp_path / "lib.sqlite3"
    files = [
        dated_copy(SIMULATED / "squat_thigh_left.csv", tmp_path / "w1.csv", "2025-03-03T17:00:00+00:00"),
        dated_copy(SIMULATED / "squat_thigh_right.csv", tmp_path / "w2.csv", "2025-03-10T17:00:00+00:00"),
        dated_copy(SIMULATED / "squat_thigh_left_cut.csv", tmp_path / "w3.csv", "2025-03-17T17:00:00+00:00"),
        SIMULATED / "bridge_thigh_left.csv",
    ]
    assert run(capsys, "import", *map(str, files), "--library", str(path))[0] == 0
    return path


def test_library_session_report_has_figures_tables_and_trend(
    library: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report.html"
    code, stdout, err = run(capsys, "report", "2", "-o", str(out), "--library", str(library))
    assert code == 0, err
    assert stdout.strip() == str(out)
    text = out.read_text(encoding="utf-8")
    page = Page(text)
    assert page.external == []  # self-contained: nothing to fetch
    assert len(page.images) == 3  # angle over time, per-rep bars, trend
    assert all(img.startswith(SVG_START) for img in page.images)
    assert page.headings == [
        "Sets",
        "Movement over time",
        "Rep by rep",
        "Rep table",
        "Progress over sessions",
        "What the numbers mean",
    ]

    with Library.open(library) as lib:
        record = lib.get(2)
    assert page.rep_rows == record.rep_count > 0
    assert page.warn_rows == record.drift_rep_count > 0  # the drifting set of the fixture
    assert "Squat — right leg" in text and "library session #2" in text
    assert "not</i> a clinical valgus angle" in text
    assert "@media print" in text and "size: A4" in text
    assert "3 sessions from 2025-03-03 to 2025-03-17" in text  # squats only, not the bridge


def test_file_report_outside_the_library_and_undefined_drift(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "clam.html"
    clam = SIMULATED / "clamshell_thigh_left.csv"
    code, _, err = run(capsys, "report", str(clam), "-o", str(out), "--library", str(tmp_path / "none.sqlite3"))
    assert code == 0, err
    text = out.read_text(encoding="utf-8")
    page = Page(text)
    assert len(page.images) == 2  # no trend without a library
    assert "No history shown: no library yet" in text
    assert "Knee drift is not measured for this exercise" in text
    assert "not measured" in text and page.warn_rows == 0
    assert not (tmp_path / "none.sqlite3").exists()


def test_file_that_is_in_the_library_gets_its_history(
    library: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "w1.html"
    code, _, err = run(capsys, "report", str(tmp_path / "w1.csv"), "-o", str(out), "--library", str(library))
    assert code == 0, err
    assert len(Page(out.read_text(encoding="utf-8")).images) == 3


def test_report_errors_are_one_line(library: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r.html"
    out.write_text("old report")
    code, _, err = run(capsys, "report", "1", "-o", str(out), "--library", str(library))
    assert code == 2 and err.count("\n") == 1 and "exists already" in err
    assert out.read_text() == "old report"

    plain = tmp_path / "log.csv"
    plain.write_text((REPO / "fixtures" / "bad" / "interchange_ok.csv").read_text())  # no exercise known
    code, _, err = run(capsys, "report", str(plain), "-o", str(tmp_path / "p.html"))
    assert code == 0, err  # issue 13: what the file does not say is recognised (here: no exercise)
    assert (tmp_path / "p.html").exists()

    corrupt = tmp_path / "corrupt.sqlite3"
    corrupt.write_bytes(b"\x00garbage" * 1000)
    code, _, err = run(capsys, "report", "1", "-o", str(tmp_path / "c.html"), "--library", str(corrupt))
    assert code == 2 and err.count("\n") == 1 and "not a sensortrack library" in err


def test_figures_are_vector_graphics_sharp_on_paper(
    library: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report.html"
    assert run(capsys, "report", "1", "-o", str(out), "--library", str(library))[0] == 0
    images = Page(out.read_text(encoding="utf-8")).images
    assert len(images) == 3
    for image in images:
        svg = image.decode("utf-8")
        assert re.search(r'viewBox="0 0 680 \d+', svg)  # scales to any print width without pixels
        assert "<polyline" in svg or "<rect" in svg  # data drawn as shapes
        assert "matplotlib" not in svg
    angle, bars, trend = (i.decode("utf-8") for i in images)
    assert ">Time since the start of the recording (s)</text>" in angle  # axis text is text, not pixels
    assert ">Rep (numbered through the session)</text>" in bars
    assert ">left leg</text>" in trend and ">right leg</text>" in trend
    assert re.search(r"<title>Squat, left thigh — 2025-03-0[34] \d\d:\d\d</title>", out.read_text(encoding="utf-8"))


def test_progress_report_of_the_whole_library(
    library: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "progress.html"
    code, stdout, err = run(capsys, "report", "-o", str(out), "--library", str(library))
    assert code == 0, err
    assert stdout.strip() == f"{out} (4 sessions)"
    page = Page(out.read_text(encoding="utf-8"))
    assert page.headings == [
        "Glute bridge / hip thrust — sensor on the thigh",
        "Squat — sensor on the thigh",
        "What the numbers mean",
    ]
    assert len(page.images) == 1 and page.images[0].startswith(SVG_START)  # a trend needs two sessions
    assert page.rows == {"sessions": 4}

    only = tmp_path / "bridge.html"
    assert run(capsys, "report", "-o", str(only), "--exercise", "bridge", "--library", str(library))[0] == 0
    page = Page(only.read_text(encoding="utf-8"))
    assert page.rows == {"sessions": 1} and page.images == []

    code, _, err = run(
        capsys, "report", "-o", str(tmp_path / "none.html"), "--exercise", "lunge", "--library", str(library)
    )
    assert code == 2 and "no analysed sessions" in err


def _svg_height(svg: bytes) -> float:
    view_box = re.search(rb'viewBox="0 0 [0-9.]+ ([0-9.]+)"', svg)
    assert view_box is not None
    return float(view_box.group(1))


def _noted(src: Path, dest: Path, start_time_utc: str, rpe: int, pain: int) -> Path:
    """A dated copy of `src` with the wearer's note on its first set, as the live view writes it."""
    from dataclasses import replace

    from sensortrack.session_analysis import analyze_session
    from sensortrack.core.session_events import SessionEvents, SetNote
    from sensortrack.core.sessionfile import read_session, write_session

    session = read_session(src)
    first = analyze_session(session).sets[0]
    note = SetNote(first.start_s, first.end_s, rpe, pain, "left knee" if pain else "")
    session = replace(session, meta=replace(session.meta, start_time_utc=start_time_utc), events=SessionEvents((), (note,)))
    write_session(dest, session)
    return dest


def test_progress_report_plots_effort_and_pain_next_to_the_drift(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], dated_copy: Callable[[Path, Path, str], Path]
) -> None:
    path = tmp_path / "lib.sqlite3"
    files = [
        _noted(SIMULATED / "squat_thigh_left.csv", tmp_path / "w1.csv", "2025-03-03T17:00:00+00:00", 6, 0),
        _noted(SIMULATED / "squat_thigh_left_cut.csv", tmp_path / "w2.csv", "2025-03-10T17:00:00+00:00", 8, 4),
    ]
    assert run(capsys, "import", *map(str, files), "--library", str(path))[0] == 0
    out = tmp_path / "progress.html"
    assert run(capsys, "report", "-o", str(out), "--library", str(path))[0] == 0
    text = out.read_text(encoding="utf-8")
    page = Page(text)
    assert "Effort (RPE)" in text and "Pain (most)" in text and "how the sets felt" in text
    assert len(page.images) == 1
    # the same two sessions without notes: a trend of three panels, not four
    plain = tmp_path / "plain.sqlite3"
    copies = [
        dated_copy(SIMULATED / "squat_thigh_left.csv", tmp_path / "p1.csv", "2025-03-03T17:00:00+00:00"),
        dated_copy(SIMULATED / "squat_thigh_left_cut.csv", tmp_path / "p2.csv", "2025-03-10T17:00:00+00:00"),
    ]
    assert run(capsys, "import", *map(str, copies), "--library", str(plain))[0] == 0
    assert run(capsys, "report", "-o", str(tmp_path / "plain.html"), "--library", str(plain))[0] == 0
    plain_page = Page((tmp_path / "plain.html").read_text(encoding="utf-8"))
    assert _svg_height(page.images[0]) > _svg_height(plain_page.images[0])
    assert "Effort (RPE)" not in (tmp_path / "plain.html").read_text(encoding="utf-8")
    # the session's own report shows the note in its sets table
    assert run(capsys, "report", "2", "-o", str(tmp_path / "s2.html"), "--library", str(path))[0] == 0
    session_text = (tmp_path / "s2.html").read_text(encoding="utf-8")
    assert "<th class=\"num\">Effort (RPE)</th>" in session_text and "4 (left knee)" in session_text


def test_report_names_what_the_sensor_cannot_do(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # an accelerometer-only thigh: drift cannot be seen, said before the numbers
    out = tmp_path / "bridge.html"
    bridge = SIMULATED / "bridge_thigh_left.csv"
    assert run(capsys, "report", str(bridge), "-o", str(out), "--library", str(tmp_path / "none.sqlite3"))[0] == 0
    text = out.read_text(encoding="utf-8")
    assert "What this sensor cannot do here" in text
    assert "Without a gyroscope the thigh's turn inward is not seen" in html.unescape(text)
    assert text.index("What this sensor cannot do here") < text.index("<h2>Sets</h2>")
    # a sensor that can do everything here gets no such box
    squat = tmp_path / "squat.html"
    assert run(capsys, "report", str(SIMULATED / "squat_thigh_left.csv"), "-o", str(squat), "--library", str(tmp_path / "none.sqlite3"))[0] == 0
    assert "What this sensor cannot do here" not in squat.read_text(encoding="utf-8")


def test_a_left_right_report_plots_both_legs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Angle over time and the per-rep bars of a left + right session draw each leg (issue 14): the
    left leg's trace and bars in blue, the right leg's in orange, one bar per rep of each leg with
    the range `analyze` gives that rep."""
    from dataclasses import replace

    from sensortrack.core.sessionfile import write_session
    from sensortrack.library.plots import SIDE_STYLE
    from sensortrack.pair_analysis import analyze_pair
    from sensortrack.simulation.pair import simulate_sides_pair
    from sensortrack.simulation.spec import Distractor, SessionSpec, SetSpec

    spec = SessionSpec(exercise="squat", placement="thigh", side="left", rate_hz=100.0,
                       sets=(SetSpec(n_reps=8),), lead_in=(Distractor("stand", 3.0),), lead_out=(Distractor("stand", 2.0),))
    left, right, _ = simulate_sides_pair(spec, 32, one_sided="range", affected_side="right")
    session = replace(left, companions=(right,))
    path = tmp_path / "sides.csv"
    write_session(path, session)
    out = tmp_path / "sides.html"
    assert run(capsys, "report", str(path), "-o", str(out), "--library", str(tmp_path / "none.sqlite3"))[0] == 0
    text = out.read_text(encoding="utf-8")
    assert "Squat — left and right legs" in text and "<td>Leg</td><td>left and right</td>" in text
    page = Page(text)
    angle, bars = (svg.decode("utf-8") for svg in page.images[:2])
    blue, orange = SIDE_STYLE["left"][0], SIDE_STYLE["right"][0]
    # one trace per leg, each named in the legend
    for colour in (blue, orange):
        assert re.search(rf'<polyline[^>]*stroke="{colour}"', angle), colour
    assert ">left thigh angle<" in angle and ">right thigh angle<" in angle
    # one range bar per rep of each leg (the range panel is drawn first), as tall as the range the
    # batch pair analysis gives that rep, on one scale for both legs
    result = analyze_pair(session, right).result
    per_degree = []
    for side, colour in (("left", blue), ("right", orange)):
        reps = getattr(result, side).reps
        assert len(reps) == 8
        heights = [float(h) for h in re.findall(rf'<rect [^>]*height="([0-9.]+)" fill="{colour}" fill-opacity="1"/>', bars)]
        per_degree += [h / rep.range_deg for h, rep in zip(heights[:8], reps, strict=True)]
    assert max(per_degree) - min(per_degree) < 0.2 / 40  # pixels rounded to 0.1 on bars ≥ 40 px tall
    assert ">left leg<" in bars and ">right leg<" in bars
