"""The embedded stores compared with rag-api's: each is fed the same chunks and finds a stored
chunk by its own vector and by its own text, so the comparison's figures mean the same thing
for every candidate."""

from __future__ import annotations

import shutil
from pathlib import Path

from bench import fill
from bench.alternatives import Chroma, LanceDB, RagApi, _Known, read_chunks
from src.embedding import OnnxEmbedder
from src.store.sqlite.connection import store_file
from src.text.terms import titled_text


def test_search_finds_a_stored_chunk_by_its_own_vector_and_text(
    model_dir: Path, tmp_path: Path
) -> None:
    storage = tmp_path / "store"
    stored = fill.fill(storage, model_dir, 120, embedded=120)
    model = OnnxEmbedder.load(model_dir, batch_size=32)
    chunks = read_chunks(store_file(storage), model.dimension)
    assert len(chunks.ids) == len(chunks.texts) == len(chunks.vectors) == stored
    target = len(chunks.ids) // 2
    text, vector = chunks.texts[target], chunks.vectors[target]
    title, _, body = text.partition("\n")
    assert text == titled_text(title, body) and title
    for candidate in (RagApi(storage, _Known(model, {text: vector})), LanceDB(), Chroma()):
        folder = tmp_path / candidate.name
        candidate.build(folder, chunks)
        candidate.open(folder)
        try:
            for mode in candidate.modes:
                found = candidate.search(mode, text, vector)
                assert found[0] == chunks.ids[target], (candidate.name, mode, found)
        finally:
            candidate.close()


def test_chroma_builds_again_where_a_removed_store_was(model_dir: Path, tmp_path: Path) -> None:
    storage = tmp_path / "store"
    fill.fill(storage, model_dir, 20, embedded=20)
    chunks = read_chunks(store_file(storage), 384)
    folder = tmp_path / "chroma"
    for _ in range(2):  # as bench serving does from one size to the next
        chroma = Chroma()
        chroma.build(folder, chunks)
        chroma.open(folder)
        assert chroma.search("dense", "", chunks.vectors[3])[0] == chunks.ids[3]
        chroma.close()
        shutil.rmtree(folder)
