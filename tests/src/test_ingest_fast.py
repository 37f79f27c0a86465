"""Ingestion with the hashed embedder (no model): chunking with the title in front,
upload titles and labels, dedupe by content hash, and progress per chunk. Its tokens are
the runs of non-space characters, so budgets are counted in words here."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import documents
import pytest
from hashed_embedder import HashedEmbedder

from src.errors import InvalidInputError, LimitExceededError, UnsupportedTypeError
from src.ingest import TITLE_TOKENS, Ingestor, Upload, content_hash, embedded_text
from src.models import Filters
from src.parsing import extract_text
from src.store import Backend, StoreOptions, open_store

CHUNK_TOKENS = 64
BATCH = 4
MAX_CHARS = 100_000
TEXT = "\n\n".join(
    f"Paragraph {n} tells how goats graze on meadow {n} in summer." for n in range(40)
)


@pytest.fixture()
def backend(tmp_path: Path) -> Iterator[Backend]:
    opened = open_store(tmp_path, StoreOptions(64, model="hashed-bow"))
    yield opened
    opened.close()


@pytest.fixture()
def embedder() -> HashedEmbedder:
    return HashedEmbedder()


@pytest.fixture()
def ingestor(backend: Backend, embedder: HashedEmbedder) -> Ingestor:
    return Ingestor(backend.store, embedder, CHUNK_TOKENS, 8, BATCH, extract_text, MAX_CHARS)


def _tokens(embedder: HashedEmbedder, text: str) -> int:
    return len(embedder.token_spans(text))


def test_prepare_text_chunks_fit_the_budget_with_the_title(
    ingestor: Ingestor, embedder: HashedEmbedder
) -> None:
    prepared = ingestor.prepare_text(TEXT, title="Goat farming notes")
    assert prepared.prefix == "Goat farming notes"
    assert len(prepared.chunks) > 1
    assert [chunk.position for chunk in prepared.chunks] == list(range(len(prepared.chunks)))
    for chunk in prepared.chunks:
        assert TEXT[chunk.start : chunk.end] == chunk.text
        # Two special tokens and the title's three beside each chunk.
        assert _tokens(embedder, chunk.text) + 3 + 2 <= CHUNK_TOKENS
    assert prepared.chunks[0].start == 0 and prepared.chunks[-1].end == len(TEXT)


def test_prepare_text_chunks_fill_the_budget_left_by_the_title(
    ingestor: Ingestor, embedder: HashedEmbedder
) -> None:
    words = " ".join(f"w{n}" for n in range(300))  # no better place to cut than anywhere
    prepared = ingestor.prepare_text(words, title="Goat farming notes")
    longest = max(_tokens(embedder, chunk.text) for chunk in prepared.chunks)
    assert longest == CHUNK_TOKENS - 2 - _tokens(embedder, "Goat farming notes")


def test_prepare_text_long_title_prefix_is_cut_to_title_tokens(ingestor: Ingestor) -> None:
    title = " ".join(f"word{n}" for n in range(60))  # under the 500-character cap
    prepared = ingestor.prepare_text(TEXT, title=title)
    assert prepared.source.title == title
    assert prepared.prefix.split() == title.split()[:TITLE_TOKENS]


def test_prepare_text_without_title_takes_the_first_line(ingestor: Ingestor) -> None:
    prepared = ingestor.prepare_text("# Goat care\n\nFeed them hay.")
    assert prepared.source.title == prepared.prefix == "Goat care"


def test_prepare_text_with_placeholder_title_has_no_prefix(ingestor: Ingestor) -> None:
    prepared = ingestor.prepare_text("#\nFeed them hay.")
    assert prepared.source.title == "untitled"
    assert prepared.prefix == ""


def test_prepare_text_records_hash_and_metadata(ingestor: Ingestor) -> None:
    prepared = ingestor.prepare_text("Feed them hay.", "Care", {"farm": "north", "year": 2024})
    source = prepared.source
    assert source.content_hash == content_hash("Feed them hay.")
    assert (source.media_type, source.metadata) == ("text/plain", {"farm": "north", "year": 2024})


def test_prepare_text_empty_text_is_invalid(ingestor: Ingestor) -> None:
    with pytest.raises(InvalidInputError, match="empty"):
        ingestor.prepare_text(" \n\t ")


def test_prepare_text_over_max_chars_is_over_the_limit(ingestor: Ingestor) -> None:
    with pytest.raises(LimitExceededError):
        ingestor.prepare_text("x" * (MAX_CHARS + 1))


def test_prepare_upload_takes_the_markdown_heading_as_title(ingestor: Ingestor) -> None:
    upload = Upload(b"# Crane manual\n\n" + TEXT.encode(), "docs/manual.md")
    prepared = ingestor.prepare_upload(upload)[0]
    source = prepared.source
    assert (source.title, source.source_name, source.media_type) == (
        "Crane manual",
        "manual.md",
        "text/markdown",
    )
    assert prepared.prefix == "Crane manual" and len(prepared.chunks) > 1


def test_prepare_upload_given_title_wins_over_the_file(ingestor: Ingestor) -> None:
    upload = Upload(b"# Crane manual\n\nLift with care.", "manual.md")
    assert ingestor.prepare_upload(upload, title="Handbook")[0].source.title == "Handbook"


def test_prepare_upload_strips_directories_and_bidi_controls_from_names(
    ingestor: Ingestor,
) -> None:
    upload = Upload(b"Lift with care.", "..\\uploads/invoice\u202etxt.exe.txt")
    source = ingestor.prepare_upload(upload)[0].source
    assert source.source_name == "invoicetxt.exe.txt"
    assert source.title == "invoicetxt.exe.txt"  # a .txt file has no title of its own


def test_prepare_upload_bad_file_error_names_the_file(ingestor: Ingestor) -> None:
    with pytest.raises(InvalidInputError, match=r"^notes\.txt: "):
        ingestor.prepare_upload(Upload(b"", "notes.txt"))


def test_ingest_embeds_every_chunk_with_the_title_in_front(
    ingestor: Ingestor, embedder: HashedEmbedder, backend: Backend
) -> None:
    prepared = ingestor.prepare_text(TEXT, title="Goat farming notes")
    result = ingestor.ingest(prepared)
    assert not result.duplicate and result.document.chunk_count == len(prepared.chunks)
    embedded = [text for texts, _ in embedder.calls for text in texts]
    assert embedded == [embedded_text("Goat farming notes", c.text) for c in prepared.chunks]
    assert all(len(texts) <= BATCH and not query for texts, query in embedder.calls)
    assert backend.store.counts() == (1, len(prepared.chunks))


def test_ingest_progress_counts_every_chunk(ingestor: Ingestor) -> None:
    prepared = ingestor.prepare_text(TEXT, title="Goats")
    reported: list[int] = []
    ingestor.ingest(prepared, reported.append)
    assert sum(reported) == len(prepared.chunks)
    assert len(reported) == math.ceil(len(prepared.chunks) / BATCH)


def test_ingest_same_content_is_a_duplicate_without_embedding(
    ingestor: Ingestor, embedder: HashedEmbedder, backend: Backend
) -> None:
    first = ingestor.ingest(ingestor.prepare_text(TEXT, title="One"))
    embedded = embedder.embedded_texts
    again = ingestor.prepare_text(TEXT, title="Another title")
    reported: list[int] = []
    second = ingestor.ingest(again, reported.append)
    assert second.duplicate and second.document == first.document
    assert embedder.embedded_texts == embedded
    assert reported == [len(again.chunks)]  # a job's progress still reaches its total
    assert backend.store.counts() == (1, len(again.chunks))


def test_ingest_stored_chunks_are_searchable_by_title(ingestor: Ingestor, backend: Backend) -> None:
    result = ingestor.ingest(ingestor.prepare_text("Feed them hay.", title="Zanzibar"))
    found = backend.store.hydrate(backend.store.keyword_search("zanzibar", 3, Filters()))
    assert [hit.document_id for hit in found] == [result.document.id]
    assert found[0].text == "Feed them hay."


def test_prepare_upload_of_a_mail_links_each_attachment_to_it(ingestor: Ingestor) -> None:
    report = documents.pdf_pages(["Ferry tickets rose by ten percent."])
    mail = documents.mail("Costs", "See the report.", [("costs.pdf", report)])
    message, attached = ingestor.prepare_upload(Upload(mail, "costs.eml"), metadata={"k": 1})
    assert attached.source.source_name == "costs.pdf"
    assert attached.source.metadata == {"k": 1, "mail_hash": message.source.content_hash}
    assert attached.chunks[0].place == {"page": 1}


def test_prepare_upload_of_a_mail_with_a_bad_attachment_names_both(ingestor: Ingestor) -> None:
    mail = documents.mail("Costs", "See the report.", [("costs.pdf", b"PK\x03\x04 a zip")])
    with pytest.raises(
        UnsupportedTypeError, match=r"^costs\.eml: costs\.pdf: the file is declared"
    ):
        ingestor.prepare_upload(Upload(mail, "costs.eml"))
