"""The session library: an embedded SQLite catalogue of every recorded or imported session.

`register_recording(library_path_or_None, session_path) -> session_id` is the recorder's entry
point. It is resolved lazily so that building the CLI parser (which imports the library's option
helpers) does not import numpy and the analysis.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sensortrack.library.ingest import register_recording

__all__ = ["register_recording"]


def __getattr__(name: str) -> Any:
    if name == "register_recording":
        from sensortrack.library.ingest import register_recording

        return register_recording
    raise AttributeError(f"module 'sensortrack.library' has no attribute {name!r}")
