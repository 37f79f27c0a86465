"""Where files to sync come from: a local folder, or an S3 bucket and prefix (boto3, with
credentials from the usual AWS chain: environment, shared files, SSO, container or instance
role). Each entry names its document's source and carries what tells a change cheaply (size
and a stamp: the modification time, or the ETag) before its content is read."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol


@dataclass(frozen=True)
class Entry:
    source: str  # the document's source: label/relative/path, or s3://bucket/key
    name: str  # the file name the upload carries (its type is read from it)
    size: int
    stamp: str  # changes when the content may have: mtime in ns, or the ETag
    read: Callable[[], bytes]


class Origin(Protocol):
    """A folder or an S3 prefix: every entry under it, and the source prefix they share."""

    prefix: str

    def entries(self) -> Iterator[Entry]: ...


class Folder:
    """Every regular file under `root`, symbolic links and hidden files and folders aside
    (a link may lead out of the folder; .git and the like are not documents). Sources are
    `label/relative/path`: the same from any machine the folder is mounted on."""

    def __init__(self, root: Path, label: str = "") -> None:
        self.root = root
        self.prefix = f"{label or root.resolve().name}/"

    def entries(self) -> Iterator[Entry]:
        for folder, dirs, files in os.walk(self.root, followlinks=False):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                path = Path(folder) / name
                if name.startswith(".") or path.is_symlink() or not path.is_file():
                    continue
                stat = path.stat()
                relative = path.relative_to(self.root).as_posix()
                yield Entry(
                    f"{self.prefix}{relative}",
                    name,
                    stat.st_size,
                    str(stat.st_mtime_ns),
                    path.read_bytes,
                )


class Bucket:
    """Every object under s3://bucket/prefix ("folders", keys ending in /, aside)."""

    def __init__(self, bucket: str, key_prefix: str, client: Any) -> None:
        self._bucket = bucket
        self._key_prefix = key_prefix
        self._client = client
        self.prefix = f"s3://{bucket}/{key_prefix}"

    def entries(self) -> Iterator[Entry]:
        pages = self._client.get_paginator("list_objects_v2").paginate(
            Bucket=self._bucket, Prefix=self._key_prefix
        )
        for page in _listed(pages, self.prefix):
            for item in page.get("Contents", []):
                key = item["Key"]
                if key.endswith("/"):
                    continue
                yield Entry(
                    f"s3://{self._bucket}/{key}",
                    key.rsplit("/", 1)[-1],
                    int(item["Size"]),
                    str(item["ETag"]).strip('"'),
                    self._reader(key),
                )

    def _reader(self, key: str) -> Callable[[], bytes]:
        def read() -> bytes:
            try:
                body = self._client.get_object(Bucket=self._bucket, Key=key)["Body"]
                data: bytes = body.read()
            except Exception as exc:  # botocore's errors: this object is refused, not the sync
                raise OSError(f"s3://{self._bucket}/{key}: {exc}") from exc
            return data

        return read


def _listed(pages: Iterable[dict[str, Any]], where: str) -> Iterator[dict[str, Any]]:
    """The listing's pages; botocore's errors as OSError (the sync cannot go on)."""
    iterator = iter(pages)
    while True:
        try:
            page = next(iterator)
        except StopIteration:
            return
        except Exception as exc:  # botocore's errors have no common base worth naming
            raise OSError(f"cannot list {where}: {exc}") from exc
        yield page


def open_origin(spec: str, label: str = "", endpoint_url: str | None = None) -> Origin:
    """`s3://bucket/prefix` or a folder's path."""
    if spec.startswith("s3://"):
        import boto3  # only for S3: a folder sync needs no AWS library loaded

        bucket, _, key_prefix = spec[len("s3://") :].partition("/")
        if not bucket:
            raise ValueError(f"no bucket in {spec!r}: give s3://bucket/prefix")
        return Bucket(bucket, key_prefix, boto3.client("s3", endpoint_url=endpoint_url))
    root = Path(spec)
    if not root.is_dir():
        raise ValueError(f"{spec!r} is neither a folder nor an s3://bucket/prefix")
    return Folder(root, label)
