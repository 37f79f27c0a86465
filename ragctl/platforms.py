"""Target platforms of a multi-architecture build, and the tags each architecture's image
gets next to the version's own."""

from __future__ import annotations

from ragctl.errors import RagctlError

SUPPORTED = ("linux/amd64", "linux/arm64")


def parse(text: str) -> tuple[str, ...]:
    """`linux/amd64,linux/arm64` as a tuple, each one supported, none twice, order kept."""
    given = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [platform for platform in given if platform not in SUPPORTED]
    if unknown or not given:
        raise RagctlError(
            f"unsupported platform {', '.join(unknown) or repr(text)}",
            hint=f"choose from {', '.join(SUPPORTED)}, comma-separated",
        )
    return tuple(dict.fromkeys(given))


def arch(platform: str) -> str:
    return platform.split("/", 1)[1]


def arch_tag(version: str, platform: str) -> str:
    """The tag of one architecture's image of `version` (the version's own tag names them
    all, as a manifest list in a registry)."""
    return f"{version}-{arch(platform)}"


def version_of(tag: str) -> str:
    """The version an architecture's tag belongs to (any other tag is its own version)."""
    for platform in SUPPORTED:
        suffix = f"-{arch(platform)}"
        if tag.endswith(suffix) and len(tag) > len(suffix):
            return tag.removesuffix(suffix)
    return tag
