"""`ragctl verify`: passes on the built image, fails on one that ever held an .env."""

from __future__ import annotations

from typing import Any


def test_verify_passes_on_built_image(ragctl: Any, built: dict[str, Any]) -> None:
    report = ragctl.json("verify", built["ref"])
    assert report["ok"], report
    assert {f["check"] for f in report["findings"]} == {"files", "layers", "starts", "non-root"}


def test_verify_fails_on_planted_env_even_when_deleted_later(
    ragctl: Any, derived_image: Any
) -> None:
    planted = derived_image(
        "COPY .env /app/.env", "RUN rm /app/.env", files={".env": "LLM_API_KEY=sk-leaked\n"}
    )
    done = ragctl("--json", "verify", planted, check=False)
    assert done.returncode == 1
    assert "/app/.env is an .env file" in done.stdout


def test_verify_unknown_image_is_a_clear_error(ragctl: Any) -> None:
    done = ragctl("verify", "rag-api-no-such-image:nope", check=False)
    assert done.returncode == 1
    assert "no image 'rag-api-no-such-image:nope'" in done.stderr
