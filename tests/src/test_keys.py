"""API keys made, verified, revoked: only hashes stored, scopes enforced at creation, a
revocation seen at once by the ring that made it and within CACHE_SECONDS by any other
(another replica), and the `python -m src.keys` command for a store's first key."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from src.access import CONFIGURED, Role
from src.errors import ForbiddenError, InvalidInputError, LimitExceededError, NotFoundError
from src.keys import CACHE_SECONDS, KeyRing
from src.store import opened_catalog
from src.store.catalog import Catalog

ROOT = Path(__file__).resolve().parents[2]


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture()
def catalog(tmp_path: Path) -> Iterator[Catalog]:
    with opened_catalog(tmp_path) as opened:
        opened.create_collection("hr", "")
        yield opened


def test_create_key_stores_only_its_hash(catalog: Catalog, tmp_path: Path) -> None:
    record, secret = KeyRing(catalog, ()).create(CONFIGURED, "ops", Role.ADMIN, ())
    with sqlite3.connect(tmp_path / "rag.sqlite3") as conn:
        dump = "\n".join(conn.iterdump())
    assert record.id in dump
    assert secret not in dump


def test_verify_key_gives_its_role_and_collections(catalog: Catalog) -> None:
    ring = KeyRing(catalog, ())
    _, secret = ring.create(CONFIGURED, "hr-reader", Role.READER, ("hr",))
    access = ring.verify(secret)
    assert access is not None
    assert (access.role, access.collections) == (Role.READER, frozenset({"hr"}))
    assert ring.verify(secret + "x") is None
    assert ring.verify("") is None


def test_revoke_key_is_seen_at_once_here_and_after_the_cache_elsewhere(catalog: Catalog) -> None:
    clock = Clock()
    here, elsewhere = KeyRing(catalog, (), clock), KeyRing(catalog, (), clock)
    record, secret = here.create(CONFIGURED, "temp", Role.ADMIN, ())
    assert here.verify(secret) is not None and elsewhere.verify(secret) is not None
    here.revoke(CONFIGURED, record.id)
    assert here.verify(secret) is None
    assert elsewhere.verify(secret) is not None  # cached, for at most CACHE_SECONDS
    clock.now += CACHE_SECONDS
    assert elsewhere.verify(secret) is None


def test_open_until_the_first_key_anywhere(catalog: Catalog) -> None:
    clock = Clock()
    ring, other = KeyRing(catalog, (), clock), KeyRing(catalog, (), clock)
    assert ring.is_open() and other.is_open()
    ring.create(CONFIGURED, "first", Role.ADMIN, ())
    assert not ring.is_open()
    clock.now += CACHE_SECONDS
    assert not other.is_open()
    assert not KeyRing(catalog, ("configured",)).is_open()


@pytest.mark.parametrize(
    ("role", "collections", "error"),
    [
        (Role.ADMIN, ("hr",), InvalidInputError),
        (Role.READER, (), InvalidInputError),
        (Role.WRITER, ("nope",), NotFoundError),
    ],
)
def test_create_key_with_wrong_scope_is_refused(
    catalog: Catalog, role: Role, collections: tuple[str, ...], error: type[Exception]
) -> None:
    with pytest.raises(error):
        KeyRing(catalog, ()).create(CONFIGURED, "x", role, collections)
    assert catalog.list_keys() == []


def test_manage_keys_with_a_scoped_key_is_refused(catalog: Catalog) -> None:
    ring = KeyRing(catalog, ())
    _, secret = ring.create(CONFIGURED, "hr-writer", Role.WRITER, ("hr",))
    writer = ring.verify(secret)
    assert writer is not None
    with pytest.raises(ForbiddenError):
        ring.create(writer, "mine", Role.ADMIN, ())
    with pytest.raises(ForbiddenError):
        ring.records(writer)


def test_configured_key_is_admin(catalog: Catalog) -> None:
    access = KeyRing(catalog, ("alpha-key", "beta-key")).verify("beta-key")
    assert access is not None and access.is_admin


def _keys_cli(storage: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RAG_STORAGE_DIR": str(storage), "RAG_DATABASE_URL": ""}
    return subprocess.run(
        [sys.executable, "-m", "src.keys", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_keys_command_makes_lists_and_revokes(tmp_path: Path) -> None:
    made = _keys_cli(tmp_path, "create", "--role", "admin", "--name", "first")
    assert made.returncode == 0, made.stderr
    key = json.loads(made.stdout)
    assert key["key"].startswith("rag_") and key["role"] == "admin"
    listed = _keys_cli(tmp_path, "list")
    assert [k["id"] for k in json.loads(listed.stdout)] == [key["id"]]
    assert key["key"] not in listed.stdout + made.stderr
    assert _keys_cli(tmp_path, "revoke", key["id"]).returncode == 0
    assert json.loads(_keys_cli(tmp_path, "list").stdout) == []
    missing = _keys_cli(tmp_path, "create", "--role", "reader", "--collection", "nope")
    assert missing.returncode == 1
    assert "no collection named 'nope'" in missing.stderr


def test_create_past_the_limits_is_refused(
    catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("src.store.catalog.MAX_KEYS", 1)
    monkeypatch.setattr("src.store.catalog.MAX_COLLECTIONS", 2)  # default and hr exist
    ring = KeyRing(catalog, ())
    ring.create(CONFIGURED, "one", Role.ADMIN, ())
    with pytest.raises(LimitExceededError, match="the limit is 1"):
        ring.create(CONFIGURED, "two", Role.ADMIN, ())
    with pytest.raises(LimitExceededError, match="2 collections; the limit is 2"):
        catalog.create_collection("more", "")
    assert len(catalog.list_keys()) == 1
