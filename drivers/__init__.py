"""BLE sensor drivers (the only code that imports bleak), replay and virtual sources."""
