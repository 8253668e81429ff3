"""A library owns its files by its own identity, and no command writes over a library."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sensortrack.cli import main
from sensortrack.library.store import Library

SIMULATED = Path(__file__).resolve().parent.parent / "fixtures" / "simulated"


@pytest.fixture
def library(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    path = tmp_path / "lib.sqlite3"
    assert main(["import", str(SIMULATED / "squat_thigh_left.csv"), "--library", str(path)]) == 0
    capsys.readouterr()
    return path


def _owned_file(library: Path) -> Path:
    with Library.open(library, create=False) as lib:
        [record] = lib.list()
    assert record.owned and record.file_path.is_file()
    return record.file_path


def test_deleting_from_a_copied_database_leaves_the_original_librarys_file(
    library: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    original_file = _owned_file(library)
    copy = tmp_path / "copy.sqlite3"
    shutil.copy(library, copy)  # the database only, not its sessions folder
    assert main(["sessions", "delete", "1", "--yes", "--library", str(copy)]) == 0
    assert original_file.is_file(), "the copy deleted the real library's session file"
    assert main(["sessions", "show", "1", "--library", str(library)]) == 0
    assert main(["export", "1", "-o", str(tmp_path / "out.csv"), "--library", str(library)]) == 0


def test_a_copied_library_with_its_folder_uses_its_own_copies(
    library: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    original_file = _owned_file(library)
    elsewhere = tmp_path / "backup"
    elsewhere.mkdir()
    shutil.copy(library, elsewhere / "lib.sqlite3")
    shutil.copytree(library.with_name("lib-sessions"), elsewhere / "lib-sessions")
    copied_file = _owned_file(elsewhere / "lib.sqlite3")
    assert copied_file.parent == (elsewhere / "lib-sessions") and copied_file != original_file
    renamed = tmp_path / "twin.sqlite3"  # same folder, other name: its folder is twin-sessions
    shutil.copy(library, renamed)
    shutil.copytree(library.with_name("lib-sessions"), tmp_path / "twin-sessions")
    assert _owned_file(renamed).parent == tmp_path / "twin-sessions"
    assert main(["sessions", "delete", "1", "--yes", "--library", str(renamed)]) == 0
    assert original_file.is_file() and not (tmp_path / "twin-sessions" / original_file.name).exists()
    # Importing the library's own copy again is that session, not a new one.
    assert main(["import", str(copied_file), "--library", str(elsewhere / "lib.sqlite3")]) == 0
    assert "already in the library: #1" in capsys.readouterr().out


@pytest.mark.parametrize("fmt", ["csv", "json", "parquet"])
def test_export_and_report_never_write_over_a_library(
    library: Path, tmp_path: Path, fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before = library.read_bytes()
    for target in (library, library.with_name("lib.sqlite3-wal"), library.with_name("lib-sessions") / f"x.{fmt}"):
        if target.name.endswith("-wal"):
            target.write_bytes(b"")
        code = main(["export", "1", "--format", fmt, "-o", str(target), "--force", "--library", str(library)])
        err = capsys.readouterr().err
        assert code == 2 and err.count("\n") == 1 and "refusing" in err, err
    assert main(["report", "1", "-o", str(library), "--force", "--library", str(library)]) == 2
    assert main(["report", "-o", str(library), "--force", "--library", str(library)]) == 2
    assert "refusing" in capsys.readouterr().err
    assert library.read_bytes()[:16] == before[:16]
    assert main(["sessions", "show", "1", "--library", str(library)]) == 0
