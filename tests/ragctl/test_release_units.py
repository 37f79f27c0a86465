"""ragctl's pure deploy parts: push output, login freshness, history, engines, policies."""

from __future__ import annotations

import json

import pytest

from ragctl.docker import Engine
from ragctl.ecr import LOGIN_MARGIN_S, lifecycle_policy, needs_login
from ragctl.errors import RagctlError
from ragctl.history import Deployed, remember
from ragctl.pushlog import PushLog, bytes_uploaded

PUSH = """The push refers to repository [123456789012.dkr.ecr.us-east-1.amazonaws.com/rag-api]
aaaaaaaaaaaa: Preparing
bbbbbbbbbbbb: Preparing
aaaaaaaaaaaa: Pushed
bbbbbbbbbbbb: Layer already exists
cccccccccccc: Mounted from rag-api-other
v2: digest: sha256:%s size: 2199
""" % ("d" * 64)


def test_push_log_counts_only_uploaded_layers() -> None:
    log = PushLog()
    for line in PUSH.splitlines():
        log.feed(line)
    assert log.pushed == {"aaaaaaaaaaaa"}
    assert log.skipped == {"bbbbbbbbbbbb", "cccccccccccc"}
    assert log.digest == "sha256:" + "d" * 64
    diff_ids = ["sha256:" + c * 64 for c in "abca"]  # a repeated layer counts once
    assert bytes_uploaded(log, diff_ids, [100, 2000, 30000, 100]) == 100


def test_needs_login_when_token_is_missing_expired_or_close_to_expiry() -> None:
    now = 1_000_000.0
    assert needs_login(None, now)
    assert needs_login(now - 1, now)
    assert needs_login(now + LOGIN_MARGIN_S - 1, now)
    assert not needs_login(now + 12 * 3600, now)


def test_lifecycle_policy_expires_untagged_and_keeps_last_versions() -> None:
    rules = json.loads(lifecycle_policy(7))["rules"]
    assert [r["selection"]["tagStatus"] for r in rules] == ["untagged", "tagged"]
    assert rules[1]["selection"]["countNumber"] == 7
    assert len({r["rulePriority"] for r in rules}) == 2


def test_remember_puts_new_version_first_once_and_caps_length() -> None:
    history = [Deployed(f"v{n}", f"repo@sha256:{n}", float(n)) for n in (3, 2, 1)]
    again = remember(history, "v2", "repo@sha256:2", keep=3)
    assert [e.version for e in again] == ["v2", "v3", "v1"]
    capped = remember(history, "v4", "repo@sha256:4", keep=2)
    assert [e.version for e in capped] == ["v4", "v3"]


@pytest.mark.parametrize(
    ("spec", "flags"),
    [
        ("local", ()),
        ("ssh://deploy@server", ("-H", "ssh://deploy@server")),
        ("unix:///run/docker.sock", ("-H", "unix:///run/docker.sock")),
        ("context:prod", ("--context", "prod")),
    ],
)
def test_engine_flags_for_each_kind_of_address(spec: str, flags: tuple[str, ...]) -> None:
    assert Engine(spec).flags == flags


def test_engine_refuses_an_unknown_address_when_made() -> None:
    with pytest.raises(RagctlError, match="unknown engine"):
        Engine("server1")
