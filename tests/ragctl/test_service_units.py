"""What a replacement keeps of the live container, read from `docker inspect` output."""

from __future__ import annotations

from typing import Any

import pytest

from ragctl.history import repository_of
from ragctl.service import COMPOSE_IMAGE_LABEL, SERVICE_IMAGE_LABEL, _compose, _networks, _timestamp


def _container(labels: dict[str, str], networks: dict[str, Any]) -> dict[str, Any]:
    return {
        "Id": "0d141eb12e60" + "f" * 52,
        "Name": "/rag-api-rag-api-1",
        "Config": {"Image": "rag-api-rag-api:latest", "Labels": labels},
        "NetworkSettings": {"Networks": networks},
    }


def test_networks_keep_user_networks_and_aliases_but_not_the_old_id_or_name() -> None:
    container = _container(
        {},
        {
            "rag-api_default": {"Aliases": ["rag-api-rag-api-1", "rag-api", "0d141eb12e60"]},
            "bridge": {"Aliases": None},
        },
    )
    assert _networks(container) == {"rag-api_default": ["rag-api"]}


def test_compose_membership_keeps_compose_labels_and_renews_the_image_id() -> None:
    labels = {
        "com.docker.compose.project": "rag-api",
        "com.docker.compose.service": "rag-api",
        "com.docker.compose.config-hash": "abc",
        COMPOSE_IMAGE_LABEL: "sha256:old",
        "rag-api.history": "[]",
    }
    compose = _compose(_container(labels, {}), labels)
    assert compose is not None and compose.project == "rag-api"
    assert compose.image == "rag-api-rag-api:latest"  # what compose.yaml names
    renewed = compose.labels_for("sha256:new")
    assert renewed[COMPOSE_IMAGE_LABEL] == "sha256:new"
    assert renewed["com.docker.compose.config-hash"] == "abc"
    assert renewed[SERVICE_IMAGE_LABEL] == "rag-api-rag-api:latest"
    assert "rag-api.history" not in renewed


def test_compose_membership_absent_for_a_plain_container() -> None:
    assert _compose(_container({}, {}), {}) is None


@pytest.mark.parametrize(
    ("ref", "repository"),
    [
        ("rag-api-rag-api:3f2a9c1d", "rag-api-rag-api"),
        ("registry:5000/rag-api:v1", "registry:5000/rag-api"),
        ("registry:5000/rag-api", "registry:5000/rag-api"),
        (
            "1234.dkr.ecr.us-east-1.amazonaws.com/rag-api@sha256:ab",
            "1234.dkr.ecr.us-east-1.amazonaws.com/rag-api",
        ),
    ],
)
def test_repository_of_each_kind_of_reference(ref: str, repository: str) -> None:
    assert repository_of(ref) == repository


def test_timestamp_reads_dockers_nanosecond_utc_times() -> None:
    assert _timestamp("1970-01-01T00:01:00.123456789Z") == pytest.approx(60.123456)
    assert _timestamp("not a time") == 0.0
