"""The settings class: the local model's folder, the rerank stage's bounds."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from src.config import Settings


def _settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_local_model_dir_is_the_named_folder_beside_the_model_dir() -> None:
    settings = _settings(model_dir=Path("/app/models/all-MiniLM-L6-v2"))
    assert settings.local_model_dir == Path("/app/models/all-MiniLM-L6-v2")
    named = _settings(model_dir=Path("/app/models/a"), local_model="all-MiniLM-L6-v2-int8")
    assert named.local_model_dir == Path("/app/models/all-MiniLM-L6-v2-int8")


@pytest.mark.parametrize("name", ["../etc", "a/b", ".hidden", "x y"])
def test_local_model_that_is_not_a_plain_name_is_refused(name: str) -> None:
    with pytest.raises(ValidationError):
        _settings(local_model=name)


def test_rerank_is_configured_by_its_base_url_and_bounded() -> None:
    assert not _settings().rerank_configured
    assert _settings(rerank_base_url="http://tei:8080").rerank_configured
    with pytest.raises(ValidationError):
        _settings(rerank_candidates=101)
