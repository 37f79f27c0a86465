"""Names and defaults shared by the commands; each can be overridden by a flag."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IMAGE = "rag-api-rag-api"  # what `docker compose build` names it (project rag-api, service rag-api)
CONTAINER = "rag-api"
PORT = 8000
DATA_DIR = Path("rag_local_storage")
CONTAINER_DATA = "/app/rag_local_storage"
KEEP_VERSIONS = 5
# Room for the uv cache mount (~6 GB with torch's wheels for the model stage) and the layers
# of the kept versions; the heavy group (torch in the image) needs a larger budget.
BUILD_CACHE_BUDGET = "10GB"
MIN_FREE_GB = 5.0
READY_TIMEOUT_S = 180.0
CA_BUNDLE_ENV = "RAG_CA_BUNDLE"
VERSION_LABEL = "org.opencontainers.image.version"
REVISION_LABEL = "org.opencontainers.image.revision"
BASE_IMAGE = "python:3.11-slim-bookworm"
ECR_REPOSITORY = "rag-api"
ECR_KEEP = 15  # version tags the repository's lifecycle policy keeps
HISTORY_KEEP = 5  # deployed versions each target remembers for rollback
DEPLOY_VOLUME = "rag_local_storage"  # the data volume on a target with no container yet
MEMORY_LIMIT_ENV = "RAG_MEMORY_LIMIT"  # the same variable and default as compose.yaml's


def memory_limit() -> str:
    return os.environ.get(MEMORY_LIMIT_ENV) or "4g"
