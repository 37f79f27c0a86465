"""Which addresses a URL ingest may connect to. By default only globally routable unicast
ones: never loopback, private, shared (CGNAT), link-local (169.254.169.254, the cloud
metadata service, above all), multicast, reserved or unspecified, nor an IPv6 address that
carries one of those inside it (IPv4-mapped, 6to4, Teredo, NAT64). The check is made on the
address a connection is about to be opened to, after DNS, so a name that resolves to a
refused address is refused and no second lookup can slip another address in. An operator
opens chosen networks or host names with RAG_URL_ALLOW."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from src.errors import RefusedUrlError

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_METADATA = ipaddress.IPv4Address("169.254.169.254")


def _kind(address: Address) -> str | None:
    """What makes an address off limits, as a reader would name it (None: it is not)."""
    if address == _METADATA:
        return "the cloud metadata address"
    checks = (
        ("is_loopback", "a loopback address"),
        ("is_link_local", "a link-local address"),
        ("is_multicast", "a multicast address"),
        ("is_unspecified", "the unspecified address"),
        ("is_private", "a private address"),
        ("is_reserved", "a reserved address"),
    )
    for attribute, named in checks:
        if getattr(address, attribute):
            return named
    return None if address.is_global else "an address that is not globally routable"


def _embedded(address: Address) -> Address | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, Teredo, NAT64), if any."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def refusal(address: Address) -> str | None:
    """Why the service may not connect to `address` (None: it may)."""
    inner = _embedded(address)
    if inner is not None and (named := _kind(inner)):
        return f"{named} inside an IPv6 address"
    return _kind(address)


@dataclass(frozen=True)
class AllowList:
    """What an operator opened (RAG_URL_ALLOW): networks, and host names (exact, or with a
    leading dot for a domain and its subdomains)."""

    networks: tuple[Network, ...] = ()
    hosts: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def parse(cls, spec: str) -> AllowList:
        networks: list[Network] = []
        hosts: set[str] = set()
        for item in (part.strip() for part in spec.split(",")):
            if not item:
                continue
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                hosts.add(item.lower().rstrip("."))
        return cls(tuple(networks), frozenset(hosts))

    def opens_host(self, host: str) -> bool:
        host = host.lower().rstrip(".")
        return host in self.hosts or any(
            h.startswith(".") and (host.endswith(h) or host == h[1:]) for h in self.hosts
        )

    def opens(self, address: Address) -> bool:
        return any(address in network for network in self.networks)


def check_connect(host: str, address: Address, allow: AllowList) -> None:
    """Refuse (RefusedUrlError) a connection to `address` for `host`, unless allowed."""
    why = refusal(address)
    if why is None or allow.opens(address) or allow.opens_host(host):
        return
    shown = host if host == str(address) else f"{host} ({address})"
    raise RefusedUrlError(
        f"refused to fetch from {shown}: {why}",
        hint="URL ingestion reaches only public addresses; an operator opens others with "
        "RAG_URL_ALLOW",
    )
