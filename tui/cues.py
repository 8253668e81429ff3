"""Sounds for someone who is not looking at the screen: a counted rep, knee drift, set end, rest end.

Each cue has its own terminal-bell pattern (the only sound every terminal has); where a speech
engine is installed (espeak-ng, espeak, or macOS `say`; looked up, never required) the cue is also
spoken: the count, "knee", "set done", "go". Modes: "auto" (speech when found, else bell), "bell",
"off". Speech runs as a child process and is never waited for; a new phrase stops the previous one
so counts do not queue up behind a slow engine.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from typing import Literal

SoundMode = Literal["auto", "bell", "off"]
SOUND_MODES: tuple[SoundMode, ...] = ("auto", "bell", "off")
CueKind = Literal["rep", "drift", "set_end", "rest_end"]

# Bells per cue, rung BELL_GAP_S apart: distinct by count alone, since every bell sounds the same.
BELL_PATTERNS: dict[CueKind, int] = {"rep": 1, "set_end": 2, "rest_end": 2, "drift": 3}
BELL_GAP_S = 0.18
SPEECH_ENGINES: tuple[tuple[str, ...], ...] = (("espeak-ng", "-s", "175"), ("espeak", "-s", "175"), ("say",))


def find_speech_engine() -> tuple[str, ...] | None:
    for engine in SPEECH_ENGINES:
        path = shutil.which(engine[0])
        if path:
            return (path, *engine[1:])
    return None


class Cues:
    """Plays cues through `ring` (the app's bell, scheduled) and the speech engine, if any."""

    def __init__(
        self,
        mode: SoundMode,
        ring: Callable[[int, float], None],
        *,
        speech: tuple[str, ...] | None = None,
    ) -> None:
        self.mode: SoundMode = mode
        self._ring = ring
        self.speech = speech
        self._speaking: subprocess.Popen[bytes] | None = None
        self.played: list[tuple[CueKind, str]] = []  # what was cued, for the tests and the record

    @property
    def speaks(self) -> bool:
        return self.mode == "auto" and self.speech is not None

    def describe(self) -> str:
        if self.mode == "off":
            return "sound off"
        return "sound: speech" if self.speaks else "sound: bell"

    def cycle(self) -> SoundMode:
        self.mode = SOUND_MODES[(SOUND_MODES.index(self.mode) + 1) % len(SOUND_MODES)]
        return self.mode

    def cue(self, kind: CueKind, words: str) -> None:
        if self.mode == "off":
            return
        self.played.append((kind, words))
        if self.speaks:
            self._say(words)
        else:
            self._ring(BELL_PATTERNS[kind], BELL_GAP_S)

    def _say(self, words: str) -> None:
        assert self.speech is not None
        self.stop()
        try:
            self._speaking = subprocess.Popen(
                [*self.speech, words], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
        except OSError:  # the engine went away or cannot run: fall back to the bell for good
            self.speech = None
            self._speaking = None

    def stop(self) -> None:
        if self._speaking is not None:
            if self._speaking.poll() is None:
                self._speaking.terminate()
            try:
                self._speaking.wait(timeout=1.0)
            except subprocess.TimeoutExpired:
                self._speaking.kill()
                self._speaking.wait()
            self._speaking = None
