"""The access log: one line per answered request, naming the request id."""

from __future__ import annotations

import json
import logging
import re

import aiohttp
import pytest

from gateway.web import accesslog
from gateway.web.logformat import JsonFormatter
from tests.support.served import Serve

LINE = re.compile(
    r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO gateway\.access: "
    r'(?P<peer>\S+) "(?P<method>[A-Z]+) (?P<target>\S+) HTTP/1\.1" (?P<status>\d{3}) '
    r"(?P<bytes>\d+) (?P<seconds>\d+\.\d{6})s req=(?P<id>\S+)"
)


def _access_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if " gateway.access" in line]


async def test_each_answer_gets_one_line_with_its_status_size_and_request_id(
    serve: Serve, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="gateway.access")
    host, port = await serve()
    async with aiohttp.ClientSession() as client:
        async with client.get(f"http://{host}:{port}/?q=1") as ok:
            body = await ok.read()
        async with client.get(
            f"http://{host}:{port}/nothing-here", headers={"X-Request-Id": "trace-42"}
        ) as missing:
            await missing.read()
    lines = _access_lines(capsys.readouterr().err)
    assert len(lines) == 2
    first, second = (LINE.fullmatch(line) for line in lines)
    assert first is not None, lines
    assert second is not None, lines
    assert (first["peer"], first["method"], first["target"]) == ("127.0.0.1", "GET", "/?q=1")
    assert int(first["status"]) == 200
    # The answer's bytes on the wire: its head and its body.
    assert len(body) < int(first["bytes"]) < len(body) + 2048
    assert first["id"] == ok.headers["X-Request-Id"]
    assert (second["target"], second["status"], second["id"]) == (
        "/nothing-here",
        "401",
        "trace-42",
    )


async def test_no_line_is_written_when_the_access_logger_is_off(
    serve: Serve, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="gateway.access")
    host, port = await serve()
    async with aiohttp.ClientSession() as client, client.get(f"http://{host}:{port}/") as ok:
        assert ok.status == 200
    assert _access_lines(capsys.readouterr().err) == []


@pytest.mark.parametrize("json_lines", [False, True], ids=["text", "json"])
async def test_credentials_in_the_query_never_reach_the_log(
    serve: Serve,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    json_lines: bool,
) -> None:
    caplog.set_level(logging.INFO, logger="gateway.access")
    if json_lines:
        accesslog.write_lines_with(JsonFormatter().access)
    host, port = await serve()
    # An identity provider's answer at the single sign-on callback, and tokens sent
    # where they do not belong (names in any case, even percent-encoded).
    query = (
        "code=SplxlOBeZQQYbYS6WxSbIA&state=af0ifjsldkj&page=2&Access_Token=tok-123"
        "&%72efresh_token=ref-456&id_token_hint=eyJhbGciOi&q=code%3Dvisible"
    )
    try:
        async with aiohttp.ClientSession() as client:
            url = f"http://{host}:{port}/auth/login/oidc/callback?{query}"
            async with client.get(url) as answer:
                await answer.read()
    finally:
        accesslog.write_lines_with(None)
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if "gateway.access" in line]
    assert len(lines) == 1
    for secret in ("SplxlOBeZQQYbYS6WxSbIA", "af0ifjsldkj", "tok-123", "ref-456", "eyJhbGciOi"):
        assert secret not in err
    assert "page=2" in lines[0]
    assert "q=code%3Dvisible" in lines[0]  # only a parameter's name decides, never its value
    assert "code=REDACTED&state=REDACTED" in lines[0]
    if json_lines:
        line = json.loads(lines[0])
        assert line["path"].startswith("/auth/login/oidc/callback?code=REDACTED&state=REDACTED")
