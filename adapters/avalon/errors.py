"""Avalon's error bodies, read without what they tell of the server behind them.

Avalon's controllers answer ``{"errors": [...]}``; its supplemental-files controller
answers ``{"errors": "<one string>"}``, and for a bad request or an unknown file that
string is Ruby's ``Exception#full_message`` (``supplemental_files_controller.rb:27-33``
in avalonmediasystem/avalon): ``<path>.rb:<line>:in '<Class#method>': <message>
(<Class>)`` and then one ``\\tfrom <path>:<line>:in ...`` line per frame, gem versions
and all. Its save errors carry inspected Ruby arrays (``["..."]``) and sometimes another
exception's full message (its line 52). Rails answers what nothing rescues with
``{"status": 500, "error": "Internal Server Error"}``, or an HTML page.

:func:`read_error` keeps the messages and drops the rest: the backtrace, the raise
site, the exception's class, file paths, gem versions, array brackets, terminal
colours, and whatever names a host: Ruby inspections (``#<URI::HTTP http://...>``),
URLs but those of a few public vocabularies, ``host:port``, IP addresses,
``for "host" port N``, ``host "name"``. Avalon answers the outages of its own
services (Solr, Fedora, the database) with 503 and the exception's message
(``application_controller.rb:268-288``), which names those services' hosts: a 5xx
answer says :data:`OUTAGE` instead, but for the supplemental-files controller's own
save and delete failures (``An error occurred when ...``, its lines 52-59, 115, 140),
which a client needs to read.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Final

from gateway.spi import UpstreamFault, default_error_reader

OUTAGE: Final = "Avalon could not answer: one of its own services failed"
"""What a 5xx answer says instead of messages that name Avalon's own services."""
KEPT_ON_5XX: Final = "An error occurred when "
"""How the supplemental-files controller's own save and delete failures begin."""
PUBLIC_HOSTS: Final = frozenset({"rightsstatements.org", "creativecommons.org"})
"""Hosts (and their subdomains) whose URLs Avalon's messages quote as vocabulary terms."""
MAX_CHARS: Final = 300
"""Longer messages are cut: Avalon's own messages are short, anything longer is noise."""

_ANSI: Final = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# A raise site or frame: "<path>.rb:<line>:in 'Class#method': " (Ruby 3.4 quotes with
# '...', older Rubies with `...'), or Ruby's own "<internal:kernel>:187:in 'loop': ".
_FRAME: Final = re.compile(r"(?:\S*\.rb|<internal:[^>\s]*>):\d+(?::in [`'][^'`\n]*')?:?\s*")
_CLASS_SUFFIX: Final = re.compile(r"\s*\((?:[A-Z]\w*::)*[A-Z]\w*\)\s*$")
_ARRAY: Final = re.compile(r'\[((?:"(?:[^"\\]|\\.)*"(?:,\s*)?)+)\]')
_EMPTY_ARRAY: Final = re.compile(r"\s*\[\]$")
_QUOTED: Final = re.compile(r'"((?:[^"\\]|\\.)*)"')
_ESCAPE: Final = re.compile(r"\\(.)")
# An absolute path of two segments or more, not the path of a URL (no host before it).
_PATH: Final = re.compile(r"(?<![\w.:/~-])/(?:[\w.@+~-]+/)+[\w.@+~-]*")
_GEM: Final = re.compile(r"\b[a-z][a-z0-9_]*(?:-[a-z0-9_]+)*-\d+\.\d+\.\d+(?:\.\d+)*\b")
_SPACES: Final = re.compile(r"\s{2,}")
# A Ruby inspection, "#<URI::HTTP http://...>", one level of nesting deep.
_INSPECTED: Final = re.compile(r"#<[^<>]*(?:<[^<>]*>[^<>]*)*>")
_URL: Final = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]*://[^\s\"'<>()\[\]{}|\\^`]+")
_FOR_PORT: Final = re.compile(r'\s*\bfor "[^"]*" port \d+')
_NAMED_HOST: Final = re.compile(r'\bhost "[^"]*"')
_PORT: Final = re.compile(r"\bport \d{1,5}\b")
_HOST_PORT: Final = re.compile(
    r"(?<![\w.:-])(?:\[[0-9A-Fa-f:.%\w]+\]|\d{1,3}(?:\.\d{1,3}){3}|[A-Za-z][\w-]*(?:\.[\w-]+)*)"
    r":\d{1,5}(?![\w:])"
)
_IPV4: Final = re.compile(r"(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?![\w.])")
_IPV6: Final = re.compile(r"(?<![\w:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:%\w+)?(?![\w:])")


def _strings(array: re.Match[str]) -> str:
    """The strings of an inspected Ruby array, joined: ``["a", "b"]`` → ``a; b``."""
    unescape = {"n": " ", "t": " ", "e": ""}
    found = (_ESCAPE.sub(lambda m: unescape.get(m[1], m[1]), s) for s in _QUOTED.findall(array[0]))
    return "; ".join(found)


def _url(match: re.Match[str]) -> str:
    url = match[0].rstrip(".,:;!?")
    host = (re.match(r"[^:]+://(?:[^@/]*@)?([^/:?#]*)", url) or match)[1].lower()
    public = any(host == h or host.endswith("." + h) for h in PUBLIC_HOSTS)
    return match[0] if public else "<url>" + match[0][len(url) :]


def _address(match: re.Match[str]) -> str:
    try:
        ipaddress.ip_address(match[0].partition("%")[0])
    except ValueError:
        return match[0]
    return "<address>"


def _hosts(text: str) -> str:
    """``text`` with whatever names a host masked; allowed URLs are kept."""
    text = _INSPECTED.sub("<object>", text)
    text = _URL.sub(_url, text)
    text = _FOR_PORT.sub("", text)
    text = _PORT.sub("port <port>", _NAMED_HOST.sub("host <host>", text))
    text = _HOST_PORT.sub("<host>", text)
    return _IPV6.sub(_address, _IPV4.sub(_address, text))


def clean(message: str) -> str:
    """One Avalon message without the server's internals; empty when nothing is left."""
    # The backtrace starts on line two.
    text = _ANSI.sub("", message).lstrip().split("\n", 1)[0]
    if _FRAME.search(text):
        text = _CLASS_SUFFIX.sub("", _FRAME.sub("", text))
    text = _ARRAY.sub(_strings, _EMPTY_ARRAY.sub("", text.rstrip()))
    text = _hosts(_GEM.sub("", _PATH.sub("<path>", text)))
    text = _SPACES.sub(" ", text).strip().rstrip(":").strip()
    return text if len(text) <= MAX_CHARS else text[: MAX_CHARS - 1] + "…"


def read_error(status: int, content_type: str, body: bytes) -> UpstreamFault:
    """Avalon's messages from an error answer, each :func:`clean`; HTML pages say nothing.

    A 5xx answer says :data:`OUTAGE`, and keeps only the supplemental-files controller's
    own failures (:data:`KEPT_ON_5XX`).
    """
    fault = default_error_reader(status, content_type, body)
    messages = [text for text in (clean(m) for m in fault.messages) if text]
    if status >= 500:
        messages = [m for m in messages if m.startswith(KEPT_ON_5XX)] or [OUTAGE]
    return UpstreamFault(messages, fault.code)
