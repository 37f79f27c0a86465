#!/usr/bin/env bash
# Makes `FROM python:3.11-slim-bookworm` resolve for linux/arm64 as well as linux/amd64 on a
# machine that reaches no container registry, the way Docker Hub resolves it for real users (a
# manifest list with one image per architecture):
#   config  QEMU runs arm64 programs (Debian 13's static qemu-aarch64, registered with
#           binfmt_misc),
#           and the engine takes a local registry (127.0.0.1:5055) as its Docker Hub mirror;
#           run it before the engine starts (BuildKit reads mirrors only when dockerd starts:
#           a running engine is restarted);
#   serve   a stand-in for the official image's arm64 variant is built from Debian's own arm64
#           packages (like ../shared/ci/docker-env.sh builds the amd64 one), and that registry
#           (Debian's docker-registry) serves both stand-ins under one manifest list, so a
#           build for linux/arm64 pulls the arm64 variant by the official name. Needs the
#           engine and the amd64 stand-in (docker-env.sh); minutes on a fresh machine (the
#           arm64 packages are configured under QEMU), so CI runs it beside the tests.
# Idempotent.
#
#   bash rig/arm64-base.sh [config|serve]     # both when not told
set -euo pipefail
BASE_IMAGE="${BASE_IMAGE:-python:3.11-slim-bookworm}"
TAG="rag-stand-in/$BASE_IMAGE-arm64"
MIRROR=127.0.0.1:5055
CACHE_DIR="${DOCKER_ENV_CACHE:-/var/cache/docker-env}"
log() { printf 'arm64-base: %s\n' "$*" >&2; }

apt_install() {
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null \
    || { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null; }
}

# Debian 12's QEMU (7.2) deadlocks as onnxruntime starts (its CPU probe); Debian 13's (10.0)
# runs it. Its qemu-user package's static qemu-aarch64 is all that is needed.
qemu_10() {
  local binary=/usr/local/lib/rag-qemu/qemu-aarch64
  if [ ! -x "$binary" ]; then
    local tmp src; tmp=$(mktemp -d); src="$tmp/trixie.sources"
    printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: trixie\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' > "$src"
    local apt_opts=(-o Dir::Etc::sourcelist="$src" -o Dir::Etc::sourceparts=- -o Dir::State::Lists="$tmp/lists")
    mkdir -p "$tmp/lists/partial"
    apt-get update -qq "${apt_opts[@]}" >/dev/null
    (cd "$tmp" && apt-get download -qq "${apt_opts[@]}" qemu-user >/dev/null 2>&1)
    dpkg-deb -x "$tmp"/qemu-user_*.deb "$tmp/x"
    install -D -m 0755 "$tmp/x/usr/bin/qemu-aarch64" "$binary"
    rm -rf "$tmp"
  fi
  echo "$binary"
}

config() {
  if [ ! -e /proc/sys/fs/binfmt_misc/register ]; then
    mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  fi
  local qemu; qemu=$(qemu_10)
  if ! grep -qx "interpreter $qemu" /proc/sys/fs/binfmt_misc/qemu-aarch64 2>/dev/null; then
    [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] && echo -1 > /proc/sys/fs/binfmt_misc/qemu-aarch64
    # The "F" flag: the kernel keeps QEMU open, so containers (other root filesystems) find it.
    printf '%s' ":qemu-aarch64:M::\x7f\x45\x4c\x46\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00:\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:$qemu:F" \
      > /proc/sys/fs/binfmt_misc/register
    log "arm64 programs run under $("$qemu" --version | head -1)"
  fi
  local file=/etc/docker/daemon.json
  grep -q "$MIRROR" "$file" 2>/dev/null && return 0
  python3 - "$file" "http://$MIRROR" <<'PY'
import json, pathlib, sys
path, mirror = pathlib.Path(sys.argv[1]), sys.argv[2]
config = json.loads(path.read_text()) if path.is_file() else {}
config["registry-mirrors"] = [mirror, *config.get("registry-mirrors", [])]
path.parent.mkdir(parents=True, exist_ok=True)
path.write_text(json.dumps(config, indent=2) + "\n")
PY
  log "the engine takes $MIRROR as its Docker Hub mirror"
  if pidof dockerd >/dev/null; then
    kill "$(pidof dockerd)"
    while pidof dockerd >/dev/null; do sleep 0.5; done
    (setsid nohup dockerd >>/var/log/dockerd.log 2>&1 &)
    for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  fi
}

stand_in() {
  docker image inspect "$TAG" >/dev/null 2>&1 && return 0
  local tarball="$CACHE_DIR/python-bookworm-arm64-rootfs.tar"
  if [ ! -s "$tarball" ]; then
    log "building an arm64 stand-in for $BASE_IMAGE from Debian packages (minutes)"
    command -v debootstrap >/dev/null 2>&1 || apt_install debootstrap
    local root; root=$(mktemp -d)
    debootstrap --arch=arm64 --variant=minbase \
      --include=python3,python3-pip,python3-venv,ca-certificates \
      bookworm "$root" http://deb.debian.org/debian >/dev/null
    rm -f "$root"/usr/lib/python3*/EXTERNALLY-MANAGED
    ln -sf python3 "$root/usr/bin/python"
    ln -sf pip3 "$root/usr/bin/pip"
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
    mkdir -p "$CACHE_DIR"
    tar -C "$root" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
    rm -rf "$root"
  fi
  # Built, not `docker import`ed: an import records the engine's own architecture.
  local context; context=$(mktemp -d)
  ln "$tarball" "$context/rootfs.tar" 2>/dev/null || cp "$tarball" "$context/rootfs.tar"
  printf '%s\n' 'FROM scratch' 'ADD rootfs.tar /' \
    'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8' \
    'CMD ["python3"]' > "$context/Dockerfile"
  docker buildx build -q --platform linux/arm64 --load -t "$TAG" "$context" >/dev/null
  rm -rf "$context"
  log "built $TAG"
}

serve() {
  stand_in
  command -v docker-registry >/dev/null 2>&1 || apt_install docker-registry
  if ! curl -fsS "http://$MIRROR/v2/" >/dev/null 2>&1; then
    mkdir -p "$CACHE_DIR/base-mirror"
    printf 'version: 0.1\nlog: {level: warn}\nstorage: {filesystem: {rootdirectory: %s}}\nhttp: {addr: %s}\n' \
      "$CACHE_DIR/base-mirror" "$MIRROR" > "$CACHE_DIR/base-mirror.yml"
    (setsid nohup docker-registry serve "$CACHE_DIR/base-mirror.yml" >/var/log/base-mirror.log 2>&1 &)
    for _ in $(seq 1 30); do curl -fsS "http://$MIRROR/v2/" >/dev/null 2>&1 && break; sleep 0.5; done
  fi
  local listed="$MIRROR/library/$BASE_IMAGE"
  docker manifest inspect --insecure "$listed" 2>/dev/null | grep -q arm64 && return 0
  for arch in amd64 arm64; do
    local source_image="$BASE_IMAGE"; [ "$arch" = arm64 ] && source_image="$TAG"
    docker tag "$source_image" "$listed-$arch"
    docker push -q "$listed-$arch" >/dev/null
    docker rmi "$listed-$arch" >/dev/null
  done
  docker manifest rm "$listed" >/dev/null 2>&1 || true
  docker manifest create --insecure "$listed" "$listed-amd64" "$listed-arm64" >/dev/null
  docker manifest push --insecure --purge "$listed" >/dev/null
  log "$MIRROR serves $BASE_IMAGE for linux/amd64 and linux/arm64"
}

case "${1:-both}" in
  config) config ;;
  serve) serve ;;
  both) config; serve ;;
  *) log "usage: $0 [config|serve]"; exit 2 ;;
esac
