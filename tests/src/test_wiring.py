"""Which local model the service loads: the configured one, else the store's own, else the
int8 export of the bundled model; and the store's model read before the store is opened."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from src.config import Settings
from src.errors import StoreUnavailableError
from src.models import ChunkRow, SourceDocument
from src.store import StoreOptions, open_store
from src.wiring import local_model_folder, recorded_model

FP32, INT8, E5 = "all-MiniLM-L6-v2", "all-MiniLM-L6-v2-int8", "multilingual-e5-small"


def _settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def _models(root: Path, *names: str) -> Path:
    """Model folders under `root`, each with a manifest naming it; the fp32 one's path."""
    for name in names:
        (root / name).mkdir(parents=True)
        manifest = {"name": name, "dimension": 384, "max_seq_length": 256}
        (root / name / "manifest.json").write_text(json.dumps(manifest))
    return root / FP32


def test_local_model_folder_is_the_configured_one_whatever_the_store_holds(
    tmp_path: Path,
) -> None:
    settings = _settings(model_dir=_models(tmp_path, FP32, INT8, E5), local_model=E5)
    assert local_model_folder(settings, FP32) == tmp_path / E5


def test_local_model_folder_unset_keeps_the_model_the_store_holds(tmp_path: Path) -> None:
    settings = _settings(model_dir=_models(tmp_path, FP32, INT8, E5))
    assert local_model_folder(settings, FP32) == tmp_path / FP32
    assert local_model_folder(settings, E5) == tmp_path / E5


def test_local_model_folder_unset_for_a_new_store_is_the_int8_export(tmp_path: Path) -> None:
    settings = _settings(model_dir=_models(tmp_path, FP32, INT8))
    assert local_model_folder(settings, None) == tmp_path / INT8
    # A served model's store: the default, which the store's model guard then refuses.
    assert local_model_folder(settings, "text-embedding-3-small") == tmp_path / INT8


def test_local_model_folder_without_an_int8_export_is_the_model_dir(tmp_path: Path) -> None:
    settings = _settings(model_dir=_models(tmp_path, FP32))
    assert local_model_folder(settings, None) == tmp_path / FP32


def test_local_model_folder_ignores_a_folder_whose_manifest_names_another_model(
    tmp_path: Path,
) -> None:
    model_dir = _models(tmp_path, FP32, "other")
    (tmp_path / "other").rename(tmp_path / INT8)
    assert local_model_folder(_settings(model_dir=model_dir), None) == model_dir


def _store_of(location: str | Path, model: str) -> None:
    backend = open_store(location, StoreOptions(dimension=4, model=model))
    try:
        vectors = np.full((1, 4), 0.5, dtype=np.float32)
        source = SourceDocument("otters", "otters", "Otters float.", "text/plain")
        backend.store.add_document(source, [ChunkRow(0, "Otters float.", 0, 13)], vectors)
    finally:
        backend.close()


def test_recorded_model_reads_the_embedded_store(tmp_path: Path) -> None:
    settings = _settings(storage_dir=tmp_path)
    assert recorded_model(settings) is None  # no store yet
    _store_of(tmp_path, E5)
    assert recorded_model(settings) == E5
    assert recorded_model(_settings(storage_dir=tmp_path, local_model=FP32)) is None


def test_recorded_model_reads_the_database(pg_url: str) -> None:
    settings = _settings(database_url=pg_url)
    assert recorded_model(settings) is None
    _store_of(pg_url, FP32)
    assert recorded_model(settings) == FP32


def test_recorded_model_asks_whether_to_wait_for_an_unreachable_database() -> None:
    settings = _settings(database_url="postgresql://rag:rag@127.0.0.1:9/rag?connect_timeout=2")
    problems: list[StoreUnavailableError] = []

    def wait(problem: StoreUnavailableError) -> bool:
        problems.append(problem)
        return len(problems) < 2

    with pytest.raises(StoreUnavailableError):
        recorded_model(settings, wait)
    assert len(problems) == 2
