"""What the live view needs once it runs, beyond its first frame: NumPy, the analysis engine, the
sample sources and the two-sensor panels (~0.3 s of CPU to import).

`sensortrack.tui.app` binds these names into itself when a view is built (`load_engine`), so that
`replay` can put its first frame on the terminal before paying for them (docs/speed.md).
"""

from __future__ import annotations

import numpy as np

from sensortrack.analysis.knee_pair import KneeMeasured, KneeRep
from sensortrack.analysis.live_warnings import LiveWarnings, WarningDecision, WarningShown, WarningTakenBack
from sensortrack.analysis.pipeline import StreamingAnalyzer
from sensortrack.analysis.results import (
    AnalysisResult,
    DriftWarning,
    Event,
    ExerciseSet,
    Rep,
    RepCounted,
    RepWithdrawn,
    SetEnded,
    SetStarted,
)
from sensortrack.core.model import SampleBlock, Session
from sensortrack.session_analysis import combine_parts
from sensortrack.tui.pair_view import (
    KNEE,
    KneeGauge,
    LivePair,
    OtherSideRep,
    SensorsPanel,
    SymmetryPanel,
    symmetry_of,
)
from sensortrack.tui.sources import Recorder, ReplaySource, SampleSource, Seekable

__all__ = [
    "KNEE",
    "AnalysisResult",
    "DriftWarning",
    "Event",
    "ExerciseSet",
    "KneeGauge",
    "KneeMeasured",
    "KneeRep",
    "LivePair",
    "LiveWarnings",
    "OtherSideRep",
    "Recorder",
    "Rep",
    "RepCounted",
    "RepWithdrawn",
    "ReplaySource",
    "SampleBlock",
    "SampleSource",
    "Seekable",
    "SensorsPanel",
    "Session",
    "SetEnded",
    "SetStarted",
    "StreamingAnalyzer",
    "SymmetryPanel",
    "WarningDecision",
    "WarningShown",
    "WarningTakenBack",
    "combine_parts",
    "np",
    "symmetry_of",
]
