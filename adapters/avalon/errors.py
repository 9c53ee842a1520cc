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
colours.
"""

from __future__ import annotations

import re
from typing import Final

from gateway.spi import UpstreamFault, default_error_reader

MAX_CHARS: Final = 300
"""Longer messages are cut: Avalon's own messages are short, anything longer is noise."""

_ANSI: Final = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# A raise site or frame: "<path>.rb:<line>:in 'Class#method': " (Ruby 3.4 quotes with
# '...', older Rubies with `...').
_FRAME: Final = re.compile(r"\S*\.rb:\d+(?::in [`'][^'`\n]*')?:?\s*")
_CLASS_SUFFIX: Final = re.compile(r"\s*\((?:[A-Z]\w*::)*[A-Z]\w*\)\s*$")
_ARRAY: Final = re.compile(r'\[((?:"(?:[^"\\]|\\.)*"(?:,\s*)?)*)\]')
_QUOTED: Final = re.compile(r'"((?:[^"\\]|\\.)*)"')
_ESCAPE: Final = re.compile(r"\\(.)")
# An absolute path of two segments or more, not the path of a URL (no host before it).
_PATH: Final = re.compile(r"(?<![\w.:/~-])/(?:[\w.@+~-]+/)+[\w.@+~-]*")
_GEM: Final = re.compile(r"\b[a-z][a-z0-9_]*(?:-[a-z0-9_]+)*-\d+\.\d+\.\d+(?:\.\d+)*\b")
_SPACES: Final = re.compile(r"\s{2,}")


def _strings(array: re.Match[str]) -> str:
    """The strings of an inspected Ruby array, joined: ``["a", "b"]`` → ``a; b``."""
    unescape = {"n": " ", "t": " ", "e": ""}
    found = (_ESCAPE.sub(lambda m: unescape.get(m[1], m[1]), s) for s in _QUOTED.findall(array[0]))
    return "; ".join(found)


def clean(message: str) -> str:
    """One Avalon message without the server's internals; empty when nothing is left."""
    text = _ANSI.sub("", message).split("\n", 1)[0]  # the backtrace starts on line two
    if _FRAME.search(text):
        text = _CLASS_SUFFIX.sub("", _FRAME.sub("", text))
    text = _ARRAY.sub(_strings, text)
    text = _GEM.sub("", _PATH.sub("<path>", text))
    text = _SPACES.sub(" ", text).strip().rstrip(":").strip()
    return text if len(text) <= MAX_CHARS else text[: MAX_CHARS - 1] + "…"


def read_error(status: int, content_type: str, body: bytes) -> UpstreamFault:
    """Avalon's messages from an error answer, each :func:`clean`; HTML pages say nothing."""
    fault = default_error_reader(status, content_type, body)
    messages = [text for text in (clean(m) for m in fault.messages) if text]
    return UpstreamFault(messages, fault.code)
