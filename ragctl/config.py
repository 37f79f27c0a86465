"""Names and defaults shared by the commands; each can be overridden by a flag."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IMAGE = "rag-api-rag-api"  # what `docker compose build` names it (project rag-api, service rag-api)
IMAGE_ENV = "RAG_IMAGE"  # the same variable as compose.yaml's image name
CONTAINER = "rag-api"  # the service's container when ragctl started it
NETWORK = "rag-api"  # where ragctl's service container and its proxy find each other
COMPOSE_PROJECT = "rag-api"  # compose.yaml's `name:`
COMPOSE_PROJECT_ENV = "COMPOSE_PROJECT_NAME"  # compose's own override of it
COMPOSE_SERVICE = "rag-api"
COMPOSE_PROXY = "proxy"  # compose.yaml's service that holds the port (docker/proxy/)
PORT = 8000
CONTAINER_PORT = 8000  # what the service, and its proxy, listen on inside their containers
DATA_DIR = Path("rag_local_storage")
CONTAINER_DATA = "/app/rag_local_storage"
# Build cache kept beyond the runtime's uv cache: the layers the next build reuses (the model,
# uv and dependency steps and the last code layers; measured ALLOWANCE_MEASURED).
BUILD_CACHE_ALLOWANCE = "1GB"
MIN_FREE_GB = 5.0
READY_TIMEOUT_S = 180.0
CA_BUNDLE_ENV = "RAG_CA_BUNDLE"
VERSION_LABEL = "org.opencontainers.image.version"
REVISION_LABEL = "org.opencontainers.image.revision"
# When the build that made an image started: the routine prune keeps every cache record that
# build used (its cache hits included), so the next build of that source reuses them all.
BUILD_STARTED_LABEL = "org.rag-api.build-started"
BASE_IMAGE = "python:3.11-slim-bookworm"
ECR_REPOSITORY = "rag-api"
ECR_KEEP = 15  # version tags the repository's lifecycle policy keeps
HISTORY_KEEP = 5  # deployed versions each target remembers for rollback
DEPLOY_VOLUME = "rag_local_storage"  # the data volume on a target with no container yet
MEMORY_LIMIT_ENV = "RAG_MEMORY_LIMIT"  # the same variable and default as compose.yaml's


def memory_limit() -> str:
    return os.environ.get(MEMORY_LIMIT_ENV) or "4g"


def image() -> str:
    return os.environ.get(IMAGE_ENV) or IMAGE


def compose_project() -> str:
    return os.environ.get(COMPOSE_PROJECT_ENV) or COMPOSE_PROJECT
