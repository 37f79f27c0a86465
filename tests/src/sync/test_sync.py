"""python -m src.sync against a real service, a real folder and a real S3 API (moto's
server): adds, edits, deletes and a refused file; unchanged files never read again;
a sync cut short resumes where it stopped; a dry run changes nothing."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import ROOT, Service

from rig.s3 import MotoS3, start_s3
from src.sync.client import ApiClient, Outcome, SyncError
from src.sync.run import SyncOptions, sync
from src.sync.sources import Folder


@pytest.fixture(scope="module")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoS3]:
    server = start_s3(tmp_path_factory.mktemp("moto") / "moto.log")
    yield server
    server.stop()


def _sync(service: Service, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    done = subprocess.run(
        [sys.executable, "-m", "src.sync", *args],
        cwd=ROOT,
        env={**os.environ, "RAG_API_URL": service.url, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, done.stdout


def _documents(http: httpx.Client, prefix: str) -> dict[str, dict[str, Any]]:
    page = http.get("/v1/documents", params={"source_prefix": prefix, "limit": 500}).json()
    return {d["source"]: d for d in page["items"]}


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_sync_folder_adds_edits_deletes_and_refuses(service: Service, tmp_path: Path) -> None:
    root, label = tmp_path / "handbook", f"handbook-{uuid.uuid4().hex}"
    _write(root / "leave.txt", "Leave: twenty days a year.")
    _write(root / "parking.md", "# Parking\n\nPark behind building B.")
    _write(root / "it" / "laptops.txt", "Laptops are replaced every four years.")
    _write(root / ".git" / "config", "[core]")
    _write(root / ".notes.txt", "hidden")
    (root / "setup.exe").write_bytes(b"MZ\x90\x00")
    code, out = _sync(service, str(root), "--as", label)
    assert code == 2, out
    assert out.splitlines()[0] == "added 3, replaced 0, unchanged 0, removed 0, refused 1"
    assert f"refused {label}/setup.exe: unsupported type .exe" in out
    with service.client() as http:
        first = _documents(http, f"{label}/")
    assert set(first) == {f"{label}/leave.txt", f"{label}/parking.md", f"{label}/it/laptops.txt"}

    _write(root / "leave.txt", "Leave: twenty-five days a year.")
    os.utime(root / "parking.md")  # touched, not changed: read, hashed, left alone
    (root / "it" / "laptops.txt").unlink()
    _write(root / "travel.txt", "Book trains for trips under four hours.")
    (root / "setup.exe").unlink()
    code, out = _sync(service, str(root), "--as", label, "--delete")
    assert (code, out.splitlines()[0]) == (
        0,
        "added 1, replaced 1, unchanged 1, removed 1, refused 0",
    ), out
    with service.client() as http:
        second = _documents(http, f"{label}/")
        assert set(second) == {f"{label}/leave.txt", f"{label}/parking.md", f"{label}/travel.txt"}
        assert second[f"{label}/parking.md"]["id"] == first[f"{label}/parking.md"]["id"]
        leave = second[f"{label}/leave.txt"]
        assert leave["version"] == 2
        chunks = http.get(f"/v1/documents/{leave['id']}/chunks").json()["items"]
        assert "twenty-five" in chunks[0]["text"]
    code, out = _sync(service, str(root), "--as", label, "--delete")
    assert (code, out.splitlines()[0]) == (
        0,
        "added 0, replaced 0, unchanged 3, removed 0, refused 0",
    )


def test_sync_dry_run_changes_nothing(service: Service, tmp_path: Path) -> None:
    root, label = tmp_path / "drafts", f"drafts-{uuid.uuid4().hex}"
    _write(root / "a.txt", "Draft A.")
    code, out = _sync(service, str(root), "--as", label, "--dry-run")
    assert (code, out.splitlines()[0]) == (
        0,
        "would be added 1, would be replaced 0, unchanged 0, would be removed 0, refused 0",
    )
    with service.client() as http:
        assert _documents(http, f"{label}/") == {}


class _CutShort(ApiClient):
    """A sync whose connection drops after `uploads` uploads (a kill, a network cut)."""

    def __init__(self, base_url: str, uploads: int) -> None:
        super().__init__(base_url)
        self.left = uploads

    def upload(self, *args: Any, **kwargs: Any) -> Outcome:
        if self.left == 0:
            raise SyncError("connection lost")
        self.left -= 1
        return super().upload(*args, **kwargs)


def test_sync_cut_short_resumes_where_it_stopped(service: Service, tmp_path: Path) -> None:
    root, label = tmp_path / "many", f"many-{uuid.uuid4().hex}"
    for n in range(10):
        _write(root / f"{n:02}.txt", f"Note {n}: {uuid.uuid4().hex}.")
    origin = Folder(root, label)
    cut = _CutShort(service.url, uploads=4)
    with pytest.raises(SyncError):
        sync(origin, cut, SyncOptions(jobs=1))
    resumed = sync(origin, ApiClient(service.url), SyncOptions(jobs=2))
    assert (resumed.added, resumed.unchanged, resumed.refused) == (6, 4, [])


def test_sync_s3_prefix_adds_edits_deletes_and_refuses(service: Service, s3: MotoS3) -> None:
    bucket = f"docs-{uuid.uuid4().hex[:12]}"
    client = s3.client()
    client.create_bucket(Bucket=bucket)
    client.put_object(Bucket=bucket, Key="policies/leave.txt", Body=b"Leave: 20 days.")
    client.put_object(
        Bucket=bucket, Key="policies/travel/trains.md", Body=b"# Trains\n\nBook early."
    )
    client.put_object(Bucket=bucket, Key="policies/logo.bin", Body=b"\x00\x01")
    client.put_object(Bucket=bucket, Key="other/ignored.txt", Body=b"Not under the prefix.")
    spec, env = f"s3://{bucket}/policies/", s3.env()
    code, out = _sync(service, spec, env=env)
    assert (
        code == 2
        and out.splitlines()[0] == "added 2, replaced 0, unchanged 0, removed 0, refused 1"
    )
    assert f"refused s3://{bucket}/policies/logo.bin: unsupported type .bin" in out

    client.put_object(Bucket=bucket, Key="policies/leave.txt", Body=b"Leave: 25 days.")
    client.delete_object(Bucket=bucket, Key="policies/travel/trains.md")
    client.delete_object(Bucket=bucket, Key="policies/logo.bin")
    code, out = _sync(service, spec, "--delete", env=env)
    assert (code, out.splitlines()[0]) == (
        0,
        "added 0, replaced 1, unchanged 0, removed 1, refused 0",
    )
    with service.client() as http:
        assert set(_documents(http, spec)) == {f"s3://{bucket}/policies/leave.txt"}
    code, out = _sync(service, spec, "--delete", env=env)
    assert out.splitlines()[0] == "added 0, replaced 0, unchanged 1, removed 0, refused 0"


def test_sync_of_an_unreachable_s3_endpoint_fails_cleanly(service: Service) -> None:
    env = {
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "src.sync",
            "s3://nowhere/x/",
            "--s3-endpoint",
            "http://127.0.0.1:9",
        ],
        cwd=ROOT,
        env={**os.environ, "RAG_API_URL": service.url, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "cannot list s3://nowhere/x/" in done.stderr
