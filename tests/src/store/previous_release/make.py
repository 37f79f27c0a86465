import sys
from pathlib import Path

sys.path.insert(0, ".")
sys.path.insert(1, "tests")
import hashlib

from hashed_embedder import HashedEmbedder

from src.models import ChunkRow, SourceDocument
from src.store import StoreOptions, open_store

out = Path(sys.argv[1])
emb = HashedEmbedder()
opts = StoreOptions(dimension=64, model="hashed-bow")
backend = open_store(sys.argv[2] if len(sys.argv) > 2 else out, opts)
texts = [
    ("Walrus handbook", "Walruses haul out on sea ice to rest between dives. They feed on clams."),
    ("Otter census", "Sea otters float on their backs and hold hands while sleeping."),
    ("磁盘清理", "定期执行深度清理可以释放磁盘空间。"),
]
for title, text in texts:
    src = SourceDocument(
        text=text,
        title=title,
        content_hash=hashlib.sha256(text.encode()).hexdigest(),
        media_type="text/plain",
        source_name=title + ".txt",
        metadata={"team": "ops"},
    )
    half = len(text) // 2
    chunks = [ChunkRow(0, text[:half], 0, half), ChunkRow(1, text[half:], half, len(text))]
    backend.store.add_document(src, chunks, emb.embed([c.text for c in chunks]))
print(backend.store.counts())
backend.close()
