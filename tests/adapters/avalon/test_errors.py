"""Avalon's error bodies as clients see them: its messages, none of its internals.

Avalon's supplemental-files controller answers bad requests and unknown files with
Ruby's full message, backtrace and all (``supplemental_files_controller.rb:27-33``).
"""

from __future__ import annotations

import json

import pytest

from adapters.avalon.errors import MAX_CHARS, clean, read_error
from adapters.avalon.simulator.ruby import bad_request, not_found
from tests.support.avalon import first_media_object as _first_media_object
from tests.support.navigator import Navigator

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


@pytest.mark.parametrize(
    ("content_type", "body", "messages"),
    [
        pytest.param(
            "application/json",
            json.dumps({"errors": _FULL}).encode(),
            ["Supplemental file: 9 not found"],
            id="string",
        ),
        pytest.param(
            "application/json",
            b'{"errors": ["Title can\'t be blank", ""]}',
            ["Title can't be blank"],
            id="list",
        ),
        pytest.param(
            "application/json",
            b'{"status": 500, "error": "Internal Server Error"}',
            ["Internal Server Error"],
            id="rails-public-exception",
        ),
        pytest.param("text/html", b"<html><body>We're sorry</body></html>", [], id="page"),
    ],
)
def test_read_error(content_type: str, body: bytes, messages: list[str]) -> None:
    assert list(read_error(500, content_type, body).messages) == messages
