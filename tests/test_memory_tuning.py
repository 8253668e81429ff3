"""core/memory.py: with glibc's malloc told to keep freed memory, a command's repeated big NumPy
temporaries reuse pages already touched instead of faulting fresh ones in each time (issue 12)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sensortrack.core import memory


def _glibc() -> bool:
    try:
        return bool(os.confstr("CS_GNU_LIBC_VERSION"))
    except (ValueError, OSError, AttributeError):
        return False


# Three 8 MB temporaries alive together, twenty times over (as the analysis of a long recording
# makes them): the page faults they cost, in a fresh process, with or without the tuning. Untuned,
# freeing them leaves more free heap top than glibc's trim threshold, so each round maps it afresh.
_FAULTS = """
import resource, sys
import numpy as np
from sensortrack.core.memory import keep_freed_memory
tuned = sys.argv[1] == "1" and keep_freed_memory()
x = np.ones((350_000, 3))
np.sin(x), np.cos(x), np.tan(x)  # the first round's pages are touched in both cases
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    temporaries = (np.sin(x), np.cos(x), np.tan(x))
    del temporaries
print(int(tuned), resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


@pytest.mark.skipif(not _glibc(), reason="mallopt tuning is glibc's")
def test_tuned_process_reuses_freed_memory() -> None:
    def faults(tuned: str) -> tuple[int, int]:
        out = subprocess.run([sys.executable, "-P", "-c", _FAULTS, tuned], capture_output=True, text=True,
                             timeout=120, check=True)  # fmt: skip
        applied, count = out.stdout.split()
        return int(applied), int(count)

    applied, tuned = faults("1")
    _, plain = faults("0")
    assert applied == 1
    # 20 rounds x 3 x 8.4 MB: untuned ~20 000 faults here (glibc's adaptive thresholds save some);
    # tuned the first round's pages are reused
    assert plain > 10_000 and tuned < 1_000, (plain, tuned)


def test_small_inputs_and_missing_files_are_left_alone(tmp_path: Path) -> None:
    small = tmp_path / "small.csv"
    small.write_text("t,ax,ay,az\n0,0,0,1\n", encoding="utf-8")
    assert memory.keep_freed_memory_for(small) is False
    assert memory.keep_freed_memory_for(tmp_path / "absent.csv") is False
