"""A TCP relay from a port inside a network namespace to one in this process's own namespace.

The rig's second engine lives in its own namespace, where 127.0.0.1 is not the host's; this
makes the registry's host name (mapped to 127.0.0.1 in /etc/hosts) work there too.
`python -m rig.forward NETNS_PATH PORT`: listens on 127.0.0.1:PORT in NETNS_PATH, relays to
127.0.0.1:PORT here.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import socket
import sys
import threading

CLONE_NEWNET = 0x40000000


def _setns(path: str) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    descriptor = os.open(path, os.O_RDONLY)
    try:
        if libc.setns(descriptor, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"setns({path})")
    finally:
        os.close(descriptor)


def listen_in(netns: str, port: int) -> socket.socket:
    """A listening socket inside `netns`; this process then returns to its own namespace."""
    own = f"/proc/self/task/{threading.get_native_id()}/ns/net"
    home = os.open(own, os.O_RDONLY)
    try:
        _setns(netns)
        listener = socket.create_server(("127.0.0.1", port))
    finally:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.setns(home, CLONE_NEWNET)
        os.close(home)
    return listener


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


def _relay(client: socket.socket, port: int) -> None:
    try:
        upstream = socket.create_connection(("127.0.0.1", port))
    except OSError:
        client.close()
        return
    threading.Thread(target=_pipe, args=(client, upstream), daemon=True).start()
    _pipe(upstream, client)


def main() -> int:
    netns, port = sys.argv[1], int(sys.argv[2])
    listener = listen_in(netns, port)
    print("ready", flush=True)
    while True:
        client, _ = listener.accept()
        threading.Thread(target=_relay, args=(client, port), daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
