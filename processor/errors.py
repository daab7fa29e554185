"""Errors a person can act on: the CLI prints them as one line and exits 2."""


class UserError(Exception):
    """A mistake in what the user asked for or configured (bad path, bad key, unknown case)."""


class ConfigError(UserError):
    """The configuration file is wrong; the message names the file and the key."""
