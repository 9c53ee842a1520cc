"""Which redirect URI of a request matches a registered one (RFC 6749 3.1.2, RFC 8252 7.3)."""

from __future__ import annotations

import pytest

from gateway.config.redirects import registered

REGISTERED = (
    "https://app.example.org/cb",
    "http://127.0.0.1/native",
    "http://[::1]/native6",
    "http://127.0.0.1:8400/fixed",
    "http://localhost/named",
    "com.example.app:/cb",
)


@pytest.mark.parametrize(
    ("uri", "matches"),
    [
        pytest.param("https://app.example.org/cb", True, id="exact"),
        pytest.param("https://app.example.org/cb/", False, id="trailing-slash"),
        pytest.param("https://APP.example.org/cb", False, id="other-case"),
        pytest.param("https://app.example.org/cb?x=1", False, id="added-query"),
        pytest.param("https://app.example.org:443/cb", False, id="explicit-port"),
        pytest.param("http://127.0.0.1:53682/native", True, id="loopback-any-port"),
        pytest.param("http://127.0.0.1/native", True, id="loopback-no-port"),
        pytest.param("http://[::1]:9000/native6", True, id="loopback-v6-any-port"),
        pytest.param("http://127.0.0.1:53682/native/x", False, id="loopback-other-path"),
        pytest.param("http://127.0.0.2:53682/native", False, id="other-loopback-address"),
        pytest.param("http://127.0.0.1:9/fixed", False, id="registered-with-a-port"),
        pytest.param("http://127.0.0.1:8400/fixed", True, id="registered-port"),
        pytest.param("http://localhost:3000/named", False, id="localhost-other-port"),
        pytest.param("https://127.0.0.1:53682/native", False, id="https-on-loopback"),
        pytest.param("http://u@127.0.0.1:53682/native", False, id="userinfo"),
        pytest.param("http://127.0.0.1:x/native", False, id="no-port-number"),
        pytest.param("com.example.app:/cb", True, id="private-use-scheme"),
        pytest.param("com.example.app:/cb2", False, id="private-use-other-path"),
    ],
)
def test_a_redirect_uri_matches_exactly_or_on_loopback_by_any_port(uri: str, matches: bool) -> None:
    assert registered(uri, REGISTERED) is matches
