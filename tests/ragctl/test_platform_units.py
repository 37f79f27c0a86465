"""Multi-platform builds' pure parts: parsing --platform, the tags per architecture, and the
manifest list (retention counting a version's architecture tags: test_units.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ragctl import platforms
from ragctl.docker import Build
from ragctl.errors import RagctlError
from ragctl.registry import LIST_TYPE, Manifest, manifest_list


def test_parse_keeps_order_and_drops_repeats() -> None:
    parsed = platforms.parse("linux/arm64, linux/amd64,linux/arm64")
    assert parsed == ("linux/arm64", "linux/amd64")


@pytest.mark.parametrize("text", ["linux/s390x", "", "arm64"])
def test_parse_refuses_an_unsupported_platform(text: str) -> None:
    with pytest.raises(RagctlError, match="unsupported platform"):
        platforms.parse(text)


def test_version_of_strips_only_an_architecture_suffix() -> None:
    assert platforms.arch_tag("abc123", "linux/arm64") == "abc123-arm64"
    assert platforms.version_of("abc123-arm64") == "abc123"
    assert platforms.version_of("abc123-amd64") == "abc123"
    assert platforms.version_of("abc123-dirty") == "abc123-dirty"
    assert platforms.version_of("-arm64") == "-arm64"


def test_build_options_name_the_platform_only_when_given() -> None:
    build = Build(Path("."), Path("Dockerfile"), ("img:v1-arm64",), platform="linux/arm64")
    args = build.options()
    assert args[args.index("--platform") + 1] == "linux/arm64"
    assert "--platform" not in Build(Path("."), Path("Dockerfile"), ("img:v1",)).options()


def test_manifest_list_names_each_image_with_its_platform() -> None:
    image_type = "application/vnd.docker.distribution.manifest.v2+json"
    images = {
        "linux/amd64": Manifest("sha256:a", {}, image_type, 528),
        "linux/arm64": Manifest("sha256:b", {}, image_type, 529),
    }
    body = manifest_list(images)
    assert body["mediaType"] == LIST_TYPE
    listed = Manifest("sha256:list", body)
    assert listed.is_list and listed.platforms == {
        "linux/amd64": "sha256:a",
        "linux/arm64": "sha256:b",
    }
    assert [entry["size"] for entry in body["manifests"]] == [528, 529]
    assert body["manifests"][1]["platform"] == {"os": "linux", "architecture": "arm64"}
