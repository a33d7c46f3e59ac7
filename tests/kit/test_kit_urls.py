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
