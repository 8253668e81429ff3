"""Bundled data: the demo recording and (plans/) the built-in training plans."""
