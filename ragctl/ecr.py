"""AWS ECR through boto3: the repository (created with safe settings) and registry logins.

boto3's standard settings apply: credentials, AWS_REGION, and AWS_ENDPOINT_URL(_ECR).
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from ragctl import state
from ragctl.docker import Docker
from ragctl.errors import RagctlError
from ragctl.output import progress
from ragctl.registry import Registry

# Log in again when the stored token has less than this left of its 12 hours.
LOGIN_MARGIN_S = 3600.0


@dataclass(frozen=True)
class Repository:
    name: str
    uri: str
    registry_id: str
    created: bool
    tag_mutability: str
    scan_on_push: bool

    @property
    def registry(self) -> str:
        return self.uri.split("/", 1)[0]


@dataclass(frozen=True)
class Credentials:
    registry: str
    user: str
    password: str
    expires_at: float

    def api(self) -> Registry:
        return Registry(self.registry, self.user, self.password)


def lifecycle_policy(keep: int) -> str:
    """Untagged images go after a day; only the newest `keep` version tags stay."""
    rules = [
        {
            "rulePriority": 1,
            "description": "expire untagged images after 1 day",
            "selection": {
                "tagStatus": "untagged",
                "countType": "sinceImagePushed",
                "countUnit": "days",
                "countNumber": 1,
            },
            "action": {"type": "expire"},
        },
        {
            "rulePriority": 2,
            "description": f"keep the last {keep} version tags",
            "selection": {
                "tagStatus": "tagged",
                "tagPatternList": ["*"],
                "countType": "imageCountMoreThan",
                "countNumber": keep,
            },
            "action": {"type": "expire"},
        },
    ]
    return json.dumps({"rules": rules})


@contextmanager
def aws_errors(action: str) -> Iterator[None]:
    """boto3's exceptions as one clear RagctlError each."""
    from botocore import exceptions

    try:
        yield
    except exceptions.NoCredentialsError as exc:
        raise RagctlError(
            f"{action}: no AWS credentials found",
            hint="set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
        ) from exc
    except exceptions.NoRegionError as exc:
        raise RagctlError(
            f"{action}: no AWS region", hint="pass --region or set AWS_REGION"
        ) from exc
    except exceptions.EndpointConnectionError as exc:
        raise RagctlError(f"{action}: cannot reach {exc.kwargs.get('endpoint_url')}") from exc
    except exceptions.ClientError as exc:
        error = exc.response.get("Error", {})
        raise RagctlError(
            f"{action}: {error.get('Code', 'error')}: {error.get('Message', exc)}",
            hint="check the IAM permissions listed in the README's 'Deploy to ECR' section",
        ) from exc


def client(region: str | None) -> Any:
    try:
        import boto3
    except ImportError as exc:
        raise RagctlError(
            "boto3 is not installed", hint="run ragctl through ./scripts/ragctl (uv sync)"
        ) from exc
    with aws_errors("creating the ECR client"):
        return boto3.client("ecr", region_name=region)


def _repository(data: dict[str, Any], created: bool) -> Repository:
    return Repository(
        name=data["repositoryName"],
        uri=data["repositoryUri"],
        registry_id=data["registryId"],
        created=created,
        tag_mutability=data.get("imageTagMutability", "MUTABLE"),
        scan_on_push=bool(data.get("imageScanningConfiguration", {}).get("scanOnPush")),
    )


def find_repository(ecr: Any, name: str) -> Repository | None:
    with aws_errors(f"looking up repository {name}"):
        try:
            found = ecr.describe_repositories(repositoryNames=[name])["repositories"]
        except ecr.exceptions.RepositoryNotFoundException:
            return None
    return _repository(found[0], created=False)


def ensure_repository(ecr: Any, name: str, keep: int) -> Repository:
    existing = find_repository(ecr, name)
    if existing is not None:
        if existing.tag_mutability != "IMMUTABLE":
            progress(f"WARNING: {name} has mutable tags; deploys still go by digest")
        return existing
    progress(f"creating ECR repository {name} (immutable tags, scan on push, keep {keep})")
    with aws_errors(f"creating repository {name}"):
        data = ecr.create_repository(
            repositoryName=name,
            imageTagMutability="IMMUTABLE",
            imageScanningConfiguration={"scanOnPush": True},
        )["repository"]
        ecr.put_lifecycle_policy(repositoryName=name, lifecyclePolicyText=lifecycle_policy(keep))
    return _repository(data, created=True)


def credentials(ecr: Any, repository: Repository) -> Credentials:
    with aws_errors("getting an ECR authorization token"):
        data = ecr.get_authorization_token(registryIds=[repository.registry_id])
    auth = data["authorizationData"][0]
    user, _, password = base64.b64decode(auth["authorizationToken"]).decode().partition(":")
    return Credentials(repository.registry, user, password, auth["expiresAt"].timestamp())


def needs_login(expires_at: float | None, now: float) -> bool:
    return expires_at is None or expires_at - now < LOGIN_MARGIN_S


def login(docker: Docker, creds: Credentials, force: bool = False) -> bool:
    """`docker login` with the password on stdin, unless the last login is still fresh.
    The login lives in the client's Docker config, whichever engine `docker` talks to."""
    logins = state.load("logins")
    if not force and not needs_login(logins.get(creds.registry), time.time()):
        return False
    progress(f"logging in to {creds.registry}")
    docker.login(creds.registry, creds.user, creds.password)
    logins[creds.registry] = creds.expires_at
    state.save("logins", logins)
    return True


def with_login_retry(docker: Docker, creds: Credentials, action: Callable[[], Any]) -> Any:
    """Run `action`; if it fails, log in again (forced) and retry once.

    Docker words a refused login differently per registry and version ("unauthorized",
    "no basic auth credentials", "denied: ..."), so the error text decides nothing: any
    failure gets one fresh login and one more try, which a real failure fails again."""
    login(docker, creds)
    try:
        return action()
    except RagctlError as exc:
        progress(f"{exc.message.splitlines()[0]}: logging in again and retrying once")
        login(docker, creds, force=True)
        return action()
