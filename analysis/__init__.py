"""Pure analysis: orientation, filtering, reps, knee drift, warnings. No bleak, textual, files or clocks."""
