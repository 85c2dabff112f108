"""Configuration: typed keys in one TOML file, environment overrides, XDG paths."""
