"""The rules: a rule file (TOML) read by a small engine; no handling rule lives in code."""
