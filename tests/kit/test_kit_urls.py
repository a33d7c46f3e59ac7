"""`is_public_url`: whether a phone elsewhere can reach a URL (the posters' QR codes)."""

import pytest

from vantio.kit.urls import is_public_url


@pytest.mark.parametrize(
    "url",
    [
        "https://example.org/s/abc",
        "http://example.org:8080/s/abc",
        "https://go.campus.example.edu",
        "https://93.184.216.34/s/abc",
        "https://[2606:4700::6810:85e5]/s/abc",
        "https://[2002:808:808::1]/s/abc",  # 6to4 of a public address
        "https://[64:ff9b::808:808]/s/abc",  # NAT64 (DNS64 network) of a public address
        "https://[::ffff:8.8.8.8]/s/abc",
        "HTTPS://EXAMPLE.ORG/s/abc",
    ],
)
def test_public(url: str) -> None:
    assert is_public_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:3000/s/abc",  # loopback
        "http://127.1/s/abc",  # loopback, in the short form browsers accept
        "http://0x7f.1/s/abc",
        "http://0.0.0.0:3000/s/abc",  # unspecified
        "http://[::1]:3000/s/abc",
        "http://[::ffff:10.0.0.1]/s/abc",  # IPv4-mapped private
        "http://[2002:7f00:1::]/s/abc",  # 6to4 of 127.0.0.1
        "http://[2002:c0a8:101::]/s/abc",  # 6to4 of 192.168.1.1
        "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/s/abc",  # Teredo (client 127.0.0.1)
        "http://[2001:0:a00:1::1]/s/abc",  # Teredo, server 10.0.0.1
        "http://[64:ff9b::7f00:1]/s/abc",  # NAT64 of 127.0.0.1
        "http://[64:ff9b:1::808:808]/s/abc",  # NAT64 local-use prefix: always this network
        "http://[::ffff:7f00:1]/s/abc",  # IPv4-mapped loopback, hex form
        "http://[::127.0.0.1]/s/abc",  # IPv4-compatible (deprecated)
        "http://[::a00:1]/s/abc",
        "http://10.1.2.3/s/abc",  # private
        "http://172.16.0.9/s/abc",
        "http://192.168.1.20/s/abc",
        "http://100.64.0.1/s/abc",  # carrier-grade NAT
        "http://169.254.169.254/s/abc",  # link-local
        "http://[fe80::1]/s/abc",
        "http://localhost:3000/s/abc",
        "http://api.localhost/s/abc",
        "http://printer.local/s/abc",
        "http://vantio.internal/s/abc",
        "http://nas.home.arpa/s/abc",
        "http://testserver/s/abc",  # a single label resolves only inside one network
        "http://vantio./s/abc",
        "ftp://example.org/s/abc",
        "example.org/s/abc",
        "http:///s/abc",
        "http://[::1/s/abc",  # unparsable
        "",
    ],
)
def test_not_public(url: str) -> None:
    assert not is_public_url(url)
