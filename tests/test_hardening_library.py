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


def _open_and_close(path: str) -> str:
    try:
        Library.open(Path(path)).close()
    except Exception as exc:  # reported back to the test: any error is a failure
        return f"{type(exc).__name__}: {exc}"
    return ""


def test_creating_a_library_from_four_processes_at_once(tmp_path: Path) -> None:
    import multiprocessing

    # fork: the test module is not importable by name in a spawned worker; no connection is open here.
    with multiprocessing.get_context("fork").Pool(4) as pool:
        for round_ in range(40):
            path = str(tmp_path / f"lib{round_}.sqlite3")
            errors = [e for e in pool.map(_open_and_close, [path] * 4) if e]
            assert not errors, errors


def _read_only_folder(tmp_path: Path) -> Path:
    """A folder nobody can write: chmod for a normal user; for root (which chmod does not stop) a
    tmpfs remounted read-only, or skip where mounting is not allowed."""
    import os
    import subprocess

    folder = tmp_path / "ro"
    folder.mkdir()
    if os.geteuid() != 0:
        return folder
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=20m", "tmpfs", str(folder)], capture_output=True).returncode:
        pytest.skip("running as root without permission to mount a read-only file system")
    return folder


def _make_read_only(folder: Path) -> None:
    import os
    import subprocess

    if os.geteuid() != 0:
        for p in [folder, *folder.rglob("*")]:
            p.chmod(0o555 if p.is_dir() else 0o444)
    else:
        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)


def _undo_read_only(folder: Path) -> None:
    import os
    import subprocess

    if os.geteuid() != 0:
        for p in [folder, *folder.rglob("*")]:
            p.chmod(0o755 if p.is_dir() else 0o644)
    else:
        subprocess.run(["umount", str(folder)], check=True)


def test_a_read_only_library_folder_can_still_be_listed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _read_only_folder(tmp_path)
    try:
        library = folder / "lib.sqlite3"
        assert main(["import", str(SIMULATED / "squat_thigh_left.csv"), "--library", str(library)]) == 0
        _make_read_only(folder)
        capsys.readouterr()
        assert main(["sessions", "--library", str(library)]) == 0
        assert "squat" in capsys.readouterr().out
        assert main(["sessions", "show", "1", "--library", str(library)]) == 0
        assert main(["export", "1", "-o", str(tmp_path / "out.csv"), "--library", str(library)]) == 0
        capsys.readouterr()
        code = main(["import", str(SIMULATED / "squat_thigh_right.csv"), "--library", str(library)])
        err = capsys.readouterr().err
        assert code == 2 and err.count("\n") == 1 and "cannot be written" in err
    finally:
        _undo_read_only(folder)
