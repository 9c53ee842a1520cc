"""JSON in and out: orjson's speed with the standard library's exactness.

orjson reads and writes JSON several times faster than :mod:`json`, and every answer the
gateway gives and most it reads are JSON. At the edges the two differ, and the gateway
must lose nothing on the way:

- orjson reads an integer past 64 bits as a float, silently dropping digits (an
  upstream's 20-digit id would come out changed);
- it refuses what :mod:`json` takes: ``NaN`` and ``Infinity``, lone surrogate escapes, a
  UTF-8 byte order mark, numbers past the float range;
- it refuses to write integers past 64 bits, keys that are not strings and lone surrogates.

So a document with a run of 19 or more digits anywhere (the shortest integer that may not
fit, wherever it sits: a false alarm in a string only costs speed), or one orjson refuses,
goes through :mod:`json`. The result is exactly the standard library's, its errors
included, but for one: a document nested deeper than the parser's stack is
:class:`TooDeep`, a ``ValueError``, not ``RecursionError``. So callers catch
``ValueError`` (``json.JSONDecodeError``, orjson's and :class:`TooDeep` are all one) and
``UnicodeDecodeError``, and a hostile document is never a crash.

One difference stays by choice: ``NaN`` and the infinities are written as ``null``, which
is JSON, where :mod:`json` writes tokens no JSON parser has to take.
"""

from __future__ import annotations

import json
from typing import Any, Final

import orjson

# Every digit becomes a 9, so a run of 19 nines is a run of 19 digits: a translation
# and a substring search are several times faster than a regular expression here.
_DIGITS_AS_NINES: Final = bytes.maketrans(b"0123456789", b"9" * 10)
_LONG_RUN: Final = b"9" * 19


class TooDeep(ValueError):
    """A document nested deeper than the parser's stack reaches."""


def loads(data: bytes) -> Any:
    """``data`` parsed as JSON, exactly as :func:`json.loads` parses it; a document nested
    too deeply for it is a ``ValueError`` too (:class:`TooDeep`)."""
    if _LONG_RUN not in data.translate(_DIGITS_AS_NINES):
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            pass  # maybe something only the standard library takes; it has the last word
    try:
        return json.loads(data)
    except RecursionError:
        # Nested deeper than the parser's stack: malformed for every caller, never a crash.
        raise TooDeep("the JSON document is nested too deeply") from None


def dumps(value: Any, *, sort_keys: bool = False) -> bytes:
    """``value`` as compact UTF-8 JSON.

    What orjson refuses is written by :mod:`json` with non-ASCII escaped, so that a lone
    surrogate still gives valid bytes; what neither can write raises ``TypeError``.
    """
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS if sort_keys else None)
    except TypeError:
        return json.dumps(value, separators=(",", ":"), sort_keys=sort_keys).encode("ascii")
