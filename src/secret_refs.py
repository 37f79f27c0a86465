"""Settings given as references to AWS secret stores, resolved once when settings load.

Any setting may be written as `ssm:/path/name` (an SSM Parameter Store parameter, decrypted
when it is a SecureString) or `secretsmanager:name` (a Secrets Manager secret's string), with
`#key` after a Secrets Manager name to pick one key of a JSON secret
(`secretsmanager:prod/rag#password`). They are read with the AWS credential chain (the
instance or task role on EC2 and ECS, else the usual variables and files), so the secret
never sits in an env file on the host. A value is never logged; a reference that cannot be
read stops the start-up with an error naming the setting and the reference, not a value.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from src.errors import ConfigurationError

SSM = "ssm:"
SECRETS_MANAGER = "secretsmanager:"
PREFIXES = (SSM, SECRETS_MANAGER)
# Start-up waits for AWS at most this long per try (a few tries), never indefinitely.
CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 10.0
ATTEMPTS = 3


def is_reference(value: object) -> bool:
    return isinstance(value, str) and value.startswith(PREFIXES)


@dataclass(frozen=True)
class Reference:
    service: str  # "ssm" or "secretsmanager"
    name: str
    key: str = ""  # a JSON secret's key (Secrets Manager only)

    @classmethod
    def parse(cls, value: str) -> Reference:
        if value.startswith(SSM):
            return cls("ssm", value.removeprefix(SSM))
        name, _, key = value.removeprefix(SECRETS_MANAGER).partition("#")
        return cls("secretsmanager", name, key)

    def __str__(self) -> str:
        return f"{self.service}:{self.name}" + (f"#{self.key}" if self.key else "")


Fetch = Callable[[Reference], str]


class Resolver:
    """Reads each reference once (a secret named by several settings is fetched once)."""

    def __init__(self, fetch: Fetch | None = None) -> None:
        self._fetch = fetch or AwsFetcher().fetch
        self._read: dict[tuple[str, str], str] = {}

    def resolve(self, setting: str, value: str) -> str:
        reference = Reference.parse(value)
        if not reference.name:
            raise _unreadable(setting, reference, "the reference names nothing")
        raw = self._raw(setting, reference)
        return _pick(setting, reference, raw) if reference.key else raw

    def _raw(self, setting: str, reference: Reference) -> str:
        cached = (reference.service, reference.name)
        if cached not in self._read:
            try:
                self._read[cached] = self._fetch(reference)
            except ConfigurationError as exc:
                raise _unreadable(setting, reference, exc.message) from None
        return self._read[cached]

    def resolve_all(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """`values` with every reference among them replaced by what it names."""
        return {
            name: self.resolve(name, value) if is_reference(value) else value
            for name, value in values.items()
        }


def _pick(setting: str, reference: Reference, raw: str) -> str:
    try:
        document = json.loads(raw)
    except json.JSONDecodeError:
        raise _unreadable(setting, reference, "the secret is not a JSON object") from None
    if not isinstance(document, dict) or reference.key not in document:
        raise _unreadable(setting, reference, f"the secret has no key {reference.key!r}")
    value = document[reference.key]
    return value if isinstance(value, str) else json.dumps(value)


def _unreadable(setting: str, reference: Reference, why: str) -> ConfigurationError:
    return ConfigurationError(
        f"{setting}: cannot read {reference}: {why}",
        hint="check the name, the region (AWS_REGION) and that the instance or task role may "
        "read it (ssm:GetParameter, secretsmanager:GetSecretValue, kms:Decrypt)",
    )


class AwsFetcher:
    """boto3 clients, made on first use: a service without references never imports boto3."""

    def __init__(self) -> None:
        self._clients: dict[str, Any] = {}

    def _client(self, service: str) -> Any:
        if service not in self._clients:
            import boto3
            from botocore.config import Config

            config = Config(
                connect_timeout=CONNECT_TIMEOUT_S,
                read_timeout=READ_TIMEOUT_S,
                retries={"max_attempts": ATTEMPTS, "mode": "standard"},
            )
            # boto3 reads AWS_DEFAULT_REGION; ECS and most tools set AWS_REGION too.
            region = os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION")
            self._clients[service] = boto3.client(service, region_name=region, config=config)
        return self._clients[service]

    def fetch(self, reference: Reference) -> str:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return self._get(reference)
        except ClientError as exc:
            # The code and AWS's message (which names the resource or the role, no value).
            error = exc.response.get("Error", {})
            why = f"{error.get('Code', 'error')}: {error.get('Message', '')}".rstrip(": ")
            raise ConfigurationError(why) from None
        except BotoCoreError as exc:
            raise ConfigurationError(type(exc).__name__ + f": {exc}") from None

    def _get(self, reference: Reference) -> str:
        client = self._client(reference.service)
        if reference.service == "ssm":
            answer = client.get_parameter(Name=reference.name, WithDecryption=True)
            return str(answer["Parameter"]["Value"])
        answer = client.get_secret_value(SecretId=reference.name)
        if "SecretString" not in answer:
            raise ConfigurationError("the secret holds binary data, not a string")
        return str(answer["SecretString"])
