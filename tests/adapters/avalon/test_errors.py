"""Avalon's error bodies as clients see them: its messages, none of its internals.

Avalon's supplemental-files controller answers bad requests and unknown files with
Ruby's full message, backtrace and all (``supplemental_files_controller.rb:27-33``).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

import pytest
from aiohttp import web

from adapters.avalon.errors import MAX_CHARS, OUTAGE, clean, read_error
from adapters.avalon.simulator import DEFAULT_ADMIN_KEY
from adapters.avalon.simulator.ruby import bad_request, not_found
from tests.support.avalon import first_media_object as _first_media_object
from tests.support.fixtures import ConfigFactory, GatewayFactory
from tests.support.navigator import Navigator

Serve = Callable[[web.Application], Awaitable[str]]

# What no problem document may hold of the server behind Avalon.
INTERNALS = (".rb", "/home/app", "from ", "gems", "Avalon::", "actionpack", "\t")


def _no_internals(problem: dict[str, object]) -> None:
    text = json.dumps(problem, ensure_ascii=False)
    for internal in INTERNALS:
        assert internal not in text, internal


async def test_an_unknown_file_is_404_with_avalons_message_only(nav: Navigator) -> None:
    media_object = await _first_media_object(nav)
    files = nav.href(media_object, "avalon:supplemental-files")
    problem = await nav.problem("GET", files.partition("{")[0] + "/999", 404)
    assert problem["upstream_status"] == 404
    assert problem["errors"] == ["Supplemental file: 999 not found"]
    _no_internals(problem)


async def test_a_bad_request_is_400_with_avalons_message_only(nav: Navigator) -> None:
    media_object = await _first_media_object(nav)
    files = nav.href(media_object, "avalon:supplemental-files")
    problem = await nav.problem("POST", files, 400, json={})
    assert problem["upstream_status"] == 400
    assert problem["errors"] == ["Missing required parameters"]
    _no_internals(problem)


_FULL = not_found("Supplemental file: 9 not found", 197, "show")
_OLD_RUBY = (
    "/opt/avalon/app/controllers/supplemental_files_controller.rb:197:in "
    "`find_supplemental_file': Supplemental file: 9 not found (Avalon::NotFound)\n"
    "\tfrom /opt/avalon/vendor/bundle/ruby/3.1.0/gems/actionpack-7.2.2/lib/x.rb:8:in `y'"
)
_ATTACH = (
    "An error occurred when saving the supplemental file: File could not be attached: "
    "/home/app/avalon/app/models/supplemental_file.rb:41:in 'SupplementalFile#attach_file': "
    "ERROR!!!! (LoadError)\n\tfrom /home/app/avalon/app/controllers/x.rb:50:in 'y'"
)


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        pytest.param(_FULL, "Supplemental file: 9 not found", id="full-message"),
        pytest.param(
            bad_request("Missing required Accept headers", 105, "update"),
            "Missing required Accept headers",
            id="bad-request",
        ),
        pytest.param(_OLD_RUBY, "Supplemental file: 9 not found", id="older-ruby-quoting"),
        pytest.param("\x1b[1m" + _FULL + "\x1b[m", "Supplemental file: 9 not found", id="ansi"),
        pytest.param(
            _ATTACH,
            "An error occurred when saving the supplemental file: "
            "File could not be attached: ERROR!!!!",
            id="embedded-full-message",
        ),
        pytest.param(
            'An error occurred when saving the supplemental file: ["File type Uploaded file '
            'is not a recognized captions file", "Language is \\"xx\\""]',
            "An error occurred when saving the supplemental file: File type Uploaded file is "
            'not a recognized captions file; Language is "xx"',
            id="inspected-array",
        ),
        pytest.param(
            "An error occurred when deleting the supplemental file: []",
            "An error occurred when deleting the supplemental file",
            id="empty-array",
        ),
        pytest.param(
            "Problem saving MasterFile for /srv/avalon/dropbox/x.mp4:",
            "Problem saving MasterFile for <path>",
            id="file-path",
        ),
        pytest.param(
            "Rights statement (http://rightsstatements.org/vocab/InC/1.0/) not in controlled "
            "vocabulary",
            "Rights statement (http://rightsstatements.org/vocab/InC/1.0/) not in controlled "
            "vocabulary",
            id="url-kept",
        ),
        pytest.param("Name can't be blank (English)", "Name can't be blank (English)", id="plain"),
        pytest.param("uses puma-6.6.0 here", "uses here", id="gem-version"),
    ],
)
def test_clean(raw: str, cleaned: str) -> None:
    assert clean(raw) == cleaned


def test_long_messages_are_cut() -> None:
    assert len(clean("x" * 1000)) == MAX_CHARS


# Ruby 3.4's Exception#full_message(highlight: false) as Avalon's supplemental-files
# controller sends it, written out here rather than built by the simulator's helper.
_RUBY_34 = (
    "/home/app/avalon/app/controllers/supplemental_files_controller.rb:197:in "
    "'SupplementalFilesController#find_supplemental_file': Supplemental file: 9 not found "
    "(Avalon::NotFound)\n"
    "\tfrom /home/app/avalon/app/controllers/supplemental_files_controller.rb:82:in "
    "'SupplementalFilesController#show'\n"
    "\tfrom /usr/local/bundle/gems/actionpack-8.0.2.1/lib/action_controller/metal/"
    "basic_implicit_render.rb:8:in 'ActionController::BasicImplicitRender#send_action'\n"
    "\tfrom /usr/local/bundle/gems/activesupport-8.0.2.1/lib/active_support/callbacks.rb:120:"
    "in 'block in ActiveSupport::Callbacks#run_callbacks'\n"
    "\tfrom <internal:kernel>:187:in 'loop'\n"
    "\tfrom /usr/local/bundle/gems/puma-6.6.0/lib/puma/thread_pool.rb:167:in "
    "'block in Puma::ThreadPool#spawn_thread'"
)
_FEDORA = (
    "Failed to open TCP connection to fedora:8080 (getaddrinfo: Name or service not known) "
    'for "fedora" port 8080'
)
_SOLR = (
    "RSolr::Error::ConnectionRefused: Connection refused - {:data=>nil, :method=>:get, "
    ':params=>{:wt=>:json}, :query=>"wt=json&q=id%3Aabc", :path=>"select", '
    ":uri=>#<URI::HTTP http://solr.prod.internal:8983/solr/avalon/select?wt=json&q=id%3Aabc>, "
    ":open_timeout=>nil, :read_timeout=>nil}"
)
_POSTGRES = (
    "PG::ConnectionBad: could not connect to server: Connection refused Is the server "
    'running on host "db.prod.local" (10.1.2.3) and accepting TCP/IP connections on port 5432?'
)
# What no message may hold of the hosts behind Avalon.
HOSTS = ("fedora", "8080", "solr.prod.internal", "8983", "db.prod.local", "10.1.2.3", "5432")


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        pytest.param(_RUBY_34, "Supplemental file: 9 not found", id="ruby-3.4-verbatim"),
        pytest.param(
            "<internal:kernel>:187:in 'loop': stopped (StopIteration)",
            "stopped",
            id="internal-frame",
        ),
        pytest.param(
            "undefined method `[]' for nil", "undefined method `[]' for nil", id="method-brackets"
        ),
        pytest.param(
            "\nSupplemental file: 9 not found",
            "Supplemental file: 9 not found",
            id="leading-newline",
        ),
        pytest.param(
            _FEDORA,
            "Failed to open TCP connection to <host> (getaddrinfo: Name or service not known)",
            id="fedora-host-port",
        ),
        pytest.param(
            "Could not reach http://fedora.internal/rest/dev/abc: refused",
            "Could not reach <url>: refused",
            id="url-masked",
        ),
        pytest.param(
            "License https://creativecommons.org/licenses/by/4.0/ unknown",
            "License https://creativecommons.org/licenses/by/4.0/ unknown",
            id="allowed-url-kept",
        ),
        pytest.param("no route to [fd00::12]:443", "no route to <host>", id="ipv6-host-port"),
        pytest.param("no route to fe80::1%eth0 now", "no route to <address> now", id="ipv6"),
        pytest.param("timeout from 192.168.4.20", "timeout from <address>", id="ipv4"),
        pytest.param(
            "at 00:00:02.500 the cue ends", "at 00:00:02.500 the cue ends", id="times-kept"
        ),
    ],
)
def test_clean_masks_what_names_a_host(raw: str, cleaned: str) -> None:
    assert clean(raw) == cleaned


@pytest.mark.parametrize("raw", [_FEDORA, _SOLR, _POSTGRES])
def test_below_500_no_host_survives_either(raw: str) -> None:
    text = clean(raw)
    for host in HOSTS:
        assert host not in text, (host, text)


@pytest.mark.parametrize("status", [500, 502, 503])
def test_an_outage_says_only_that_avalon_failed(status: int) -> None:
    body = json.dumps({"errors": [_FEDORA, _SOLR, _POSTGRES]}).encode()
    fault = read_error(status, "application/json", body)
    assert list(fault.messages) == [OUTAGE]


async def test_an_outage_reaches_the_client_without_avalons_hosts(
    gateway: GatewayFactory, make_config: ConfigFactory, upstream: Serve
) -> None:
    """application_controller.rb:268-288 answers Solr, Fedora and database failures with
    503 and the exception's message."""

    async def outage(request: web.Request) -> web.StreamResponse:
        return web.json_response({"errors": [_FEDORA, _SOLR, _POSTGRES]}, status=503)

    app = web.Application()
    app.router.add_get("/media_objects/{id}", outage)
    url = await upstream(app)
    backend = {"kind": "avalon", "url": url, "api_key": DEFAULT_ADMIN_KEY, "retries": 0}
    nav = Navigator(await gateway(make_config(backends={"archive": backend})), "archive")
    root = await nav.backend()
    response, problem = await nav.request("GET", nav.href(root, "avalon:media-object", id="a1"))
    assert (response.status, problem["upstream_status"]) == (503, 503)
    assert problem["errors"] == [OUTAGE]
    text = json.dumps(problem)
    for host in HOSTS:
        assert host not in text, host


@pytest.mark.parametrize(
    ("status", "content_type", "body", "messages"),
    [
        pytest.param(
            404,
            "application/json",
            json.dumps({"errors": _FULL}).encode(),
            ["Supplemental file: 9 not found"],
            id="string",
        ),
        pytest.param(
            422,
            "application/json",
            b'{"errors": ["Title can\'t be blank", ""]}',
            ["Title can't be blank"],
            id="list",
        ),
        pytest.param(
            500,
            "application/json",
            b'{"status": 500, "error": "Internal Server Error"}',
            [OUTAGE],
            id="rails-public-exception",
        ),
        pytest.param(
            500,
            "application/json",
            b'{"errors": "An error occurred when saving the supplemental file: [\\"Bad\\"]"}',
            ["An error occurred when saving the supplemental file: Bad"],
            id="save-error-kept",
        ),
        pytest.param(
            500,
            "application/json",
            json.dumps({"errors": "An error occurred when saving: " + _FEDORA}).encode(),
            [
                "An error occurred when saving: Failed to open TCP connection to <host> "
                "(getaddrinfo: Name or service not known)"
            ],
            id="save-error-naming-a-host",
        ),
        pytest.param(404, "text/html", b"<html><body>We're sorry</body></html>", [], id="page"),
        pytest.param(
            500, "text/html", b"<html><body>We're sorry</body></html>", [OUTAGE], id="page-500"
        ),
    ],
)
def test_read_error(status: int, content_type: str, body: bytes, messages: list[str]) -> None:
    assert list(read_error(status, content_type, body).messages) == messages
