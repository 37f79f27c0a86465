"""What an env file handed to a deploy holds: raw secrets that could be references instead.

The service reads any setting written as `ssm:/path` or `secretsmanager:name[#key]` from AWS
at start-up (src/secret_refs.py), so an env file on a server need hold no secret at all."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

REFERENCE_PREFIXES = ("ssm:", "secretsmanager:")  # src.secret_refs.PREFIXES (a test ties them)
SECRET_NAME = re.compile(r"(?:^|_)(?:API_KEYS?|PASSWORD|SECRET|SECRET_ACCESS_KEY|TOKEN)$")
DATABASE_URLS = ("RAG_DATABASE_URL",)


def read(path: Path) -> dict[str, str]:
    """`NAME=value` lines as `docker run --env-file` reads them (comments and blanks skipped)."""
    pairs: dict[str, str] = {}
    for line in path.read_text(errors="replace").splitlines():
        name, equals, value = line.strip().removeprefix("export ").partition("=")
        if equals and name and not name.startswith("#"):
            pairs[name.strip()] = value.strip()
    return pairs


def _is_raw_secret(name: str, value: str) -> bool:
    if not value or value.startswith(REFERENCE_PREFIXES):
        return False
    if name in DATABASE_URLS:
        return urlsplit(value).password is not None
    return bool(SECRET_NAME.search(name.upper()))


def raw_secrets(path: Path) -> list[str]:
    """The names of the variables in `path` that carry a secret as it is."""
    return [name for name, value in read(path).items() if _is_raw_secret(name, value)]


def raw_secret_warning(path: Path | None) -> str | None:
    """A warning naming them (never their values), or None."""
    names = raw_secrets(path) if path is not None and path.is_file() else []
    if not names:
        return None
    return (
        f"warning: {path} holds {', '.join(names)} as plain text on the server; each may be "
        "a reference instead (ssm:/path/name or secretsmanager:name#key), which the service "
        "reads from AWS at start-up with the server's role (README: Secrets from AWS)"
    )
