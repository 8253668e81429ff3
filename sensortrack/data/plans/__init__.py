"""Built-in training plans (TOML); see sensortrack.core.plans."""
