"""`ragctl deploy --env-file`: a raw secret in the file is named (never shown) with the
reference that could replace it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, free_port

from ragctl.envfile import REFERENCE_PREFIXES, raw_secret_warning, raw_secrets
from src.secret_refs import PREFIXES

ENV = """# production
RAG_LOG_LEVEL=info
LLM_API_KEY=sk-live-0f3c9a
RAG_EMBEDDING_API_KEY=ssm:/rag/embedding-key
export RAG_RERANK_API_KEY=rr-live-11ab
RAG_API_KEYS=secretsmanager:prod/rag#keys
RAG_DATABASE_URL=postgresql://rag:pg-live-pass@db:5432/rag
AWS_SECRET_ACCESS_KEY=aws-live-secret
GITHUB_TOKEN=
LLM_BASE_URL=https://api.example.com/v1
"""


def test_raw_secrets_are_named_and_references_are_not(tmp_path: Path) -> None:
    env_file = tmp_path / ".env.prod"
    env_file.write_text(ENV)
    assert raw_secrets(env_file) == [
        "LLM_API_KEY",
        "RAG_RERANK_API_KEY",
        "RAG_DATABASE_URL",
        "AWS_SECRET_ACCESS_KEY",
    ]


@pytest.mark.parametrize(
    "line",
    [
        "RAG_DATABASE_URL=postgresql://rag@db:5432/rag",
        "RAG_DATABASE_URL=ssm:/rag/database-url",
        "LLM_API_KEY=",
        "LLM_MODEL=gpt-4o-mini",
        "# LLM_API_KEY=sk-commented-out",
    ],
)
def test_no_warning_without_a_raw_secret(tmp_path: Path, line: str) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(line + "\n")
    assert raw_secret_warning(env_file) is None


def test_deploy_warns_before_it_reaches_out_naming_never_showing(tmp_path: Path) -> None:
    env_file = tmp_path / ".env.prod"
    env_file.write_text(ENV)
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}",  # nothing answers there
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_MAX_ATTEMPTS": "1",
    }
    command = [sys.executable, "-m", "ragctl", "deploy", "v1", "--region", "us-east-1"]
    ran = subprocess.run(
        [*command, "--env-file", str(env_file)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ran.returncode != 0
    warning = next(line for line in ran.stderr.splitlines() if "warning:" in line)
    assert "LLM_API_KEY, RAG_RERANK_API_KEY, RAG_DATABASE_URL, AWS_SECRET_ACCESS_KEY" in warning
    assert "ssm:/path/name" in warning
    for value in ("sk-live-0f3c9a", "rr-live-11ab", "pg-live-pass", "aws-live-secret"):
        assert value not in ran.stderr + ran.stdout


def test_reference_prefixes_are_the_service_own() -> None:
    # ragctl imports nothing of the service's code, so it keeps its own copy.
    assert REFERENCE_PREFIXES == PREFIXES
