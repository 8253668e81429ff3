"""Keep freed memory for reuse in commands that analyse many samples (glibc only).

glibc's malloc hands big blocks (past a threshold that starts at 128 KiB) straight from and back to
the kernel, and trims the heap's free top: each NumPy temporary of a long recording then lands on
memory never touched before, and the first touch of a page costs a page fault (slow on the VMs
this runs on). Measured (issue 12): a 10-minute session re-analysed in a forked helper took ~6000
page faults each time, ~200 with the settings below, and ~15 % less CPU; the analysis of 1 h at
100 Hz 7000 -> 200 faults. The thresholds are glibc's documented tunables (mallopt(3)): the largest
allowed mmap threshold, and a trim threshold that keeps what a command has freed until it exits.
Commands that run for long (`live`) do not call this.
"""

from __future__ import annotations

import os

# mallopt(3) parameter numbers (glibc's malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
# DEFAULT_MMAP_THRESHOLD_MAX on 64-bit glibc (32 MiB): blocks below it come from the heap and are reused
MMAP_THRESHOLD_BYTES = 32 * 1024 * 1024
# Freed heap kept for reuse, up to this much, instead of being given back and touched afresh
TRIM_THRESHOLD_BYTES = 512 * 1024 * 1024

_done = False


def keep_freed_memory() -> bool:
    """Tune glibc's malloc as above (once per process; a forked helper inherits it). False where
    the C library is not glibc, or refused: nothing changes then."""
    global _done
    if _done:
        return True
    try:
        if not os.confstr("CS_GNU_LIBC_VERSION"):
            return False
    except (ValueError, OSError, AttributeError):  # not glibc (macOS, musl, Windows)
        return False
    import ctypes

    try:
        libc = ctypes.CDLL(None)
        ok = bool(libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) == 1)
        ok = bool(libc.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES) == 1) and ok
    except (OSError, AttributeError):
        return False
    _done = ok
    return ok


# Inputs from this size on (~15 000 samples) make temporaries big enough to be worth it; below it
# the ~7 ms of importing ctypes would be a cost with nothing to gain.
BIG_INPUT_BYTES = 1_000_000


def keep_freed_memory_for(path: str | os.PathLike[str]) -> bool:
    """`keep_freed_memory()` when `path` is a file of BIG_INPUT_BYTES or more (else nothing)."""
    try:
        size = os.stat(path).st_size
    except (OSError, ValueError, TypeError):
        return False
    return size >= BIG_INPUT_BYTES and keep_freed_memory()
