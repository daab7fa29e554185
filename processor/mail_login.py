"""What IMAP and SMTP connections share: the TLS context, and the secret to log in with (a
password, or an OAuth2 access token for XOAUTH2), always from the environment or a command,
never from the config file."""

from __future__ import annotations

import base64
import shlex
import ssl
import subprocess
from dataclasses import dataclass
from pathlib import Path

from processor.config import Config, Imap, Smtp, secret
from processor.errors import ConfigError


@dataclass(frozen=True)
class Login:
    username: str
    password: str | None = None
    token: str | None = None  # OAuth2 access token: log in with XOAUTH2

    def xoauth2(self) -> str:
        """The SASL XOAUTH2 initial response, base64 (SMTP AUTH; IMAP builds its own)."""
        raw = f"user={self.username}\1auth=Bearer {self.token}\1\1"
        return base64.b64encode(raw.encode()).decode()


def tls_context(config: Config, ca_file: Path | None) -> ssl.SSLContext:
    """Certificates are always verified; a private CA is trusted by naming its file."""
    return ssl.create_default_context(cafile=str(config.path(ca_file)) if ca_file else None)


def login_for(settings: Imap | Smtp, what: str) -> Login | None:
    if not settings.username:
        return None
    if settings.oauth2_token_cmd:
        return Login(settings.username, token=_token_from_command(settings.oauth2_token_cmd, what))
    if settings.oauth2_token_env:
        return Login(settings.username, token=secret(settings.oauth2_token_env, what))
    return Login(settings.username, password=secret(settings.password_env, what) or "")


def _token_from_command(command: str, what: str) -> str:
    try:
        result = subprocess.run(
            shlex.split(command), capture_output=True, text=True, timeout=60, check=True
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise ConfigError(f"{what}: oauth2_token_cmd failed: {exc}") from None
    token = result.stdout.strip()
    if not token:
        raise ConfigError(f"{what}: oauth2_token_cmd printed no token")
    return token
