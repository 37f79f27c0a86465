"""Options several commands share: each is added to a parser here and read back into its typed
object here, once."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path

from ragctl import config, platforms, release
from ragctl.builder import BuildOptions
from ragctl.docker import Docker, Engine, parse_size
from ragctl.errors import RagctlError
from ragctl.output import Report
from ragctl.rollout import Outcome, RolloutOptions


def add_remote_arguments(parser: argparse.ArgumentParser) -> None:
    """Where the versions live in ECR (boto3 finds credentials and endpoints as usual)."""
    parser.add_argument(
        "--repository",
        default=os.environ.get("RAGCTL_ECR_REPOSITORY", config.ECR_REPOSITORY),
        help="ECR repository name (default %(default)s, or $RAGCTL_ECR_REPOSITORY)",
    )
    parser.add_argument("--region", help="AWS region (default: boto3's, e.g. $AWS_REGION)")


@dataclass(frozen=True)
class RemoteOptions:
    repository: str
    region: str | None

    def connect(self, create: bool = False, keep: int = config.ECR_KEEP) -> release.Remote:
        return release.connect(self.region, self.repository, create=create, keep=keep)


def remote_options(args: argparse.Namespace) -> RemoteOptions:
    return RemoteOptions(args.repository, args.region)


def add_build_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--source",
        type=Path,
        default=config.ROOT,
        help="checkout to build (default: this repository)",
    )
    parser.add_argument("--image", default=config.image(), help="image name (default %(default)s)")
    parser.add_argument("--version", help="tag to use instead of the git version")
    parser.add_argument(
        "--ca-bundle",
        default=os.environ.get(config.CA_BUNDLE_ENV),
        help=f"CA bundle for download steps (or ${config.CA_BUNDLE_ENV})",
    )
    parser.add_argument(
        "--with-heavy", action="store_true", help="install the optional heavy dependency group"
    )
    parser.add_argument(
        "--cache-from",
        action="append",
        default=[],
        help="extra BuildKit cache source (e.g. type=registry,ref=...)",
    )
    parser.add_argument(
        "--min-free-gb",
        type=float,
        default=config.MIN_FREE_GB,
        help="free disk needed on the Docker root before building",
    )
    add_cache_allowance(parser)


def add_platform_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--platform",
        type=_platforms,
        default=(),
        help="build for these platforms, comma-separated (linux/amd64,linux/arm64), each "
        "tagged VERSION-ARCH; others than the engine's own run under QEMU (default: the "
        "engine's own, tagged VERSION)",
    )


def _platforms(text: str) -> tuple[str, ...]:
    try:
        return platforms.parse(text)
    except RagctlError as exc:
        raise argparse.ArgumentTypeError(f"{exc.message}: {exc.hint}") from exc


def _size(text: str) -> str:
    if text.strip() != "0" and parse_size(text) <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size like 1GB, 500MB or 0")
    return text


def add_cache_allowance(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--cache-allowance",
        type=_size,
        default=config.BUILD_CACHE_ALLOWANCE,
        help="layer cache kept for the next build, beyond the runtime's uv cache, which is "
        "always kept (default %(default)s)",
    )


def build_options(args: argparse.Namespace) -> BuildOptions:
    return BuildOptions(
        source=args.source,
        image=args.image,
        version=args.version,
        ca_bundle=args.ca_bundle,
        with_heavy=args.with_heavy,
        cache_from=tuple(args.cache_from),
        min_free_gb=args.min_free_gb,
        cache_allowance=args.cache_allowance,
        platforms=vars(args).get("platform", ()),  # only build and push take --platform
    )


def add_target_arguments(parser: argparse.ArgumentParser, many: bool = True) -> None:
    if many:
        parser.add_argument(
            "--target",
            action="append",
            default=[],
            help="Docker engine: local (default), ssh://user@host, tcp://..., unix://... or "
            "context:NAME; repeat for several, taken in order",
        )
    else:
        parser.add_argument(
            "--target", default="local", help="Docker engine (as for deploy; default local)"
        )


def targets(args: argparse.Namespace) -> list[Docker]:
    """A client for each --target, every address checked before any engine is touched."""
    given = [args.target] if isinstance(args.target, str) else args.target
    return [Docker(Engine(address)) for address in (given or ["local"])]


def add_service_arguments(parser: argparse.ArgumentParser, volume_default: str) -> None:
    parser.add_argument(
        "--name",
        help="container name (default: the rag-api service, whether `docker compose` "
        f"(project ${config.COMPOSE_PROJECT_ENV}, else {config.COMPOSE_PROJECT}) or ragctl "
        f"(container {config.CONTAINER}) started it)",
    )
    parser.add_argument("--port", type=int, help="host port (default: the live one, else 8000)")
    parser.add_argument(
        "--env-file", type=Path, help="env file (default: the live container's variables)"
    )
    parser.add_argument(
        "--volume",
        "--data",
        dest="volume",
        help=f"data volume name or host path (default: the live one, else {volume_default})",
    )
    parser.add_argument(
        "--ready-timeout",
        type=float,
        default=config.READY_TIMEOUT_S,
        help="seconds to wait for /ready (default %(default)s)",
    )
    parser.add_argument(
        "--keep",
        "--keep-history",
        dest="keep",
        type=int,
        default=config.HISTORY_KEEP,
        help="versions kept for rollback: in the history and as images (default %(default)s)",
    )


def rollout_options(
    args: argparse.Namespace, volume_default: str, env_file: Path | None = None
) -> RolloutOptions:
    if args.keep < 2:
        raise RagctlError("--keep must be at least 2", hint="rollback needs two versions")
    return RolloutOptions(
        name=args.name,
        port=args.port,
        env_file=args.env_file or env_file,
        volume=args.volume,
        ready_timeout=args.ready_timeout,
        keep=args.keep,
        default_volume=volume_default,
        compose_project=config.compose_project(),
    )


def outcomes_report(outcomes: list[Outcome], verb: str, extra: dict[str, object]) -> Report:
    text = "\n".join(
        f"{o.target}: {verb} {o.version} in {o.seconds:.1f}s"
        f" ({'pulled' if o.pulled else 'image already there'}; port unserved "
        f"{o.unserved_seconds:.1f}s; removed {len(o.removed_images)} image(s))"
        for o in outcomes
    )
    return Report({**extra, "targets": [o.as_dict() for o in outcomes]}, text)


@dataclass(frozen=True)
class ReleaseOptions:
    """A deploy or a rollback: which version (None: the command's default), how it rolls
    out, on which engines, and the registry it comes from."""

    version: str | None
    rollout: RolloutOptions
    engines: list[Docker]
    remote: RemoteOptions


def release_options(args: argparse.Namespace) -> ReleaseOptions:
    rollout, engines = rollout_options(args, config.DEPLOY_VOLUME), targets(args)
    return ReleaseOptions(args.version, rollout, engines, remote_options(args))
