"""The ground floor: the data model, errors, session files and readers, sample checks.

Everything else imports these; they import nothing above them (drivers, analysis, library,
recording, tui, commands): pyproject.toml's import-linter contracts check it."""
