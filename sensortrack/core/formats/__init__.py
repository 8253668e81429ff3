"""Readers for recordings made with phone apps and sensor vendors' apps (docs/formats.md).

Each module reads one export format into product units; `registry` recognises a file, folder or zip
by its headers and dispatches to the right one. sensortrack.core.loading asks the registry before the
interchange CSV, so `analyze`, `import`, `replay` and the rest read these files like session files.
"""
