"""Start and stop the ECR rig: a moto server (ECR API) and a TLS registry (image storage)."""

from __future__ import annotations

import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import bcrypt

ACCOUNT = "123456789012"  # moto's default account
REGION = "us-east-1"
REGISTRY_HOST = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com"
# moto's GetAuthorizationToken always hands out AWS:<account>-auth-token.
PASSWORD = f"{ACCOUNT}-auth-token"
HOSTS_FILE = Path("/etc/hosts")
DOCKER_CERTS = Path("/etc/docker/certs.d")
SYSTEM_CA = Path("/etc/ssl/certs/ca-certificates.crt")
REGISTRY_BIN = "docker-registry"


class RigError(RuntimeError):
    pass


@dataclass
class Rig:
    workdir: Path
    moto_port: int
    processes: list[subprocess.Popen[bytes]]

    @property
    def ca_bundle(self) -> Path:
        """System CAs plus the rig's, for HTTPS clients other than the Docker daemon."""
        return self.workdir / "ca-bundle.pem"

    @property
    def registry_data(self) -> Path:
        return self.workdir / "registry-data"

    def env(self) -> dict[str, str]:
        """What a shell or a subprocess needs to use the rig as if it were AWS."""
        return {
            "AWS_ENDPOINT_URL_ECR": f"http://127.0.0.1:{self.moto_port}",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "SSL_CERT_FILE": str(self.ca_bundle),
        }

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()


def _openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def make_certs(directory: Path) -> None:
    """A throwaway CA and a server certificate for REGISTRY_HOST signed by it."""
    ca_key, ca_crt = directory / "ca.key", directory / "ca.crt"
    _openssl(
        *("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3"),
        *("-keyout", str(ca_key), "-out", str(ca_crt), "-subj", "/CN=rag-api ECR rig CA"),
    )
    (directory / "san.ext").write_text(f"subjectAltName=DNS:{REGISTRY_HOST}\n")
    _openssl(
        *("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={REGISTRY_HOST}"),
        *("-keyout", str(directory / "server.key"), "-out", str(directory / "server.csr")),
    )
    _openssl(
        *("x509", "-req", "-days", "3", "-in", str(directory / "server.csr")),
        *("-CA", str(ca_crt), "-CAkey", str(ca_key), "-CAcreateserial"),
        *("-extfile", str(directory / "san.ext"), "-out", str(directory / "server.crt")),
    )


def trust(directory: Path) -> None:
    """Map the registry's name to loopback and make the Docker daemon trust the rig's CA."""
    line = f"127.0.0.1 {REGISTRY_HOST}"
    hosts = HOSTS_FILE.read_text()
    if line not in hosts.splitlines():
        HOSTS_FILE.write_text(hosts.rstrip("\n") + f"\n{line}  # rag-api ECR rig\n")
    certs = DOCKER_CERTS / REGISTRY_HOST
    certs.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(directory / "ca.crt", certs / "ca.crt")
    system = SYSTEM_CA.read_text() if SYSTEM_CA.is_file() else ""
    (directory / "ca-bundle.pem").write_text(system + (directory / "ca.crt").read_text())


def registry_config(directory: Path) -> Path:
    hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=5)).decode()
    (directory / "htpasswd").write_text(f"AWS:{hashed}\n")
    config = directory / "registry.yml"
    config.write_text(
        f"""version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: {directory / "registry-data"}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:443
  secret: rag-api-rig
  tls:
    certificate: {directory / "server.crt"}
    key: {directory / "server.key"}
auth:
  htpasswd:
    realm: rag-api-rig
    path: {directory / "htpasswd"}
"""
    )
    return config


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(
    url: str, process: subprocess.Popen[bytes], context: ssl.SSLContext | None, log: Path
) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text(errors="replace").strip().splitlines()[-3:]
            raise RigError(f"{process.args!r} exited with {process.returncode}: {tail}")
        try:
            urllib.request.urlopen(url, timeout=2, context=context)  # noqa: S310 - loopback
            return
        except urllib.error.HTTPError:
            return  # it answers (the registry says 401 without credentials)
        except OSError:
            time.sleep(0.2)
    raise RigError(f"{url} did not answer within 30 s")


def _spawn(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)


def start(workdir: Path) -> Rig:
    """Start both servers under `workdir`; needs root (port 443, /etc/hosts, certs.d)."""
    if shutil.which(REGISTRY_BIN) is None:
        raise RigError("docker-registry is not installed: apt-get install docker-registry")
    workdir.mkdir(parents=True, exist_ok=True)
    make_certs(workdir)
    trust(workdir)
    rig = Rig(workdir, free_port(), [])
    registry = _spawn(
        [REGISTRY_BIN, "serve", str(registry_config(workdir))], workdir / "registry.log"
    )
    rig.processes.append(registry)
    moto = _spawn(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(rig.moto_port)],
        workdir / "moto.log",
    )
    rig.processes.append(moto)
    try:
        context = ssl.create_default_context(cafile=str(rig.ca_bundle))
        _wait(f"https://{REGISTRY_HOST}/v2/", registry, context, workdir / "registry.log")
        _wait(f"http://127.0.0.1:{rig.moto_port}/", moto, None, workdir / "moto.log")
    except RigError:
        rig.stop()
        raise
    return rig


def main() -> int:
    """`python -m rig.ecr DIR`: run the rig in the foreground and print its environment."""
    workdir = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/rag-api-ecr-rig")  # noqa: S108
    rig = start(workdir)
    for key, value in rig.env().items():
        print(f"export {key}={value}")
    print(f"# registry {REGISTRY_HOST} (user AWS); Ctrl-C stops the rig", flush=True)
    try:
        signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        rig.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
