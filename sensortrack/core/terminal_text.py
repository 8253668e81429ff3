"""Text from files and devices, made safe to print on a terminal.

Notes, sensor names and file contents are the user's (or anyone's) data: printed raw, an escape
sequence in them can clear the screen or retitle the window, and `\\r\\n` can forge output lines.
Control characters (C0, DEL, C1) are shown as `\\xNN` instead; everything printable, including
non-ASCII letters, is left alone.
"""

from __future__ import annotations

_CONTROL = {c: f"\\x{c:02x}" for c in (*range(0x20), *range(0x7F, 0xA0))}


def printable(text: object) -> str:
    """`text` as a string with every control character escaped."""
    return str(text).translate(_CONTROL)


def printable_lines(text: str) -> str:
    """Multi-line `text` with the control characters of each line escaped, the line breaks kept."""
    return "\n".join(printable(line) for line in text.split("\n"))
