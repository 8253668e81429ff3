"""The note after a set: how hard it felt (RPE 1–10) and any pain (0–10, and where).

A bar under the rep table, not a dialog: it opens when a set ends, takes the keyboard until Enter
saves it or Esc skips it, and never stops the counting (the sensor worker does not wait for it; the
next set is counted while it is open). A new set's end replaces a note left untouched; one being
typed is finished first, and the newer set's question follows.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Input, Label

from sensortrack.core.session_events import MAX_WHERE_CHARS, PAIN_RANGE, RPE_RANGE, SetNote, clean_where

# What each field accepts, checked on every key (Textual's Input `restrict`): a partial entry must
# match too, so "1" (on the way to "10") is accepted.
RPE_PATTERN = r"(10|[1-9])?"
PAIN_PATTERN = r"(10|[0-9])?"


class NoteBar(Vertical):
    """Asks about one set; posts `NoteBar.Done` with the note (None when skipped)."""

    # Shown in the footer while the note is open: its fields take the letter keys (q, ? type text),
    # so the way out has to be in view. Priority bindings run in the app's own key handler, before
    # the next key is handed on: Textual's own Tab reaches the app by bubbling up from the field, so
    # on a busy view a digit typed right after Tab still went to the old field (and was refused).
    BINDINGS = [
        Binding("escape", "skip", "skip note", key_display="esc", priority=True),
        Binding("tab", "field(1)", "next field", show=False, priority=True),
        Binding("shift+tab", "field(-1)", "previous field", show=False, priority=True),
    ]

    class Done(Message):
        def __init__(self, set_index: int, note: SetNote | None) -> None:
            super().__init__()
            self.set_index = set_index
            self.note = note

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id)
        self.set_index: int | None = None  # the set asked about; None while closed
        self._span = (0.0, 0.0)
        self._queued: tuple[int, str, float, float] | None = None  # the next set's question, while one is typed

    def compose(self) -> ComposeResult:
        yield Label("", id="note-question")
        with Horizontal(id="note-fields"):
            yield Label("effort", classes="note-label")
            yield Input(placeholder=f"{RPE_RANGE[0]}–{RPE_RANGE[1]}", restrict=RPE_PATTERN, max_length=2, id="note-rpe")  # 1 easy … 10 max
            yield Label("pain", classes="note-label")
            yield Input(placeholder=f"{PAIN_RANGE[0]}–{PAIN_RANGE[1]}", restrict=PAIN_PATTERN, max_length=2, id="note-pain")  # 0 none … 10 worst
            yield Label("where", classes="note-label")
            yield Input(placeholder="e.g. left knee", max_length=MAX_WHERE_CHARS, id="note-where")

    @property
    def is_open(self) -> bool:
        return self.set_index is not None

    def ask(self, set_index: int, exercise: str, start_s: float, end_s: float) -> None:
        """Open (or re-open for a newer set) and take the keyboard."""
        if self.is_open and any(field.value for field in self.query(Input)):
            self._queued = (set_index, exercise, start_s, end_s)  # after the one being answered
            return
        self.set_index = set_index
        self._span = (start_s, end_s)
        self.query_one("#note-question", Label).update(
            f"Set {set_index} ({exercise.replace('_', ' ')}): effort RPE 1–10 · pain 0–10 · where?  Enter saves, Esc skips"
        )
        for field in self.query(Input):
            field.value = ""
        self.display = True
        self.screen.set_focus(self.query_one("#note-rpe", Input))

    def close(self) -> None:
        self.set_index = None
        if self._queued is not None:
            queued, self._queued = self._queued, None
            self.ask(*queued)
            return
        self.display = False
        focused = self.screen.focused
        if focused is not None and self in focused.ancestors:
            self.screen.set_focus(None)

    def note(self) -> SetNote | None:
        """What was typed (None when nothing was)."""
        rpe = self.query_one("#note-rpe", Input).value
        pain = self.query_one("#note-pain", Input).value
        where = clean_where(self.query_one("#note-where", Input).value)
        note = SetNote(self._span[0], self._span[1], int(rpe) if rpe else None, int(pain) if pain else None, where)
        return None if note.empty else note

    @on(Input.Submitted)
    def _save(self, event: Input.Submitted) -> None:
        event.stop()
        if self.set_index is not None:
            self.post_message(self.Done(self.set_index, self.note()))
            self.close()

    def action_field(self, step: int) -> None:
        fields = list(self.query(Input))
        current = self.app.focused
        at = fields.index(current) if isinstance(current, Input) and current in fields else -step
        self.screen.set_focus(fields[(at + step) % len(fields)])  # now, not at the next idle moment

    def action_skip(self) -> None:
        if self.set_index is not None:
            self.post_message(self.Done(self.set_index, None))
            self.close()


def describe_note(note: SetNote) -> str:
    """"RPE 7 · pain 2 (left knee)" — what was said, in the order it was asked."""
    parts = []
    if note.rpe is not None:
        parts.append(f"RPE {note.rpe}")
    if note.pain is not None:
        parts.append(f"pain {note.pain}" + (f" ({note.pain_where})" if note.pain_where else ""))
    elif note.pain_where:
        parts.append(f"pain at {note.pain_where}")
    return " · ".join(parts)
