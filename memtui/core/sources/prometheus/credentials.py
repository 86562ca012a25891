"""Credentials for a Prometheus server: from the environment or a file, never argv,
where every user of the machine can read them in the process list."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

TOKEN_VARIABLE = "MEMTUI_PROMETHEUS_TOKEN"
USER_VARIABLE = "MEMTUI_PROMETHEUS_USER"
PASSWORD_VARIABLE = "MEMTUI_PROMETHEUS_PASSWORD"


class CredentialsError(ValueError):
    """A one-line reason the credentials cannot be used."""


@dataclass(frozen=True, slots=True)
class Credentials:
    token: str | None = None
    user: str | None = None
    password: str | None = None

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def basic(self) -> tuple[str, str] | None:
        return (self.user, self.password or "") if self.user is not None else None


def load_credentials(
    auth_file: str | None = None, environ: Mapping[str, str] | None = None
) -> Credentials:
    """A bearer token (MEMTUI_PROMETHEUS_TOKEN), or basic auth (MEMTUI_PROMETHEUS_USER
    and MEMTUI_PROMETHEUS_PASSWORD). ``auth_file`` holds the token, or with
    MEMTUI_PROMETHEUS_USER set that user's password, as Prometheus's own
    ``credentials_file`` and ``password_file`` do."""
    env = os.environ if environ is None else environ
    user = env.get(USER_VARIABLE) or None
    secret: str | None = None
    if auth_file is not None:
        try:
            with open(auth_file, encoding="utf-8") as stream:
                secret = stream.read().strip()
        except OSError as error:
            raise CredentialsError(
                f"cannot read --prometheus-auth-file {auth_file}: {error.strerror or error}"
            ) from None
        except UnicodeDecodeError:
            raise CredentialsError(f"--prometheus-auth-file {auth_file}: not text") from None
        if not secret or "\n" in secret:
            raise CredentialsError(f"--prometheus-auth-file {auth_file}: give one line")
    if user is not None:
        return Credentials(user=user, password=secret or env.get(PASSWORD_VARIABLE, ""))
    token = secret or env.get(TOKEN_VARIABLE) or None
    return Credentials(token=token)
