"""Built-in training plans (TOML); see sensortrack.plans."""
