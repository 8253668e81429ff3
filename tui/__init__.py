"""Textual terminal UI: live set view, replay, demo."""
