"""Settings given as `ssm:` and `secretsmanager:` references, read from a real AWS API (moto's
server): resolved once at start-up, never shown, and a clear refusal to start when one
cannot be read."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import ROOT, Service, free_port

from rig.s3 import MotoS3, start_s3
from src.config import Settings
from src.errors import ConfigurationError
from src.secret_refs import Reference, Resolver

LLM_KEY = "sk-llm-from-ssm-8c1f"
DB_PASSWORD = "pg-password-from-secrets-manager-41aa"
PLAIN = "sk-rerank-plain-secret-77d0"
SECRETS = (LLM_KEY, DB_PASSWORD, PLAIN)


@pytest.fixture(scope="module")
def aws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoS3]:
    server = start_s3(tmp_path_factory.mktemp("moto") / "moto.log")
    ssm, secrets = server.client("ssm"), server.client("secretsmanager")
    ssm.put_parameter(Name="/rag/llm-key", Value=LLM_KEY, Type="SecureString")
    ssm.put_parameter(Name="/rag/model", Value="gpt-4o-mini", Type="String")
    document = {"username": "rag", "password": DB_PASSWORD, "port": 5432}
    secrets.create_secret(Name="prod/rag-db", SecretString=json.dumps(document))
    secrets.create_secret(Name="prod/rerank", SecretString=PLAIN)
    yield server
    server.stop()


@pytest.fixture()
def aws_env(aws: MotoS3, monkeypatch: pytest.MonkeyPatch) -> MotoS3:
    for name, value in aws.aws_env().items():
        monkeypatch.setenv(name, value)
    return aws


def test_references_resolve_to_what_they_name(
    aws_env: MotoS3, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LLM_API_KEY", "ssm:/rag/llm-key")
    monkeypatch.setenv("LLM_MODEL", "ssm:/rag/model")
    monkeypatch.setenv("RAG_RERANK_API_KEY", "secretsmanager:prod/rerank")
    monkeypatch.setenv("RAG_EMBEDDING_API_KEY", "secretsmanager:prod/rag-db#password")
    monkeypatch.setenv("RAG_PORT", "secretsmanager:prod/rag-db#port")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.llm_api_key.get_secret_value() == LLM_KEY
    assert settings.llm_model == "gpt-4o-mini"
    assert settings.rerank_api_key.get_secret_value() == PLAIN
    assert settings.embedding_api_key.get_secret_value() == DB_PASSWORD
    assert settings.port == 5432
    assert not any(secret in repr(settings) for secret in SECRETS)


def test_references_in_an_env_file_resolve_too(aws_env: MotoS3, tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("LLM_API_KEY=ssm:/rag/llm-key\n")
    settings = Settings(_env_file=env_file)  # type: ignore[call-arg]
    assert settings.llm_api_key.get_secret_value() == LLM_KEY


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("ssm:/rag/absent", "ParameterNotFound"),
        ("secretsmanager:prod/absent", "ResourceNotFoundException"),
        ("secretsmanager:prod/rag-db#absent", "the secret has no key 'absent'"),
        ("secretsmanager:prod/rerank#password", "the secret is not a JSON object"),
        ("ssm:", "the reference names nothing"),
    ],
)
def test_unreadable_reference_names_setting_and_reference_never_a_value(
    aws_env: MotoS3, monkeypatch: pytest.MonkeyPatch, value: str, why: str
) -> None:
    monkeypatch.setenv("LLM_API_KEY", value)
    with pytest.raises(ConfigurationError) as raised:
        Settings(_env_file=None)  # type: ignore[call-arg]
    message = raised.value.message
    assert message.startswith(f"LLM_API_KEY: cannot read {value}") and why in message
    assert not any(secret in message + raised.value.hint for secret in SECRETS)


def test_unreachable_aws_is_a_start_up_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("RAG_DATABASE_URL", "secretsmanager:prod/db")
    with pytest.raises(ConfigurationError, match=r"RAG_DATABASE_URL: cannot read .*connect"):
        Settings(_env_file=None)  # type: ignore[call-arg]


def test_secret_named_by_several_settings_is_read_once() -> None:
    asked: list[Reference] = []

    def fetch(reference: Reference) -> str:
        asked.append(reference)
        return json.dumps({"a": "1", "b": "2"})

    resolver = Resolver(fetch)
    values = {"A": "secretsmanager:s#a", "B": "secretsmanager:s#b", "C": "plain"}
    assert resolver.resolve_all(values) == {"A": "1", "B": "2", "C": "plain"}
    assert [str(r) for r in asked] == ["secretsmanager:s#a"]


def _service_env(aws: MotoS3, storage: Path, **settings: str) -> dict[str, str]:
    return {
        **os.environ,
        **aws.aws_env(),
        "RAG_HOST": "127.0.0.1",
        "RAG_PORT": str(free_port()),
        "RAG_STORAGE_DIR": str(storage),
        "RAG_LOG_LEVEL": "debug",
        **settings,
    }


def test_service_with_unreadable_reference_refuses_to_start(aws: MotoS3, tmp_path: Path) -> None:
    env = _service_env(aws, tmp_path, LLM_API_KEY="ssm:/rag/absent")
    ran = subprocess.run(
        [sys.executable, str(ROOT / "main.py")], env=env, capture_output=True, text=True, timeout=60
    )
    assert ran.returncode == 1
    assert "refusing to start: LLM_API_KEY: cannot read ssm:/rag/absent" in ran.stderr


def test_service_started_with_references_never_logs_them(
    aws: MotoS3, services: Callable[..., Service]
) -> None:
    env = aws.aws_env()
    service = services(
        **env,
        LLM_BASE_URL="http://127.0.0.1:9/v1",
        LLM_MODEL="ssm:/rag/model",
        LLM_API_KEY="ssm:/rag/llm-key",
        RAG_API_KEYS="secretsmanager:prod/rerank",
        RAG_LOG_LEVEL="debug",
    )
    with service.client(Authorization=f"Bearer {PLAIN}") as http:
        assert http.get("/v1/documents").status_code == 200
        assert http.get("/v1/models").json()["data"]
    with service.client(Authorization="Bearer secretsmanager:prod/rerank") as http:
        assert http.get("/v1/documents").status_code == 401
    assert not any(secret in service.log() for secret in SECRETS)
