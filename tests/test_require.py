"""helpers.require: a missing tool skips a test here and fails it in CI, whatever CI is set to."""

from __future__ import annotations

import pytest
from helpers import ci_mode, require


@pytest.mark.parametrize("value", ["true", "1", "yes", "True", "on", "github-actions"])
def test_ci_mode_is_on_when_ci_is_truthy(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CI", value)
    assert ci_mode()


@pytest.mark.parametrize("value", ["", "0", "false", "FALSE", "no", "off", " false "])
def test_ci_mode_is_off_when_ci_is_falsy(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CI", value)
    assert not ci_mode()


def test_ci_mode_is_off_when_ci_is_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    assert not ci_mode()


@pytest.mark.parametrize("value", ["true", "1", "yes"])
def test_require_fails_when_unmet_under_ci(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.fail.Exception, match=f"CI={value} but no wrk"):
        require(False, "no wrk")


@pytest.mark.parametrize("value", [None, "0", "false"])
def test_require_skips_when_unmet_outside_ci(
    monkeypatch: pytest.MonkeyPatch, value: str | None
) -> None:
    if value is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.skip.Exception, match="no wrk"):
        require(False, "no wrk")


def test_require_passes_when_met_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "1")
    require(True, "no wrk")
