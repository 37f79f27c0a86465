"""One sync: what changed since the service last took each file, decided without reading a
file whose size and stamp are those recorded, and by content hash when they are not.

What was recorded lives on the service, in each synced document's metadata (sync.size,
sync.stamp, sync.sha256), not in a state file beside the sync: a sync resumes wherever an
interrupted one stopped, and runs alike from any machine or container."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from src.formats import SUPPORTED_SUFFIXES, named_suffix
from src.sources import PART_MARK
from src.sync.client import ApiClient, Outcome, Remote, SyncError
from src.sync.sources import Entry, Origin

SIZE, STAMP, SHA256 = "sync.size", "sync.stamp", "sync.sha256"


@dataclass(frozen=True)
class SyncOptions:
    collection: str = "default"
    delete: bool = False  # remove documents whose file is gone
    dry_run: bool = False  # decide everything, change nothing
    jobs: int = 4  # files read and uploaded at once


@dataclass
class Summary:
    added: int = 0
    replaced: int = 0
    unchanged: int = 0
    removed: int = 0
    refused: list[tuple[str, str]] = field(default_factory=list)  # (source, why)

    def count(self, source: str, outcome: Outcome) -> None:
        if outcome.kind == "refused":
            self.refused.append((source, outcome.reason))
        else:
            setattr(self, outcome.kind, getattr(self, outcome.kind) + 1)

    @property
    def done(self) -> int:
        return self.added + self.replaced + self.unchanged + self.removed + len(self.refused)


Progress = Callable[[Summary, int], None]  # the summary so far, and how many steps in all


def sync(
    origin: Origin, client: ApiClient, options: SyncOptions, progress: Progress | None = None
) -> Summary:
    remote = client.synced(origin.prefix, options.collection)
    try:
        entries = list(origin.entries())
    except OSError as exc:
        raise SyncError(str(exc)) from exc
    gone = _gone(remote, {e.source for e in entries}) if options.delete else []
    summary = Summary()
    total = len(entries) + len(gone)
    with ThreadPoolExecutor(options.jobs) as pool:
        work = [pool.submit(_sync_one, e, remote.get(e.source), client, options) for e in entries]
        for entry, future in zip(entries, work, strict=True):
            summary.count(entry.source, _settled(future.result))
            if progress:
                progress(summary, total)
    for source in gone:
        removed = (
            Outcome("removed") if options.dry_run else client.delete(source, options.collection)
        )
        summary.count(source, removed)
        if progress:
            progress(summary, total)
    return summary


def _settled(result: Callable[[], Outcome]) -> Outcome:
    try:
        return result()
    except OSError as exc:  # a file that cannot be read is refused, the rest go on
        return Outcome("refused", f"cannot read it: {exc}")


def _gone(remote: dict[str, Remote], present: set[str]) -> list[str]:
    """Synced sources whose file is gone (a mail's attachments go with the mail)."""
    return sorted(s for s in remote if s not in present and PART_MARK not in s)


def _sync_one(
    entry: Entry, remote: Remote | None, client: ApiClient, options: SyncOptions
) -> Outcome:
    suffix = named_suffix(entry.name)
    if suffix not in SUPPORTED_SUFFIXES:
        return Outcome("refused", f"unsupported type {suffix or '(no extension)'}")
    recorded = remote.metadata if remote else {}
    if recorded.get(SIZE) == entry.size and recorded.get(STAMP) == entry.stamp:
        return Outcome("unchanged")
    data = entry.read()
    digest = hashlib.sha256(data).hexdigest()
    if recorded.get(SHA256) == digest:
        return Outcome("unchanged")
    if options.dry_run:
        return Outcome("replaced" if remote else "added")
    metadata = {SIZE: entry.size, STAMP: entry.stamp, SHA256: digest}
    return client.upload(entry.name, data, entry.source, options.collection, metadata)
