"""RagService put together in-process (as src/wiring.py does, but with the hashed embedder
and an embedded store in a temporary folder): storing or queueing uploads, retrieval
defaults, extractive and LLM answers, status and jobs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from conftest import FakeLLM
from hashed_embedder import HashedEmbedder
from helpers import LoopThread, poll

from src.access import CONFIGURED as ADMIN
from src.config import Settings
from src.errors import InvalidInputError, NotFoundError
from src.extractive import NO_CONTEXT_ANSWER
from src.generation import ChatModel
from src.ingest import Upload
from src.models import JobRecord, JobStatus, SearchMode
from src.parsing.pool import ParserPool
from src.service import EXTRACTIVE_MODEL, RagService
from src.store import StoreOptions, open_store
from src.text.segmentation import Segmenter
from src.wiring import parse_limits

BACKGROUND_CHARS = 2_000
JOB_TIMEOUT_S = 30
FACTS = [
    "Alpine goats graze on steep meadows in summer.",
    "The harbour crane lifts steel containers onto ships.",
    "Sourdough bread needs flour, water and a starter.",
    "Parsley grows well in pots on a sunny windowsill.",
]

MakeService = Callable[..., RagService]
T = TypeVar("T")


Loop = LoopThread


@pytest.fixture()
def run() -> Iterator[Loop]:
    loop = Loop()
    yield loop
    loop.close()


class SharedParser(ParserPool):
    """The module's one parser pool, which a service's aclose() leaves running: a worker
    imports its parsing libraries once, not once per test."""

    def close(self) -> None:
        pass

    def shut(self) -> None:
        super().close()


@pytest.fixture(scope="module")
def parser() -> Iterator[SharedParser]:
    pool = SharedParser(parse_limits(Settings(_env_file=None)), 1)  # type: ignore[call-arg]
    yield pool
    pool.shut()


@pytest.fixture()
def make_service(tmp_path: Path, run: Loop, parser: SharedParser) -> Iterator[MakeService]:
    """make_service(llm=None, **settings): a service on its own store; all closed at the end."""
    made: list[RagService] = []

    def make(llm: ChatModel | None = None, **overrides: Any) -> RagService:
        values: dict[str, Any] = {
            "storage_dir": tmp_path / f"storage-{len(made)}",
            "model_dir": Path("/nonexistent"),  # never read: the embedder is given
            "background_ingest_chars": BACKGROUND_CHARS,
            "default_top_k": 2,
            "search_threads": 2,
            "ingest_threads": 2,
            **overrides,
        }
        settings = Settings(_env_file=None, **values)  # type: ignore[call-arg]
        embedder = HashedEmbedder()
        segmenter = Segmenter()
        options = StoreOptions(embedder.dimension, model=embedder.name, segmenter=segmenter)
        backend = open_store(settings.storage_dir, options)
        service = RagService(settings, backend, embedder, llm, parser, segmenter)
        made.append(service)
        return service

    yield make
    for service in made:
        run(service.aclose())


def _embedder(service: RagService) -> HashedEmbedder:
    embedder = service._embedder
    assert isinstance(embedder, HashedEmbedder)
    return embedder


def _finished(service: RagService, job_id: str) -> JobRecord:
    def attempt() -> JobRecord | None:
        job = service.get_job(ADMIN, job_id)
        return job if job.status in (JobStatus.SUCCEEDED, JobStatus.FAILED) else None

    return poll(attempt, JOB_TIMEOUT_S, f"job {job_id} to finish")


def _store_facts(run: Loop, service: RagService) -> list[str]:
    async def store() -> list[str]:
        ids = []
        for fact in FACTS:
            ingested = await service.ingest_text(ADMIN, fact)
            ids.append(ingested.documents[0].document.id)
        return ids

    return run(store())


# -- ingestion ------------------------------------------------------------------------------


def test_ingest_text_small_text_is_stored_at_once(make_service: MakeService, run: Loop) -> None:
    service = make_service()
    ingested = run(service.ingest_text(ADMIN, "Goats graze on meadows.", title="Goats"))
    assert ingested.job is None
    [result] = ingested.documents
    assert not result.duplicate and result.document.title == "Goats"
    assert service.get_document(ADMIN, result.document.id) == result.document
    assert service.status().documents == 1


def test_ingest_text_over_background_chars_is_queued_as_a_job(
    make_service: MakeService, run: Loop
) -> None:
    service = make_service()
    text = " ".join(f"Sentence number {n} about goats and meadows." for n in range(80))
    assert len(text) > BACKGROUND_CHARS
    ingested = run(service.ingest_text(ADMIN, text, title="Long"))
    assert ingested.documents == [] and ingested.job is not None
    job = _finished(service, ingested.job.id)
    assert job.status is JobStatus.SUCCEEDED
    assert job.embedded_chunks == job.total_chunks == ingested.job.total_chunks > 1
    [stored] = job.documents
    assert service.get_document(ADMIN, stored["id"]).title == "Long"
    assert service.status().chunks == job.total_chunks


def test_ingest_text_background_true_queues_small_text(
    make_service: MakeService, run: Loop
) -> None:
    service = make_service()
    ingested = run(service.ingest_text(ADMIN, "Goats graze.", background=True))
    assert ingested.documents == [] and ingested.job is not None
    assert _finished(service, ingested.job.id).status is JobStatus.SUCCEEDED
    assert service.status().documents == 1


def test_ingest_text_background_false_stores_big_text_at_once(
    make_service: MakeService, run: Loop
) -> None:
    service = make_service()
    text = "Goats graze on meadows. " * 200
    ingested = run(service.ingest_text(ADMIN, text, background=False))
    assert ingested.job is None and len(ingested.documents) == 1
    assert service.status().documents == 1


def test_ingest_text_same_content_twice_is_a_duplicate(
    make_service: MakeService, run: Loop
) -> None:
    service = make_service()

    async def twice() -> tuple[Any, Any]:
        first = await service.ingest_text(ADMIN, "Goats graze on meadows.", title="One")
        second = await service.ingest_text(ADMIN, "Goats graze on meadows.", title="Two")
        return first, second

    first, second = run(twice())
    assert not first.documents[0].duplicate and second.documents[0].duplicate
    assert second.documents[0].document.id == first.documents[0].document.id
    assert service.status().documents == 1


def test_ingest_text_empty_text_is_invalid(make_service: MakeService, run: Loop) -> None:
    service = make_service()
    with pytest.raises(InvalidInputError):
        run(service.ingest_text(ADMIN, "  \n "))


def test_ingest_files_stores_txt_and_md_uploads(make_service: MakeService, run: Loop) -> None:
    service = make_service()
    uploads = [
        Upload(b"Goats graze on meadows.\nThey climb too.", "notes/goats.txt"),
        Upload(b"# Cranes\n\nThe harbour crane lifts containers.", "cranes.md", "text/markdown"),
    ]
    ingested = run(service.ingest_files(ADMIN, uploads, title="ignored for several files"))
    assert ingested.job is None
    goats, cranes = (result.document for result in ingested.documents)
    assert (goats.media_type, goats.source_name, goats.title) == (
        "text/plain",
        "goats.txt",
        "goats.txt",
    )
    assert (cranes.media_type, cranes.title) == ("text/markdown", "Cranes")
    hits = run(service.retrieve(ADMIN, "harbour crane", mode=SearchMode.KEYWORD)).hits
    assert [hit.document_id for hit in hits] == [cranes.id]


def test_ingest_files_one_upload_takes_the_title(make_service: MakeService, run: Loop) -> None:
    service = make_service()
    upload = Upload(b"Goats graze on meadows.", "goats.txt")
    ingested = run(service.ingest_files(ADMIN, [upload], title="Field notes"))
    assert ingested.documents[0].document.title == "Field notes"


def test_ingest_files_without_uploads_is_invalid(make_service: MakeService, run: Loop) -> None:
    service = make_service()
    with pytest.raises(InvalidInputError, match="no file"):
        run(service.ingest_files(ADMIN, []))


def test_ingest_files_with_a_bad_file_stores_nothing(make_service: MakeService, run: Loop) -> None:
    service = make_service()
    uploads = [Upload(b"Goats graze.", "good.txt"), Upload(b"", "empty.txt")]
    with pytest.raises(InvalidInputError, match=r"empty\.txt"):
        run(service.ingest_files(ADMIN, uploads))
    assert service.status().documents == 0


# -- retrieval and answers --------------------------------------------------------------------


def test_retrieve_without_top_k_returns_default_top_k(make_service: MakeService, run: Loop) -> None:
    service = make_service(default_top_k=3)
    _store_facts(run, service)
    assert len(run(service.retrieve(ADMIN, "goats", mode=SearchMode.DENSE)).hits) == 3
    assert len(run(service.retrieve(ADMIN, "goats", 1, SearchMode.DENSE)).hits) == 1


@pytest.mark.parametrize("query", ["", "   \n"])
def test_retrieve_empty_query_is_invalid(make_service: MakeService, run: Loop, query: str) -> None:
    service = make_service()
    with pytest.raises(InvalidInputError, match="empty"):
        run(service.retrieve(ADMIN, query))


def test_answer_without_llm_is_extractive_and_cites(make_service: MakeService, run: Loop) -> None:
    service = make_service()
    ids = _store_facts(run, service)
    embedder = _embedder(service)
    embedder.calls.clear()
    answer = run(service.answer(ADMIN, "What does the harbour crane lift?"))
    assert (answer.mode, answer.model) == ("extractive", EXTRACTIVE_MODEL)
    assert answer.hits[0].document_id == ids[1]
    assert "The harbour crane lifts steel containers onto ships. [1]" in answer.text
    assert answer.cited == [1]
    # The question is embedded once, for the search and the answer both.
    assert [texts for texts, query in embedder.calls if query] == [
        ["What does the harbour crane lift?"]
    ]


def test_answer_with_empty_store_says_there_is_no_context(
    make_service: MakeService, run: Loop
) -> None:
    answer = run(make_service().answer(ADMIN, "What does the crane lift?"))
    assert (answer.text, answer.hits, answer.cited) == (NO_CONTEXT_ANSWER, [], [])


def test_answer_empty_question_is_invalid(make_service: MakeService, run: Loop) -> None:
    with pytest.raises(InvalidInputError):
        run(make_service().answer(ADMIN, " "))


def test_stream_answer_yields_deltas_then_sets_text_and_cited(
    make_service: MakeService, run: Loop
) -> None:
    service = make_service()
    _store_facts(run, service)

    async def answer() -> tuple[list[str], str, list[int]]:
        stream = await service.stream_answer(ADMIN, "Where do goats graze?")
        deltas = [delta async for delta in stream.deltas()]
        return deltas, stream.text, stream.cited

    deltas, text, cited = run(answer())
    assert deltas and "".join(deltas) == text
    assert "Alpine goats graze on steep meadows in summer. [1]" in text
    assert cited == [1]


def test_answer_with_llm_returns_its_answer_and_citations(
    make_service: MakeService, run: Loop, llm: FakeLLM
) -> None:
    chat = ChatModel(f"{llm.url}/v1", "sk-test", "fake-model", 5.0, 64)
    service = make_service(llm=chat)
    _store_facts(run, service)
    answer = run(service.answer(ADMIN, "Where do goats graze?", top_k=2))
    assert (answer.mode, answer.model, answer.cited) == ("llm", "fake-model", [1])
    assert answer.text.endswith("is in [1].")
    system = llm.last()["last"]["messages"][0]["content"]
    assert "Alpine goats graze on steep meadows in summer." in system


def test_stream_answer_with_llm_streams_deltas(
    make_service: MakeService, run: Loop, llm: FakeLLM
) -> None:
    chat = ChatModel(f"{llm.url}/v1", "sk-test", "fake-model", 5.0, 64)
    service = make_service(llm=chat)
    _store_facts(run, service)

    async def answer() -> tuple[list[str], str, list[int]]:
        stream = await service.stream_answer(ADMIN, "Where do goats graze?", top_k=2)
        deltas = [delta async for delta in stream.deltas()]
        return deltas, stream.text, stream.cited

    deltas, text, cited = run(answer())
    assert len(deltas) > 1 and "".join(deltas) == text
    assert cited == [1]
    assert llm.last()["last"]["stream"] is True


def test_answer_with_llm_and_no_hits_is_extractive(
    make_service: MakeService, run: Loop, llm: FakeLLM
) -> None:
    chat = ChatModel(f"{llm.url}/v1", "sk-test", "fake-model", 5.0, 64)
    calls = llm.last()["calls"]
    answer = run(make_service(llm=chat).answer(ADMIN, "Where do goats graze?"))
    assert (answer.mode, answer.text) == ("extractive", NO_CONTEXT_ANSWER)
    assert llm.last()["calls"] == calls  # the model was not asked


# -- status, documents and jobs ---------------------------------------------------------------


def test_status_counts_documents_and_chunks(make_service: MakeService, run: Loop) -> None:
    service = make_service(chunk_tokens=64, chunk_overlap_tokens=0)
    assert service.status().documents == 0
    _store_facts(run, service)
    long = run(service.ingest_text(ADMIN, "word " * 150, background=False))
    chunks = long.documents[0].document.chunk_count
    assert chunks > 1
    status = service.status()
    assert (status.documents, status.chunks) == (len(FACTS) + 1, len(FACTS) + chunks)
    assert (status.model, status.llm) == ("hashed-bow", EXTRACTIVE_MODEL)


def test_delete_document_removes_it_from_search(make_service: MakeService, run: Loop) -> None:
    service = make_service()
    ids = _store_facts(run, service)
    service.delete_document(ADMIN, ids[1])
    with pytest.raises(NotFoundError):
        service.get_document(ADMIN, ids[1])
    hits = run(service.retrieve(ADMIN, "harbour crane", mode=SearchMode.KEYWORD)).hits
    assert hits == []
    assert service.status().documents == len(FACTS) - 1


def test_get_job_unknown_id_is_not_found(make_service: MakeService, run: Loop) -> None:
    with pytest.raises(NotFoundError):
        make_service().get_job(ADMIN, "no-such-job")
