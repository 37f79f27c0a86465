"""The addresses a URL ingest may reach: every probe refused, by the rule it breaks; public
addresses allowed; an operator's allow list opens what it names and nothing else."""

from __future__ import annotations

import ipaddress

import pytest

from src.errors import RefusedUrlError
from src.web.guard import AllowList, check_connect, refusal

PROBES = {
    "127.0.0.1": "loopback",
    "127.8.9.10": "loopback",
    "10.0.0.1": "private",
    "10.255.255.254": "private",
    "172.16.0.1": "private",
    "172.31.255.1": "private",
    "192.168.1.1": "private",
    "169.254.169.254": "cloud metadata",
    "169.254.10.10": "link-local",
    "100.64.0.1": "not globally routable",
    "0.0.0.0": "unspecified",
    "224.0.0.1": "multicast",
    "240.0.0.1": "private",
    "255.255.255.255": "private",
    "::1": "loopback",
    "::": "unspecified",
    "fd00::1": "private",
    "fc00::1": "private",
    "fe80::1": "link-local",
    "ff02::1": "multicast",
    "::ffff:127.0.0.1": "loopback address inside an IPv6 address",
    "::ffff:169.254.169.254": "cloud metadata address inside an IPv6 address",
    "::ffff:10.1.2.3": "private address inside an IPv6 address",
    "2002:7f00:1::": "loopback address inside an IPv6 address",
    "2002:a9fe:a9fe::": "cloud metadata address inside an IPv6 address",
    "64:ff9b::7f00:1": "loopback address inside an IPv6 address",
    "64:ff9b::a9fe:a9fe": "cloud metadata address inside an IPv6 address",
}


@pytest.mark.parametrize("address", sorted(PROBES))
def test_refusal_names_the_rule_of_each_probe(address: str) -> None:
    why = refusal(ipaddress.ip_address(address))
    assert why is not None and PROBES[address] in why


@pytest.mark.parametrize("address", ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"])
def test_refusal_of_a_public_address_is_none(address: str) -> None:
    assert refusal(ipaddress.ip_address(address)) is None


def test_check_connect_refuses_with_422_kind_and_names_host_and_address() -> None:
    with pytest.raises(RefusedUrlError) as refused:
        check_connect("metadata.internal", ipaddress.ip_address("169.254.169.254"), AllowList())
    assert "metadata.internal (169.254.169.254)" in refused.value.message
    assert "RAG_URL_ALLOW" in refused.value.hint


def test_allow_list_opens_networks_and_hosts_it_names_only() -> None:
    allow = AllowList.parse("10.0.0.0/8, wiki.internal, .corp.example,fd00::/8")
    opened = [("x", "10.1.2.3"), ("x", "fd00::5"), ("wiki.internal", "192.168.1.1")]
    opened += [("a.corp.example", "192.168.1.2"), ("corp.example.", "127.0.0.1")]
    for host, address in opened:
        check_connect(host, ipaddress.ip_address(address), allow)
    for host, address in [("x", "192.168.1.1"), ("wiki.internal.evil", "127.0.0.1")]:
        with pytest.raises(RefusedUrlError):
            check_connect(host, ipaddress.ip_address(address), allow)
