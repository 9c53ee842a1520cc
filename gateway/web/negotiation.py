"""Content negotiation on the ``Accept`` header (RFC 9110, section 12.5.1)."""

from __future__ import annotations

from collections.abc import Sequence


def _ranges(accept: str) -> list[tuple[str, float]]:
    """Media ranges with their quality; malformed q values (not a number from 0 to 1)
    count as 1."""
    out: list[tuple[str, float]] = []
    for part in accept.split(","):
        pieces = [p.strip() for p in part.split(";")]
        media = pieces[0].lower()
        if not media:
            continue
        quality = 1.0
        for param in pieces[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 1.0
                if not 0.0 <= quality <= 1.0:  # NaN too: it would compare with nothing
                    quality = 1.0
        out.append((media, quality))
    return out


def _matches(media_range: str, offered: str) -> int:
    """How specifically ``media_range`` matches ``offered``: 2 exact, 1 type/*, 0 */*, -1 no."""
    if media_range == offered:
        return 2
    kind = offered.split("/", 1)[0]
    if media_range == f"{kind}/*":
        return 1
    if media_range == "*/*":
        return 0
    return -1


def choose(accept: str | None, offered: Sequence[str]) -> str | None:
    """The offered type the client prefers, or None when it admits none.

    A missing or empty header admits anything. Among equally preferred types the
    server's order of ``offered`` wins.
    """
    if not accept or not accept.strip():
        return offered[0] if offered else None
    ranges = _ranges(accept)
    best: tuple[float, int] = (0.0, 0)
    chosen: str | None = None
    for index, media in enumerate(offered):
        # The most specific matching range decides this type's quality; of equally
        # specific ones (a range listed twice) the highest, so the order never matters.
        specificity, quality = -1, 0.0
        for media_range, q in ranges:
            level = _matches(media_range, media)
            if level < 0:
                continue
            if level > specificity or (level == specificity and q > quality):
                specificity, quality = level, q
        if specificity >= 0 and quality > 0 and (quality, -index) > best:
            best, chosen = (quality, -index), media
    return chosen


def merge_vary(current: str | None, *names: str) -> str:
    """A ``Vary`` value: ``current`` with ``names`` added, each field name once (compared
    without case); ``*`` already names every field and stays alone."""
    fields = [f.strip() for f in (current or "").split(",") if f.strip()]
    if "*" in fields:
        return "*"
    seen = {f.lower() for f in fields}
    for name in names:
        if name.lower() not in seen:
            fields.append(name)
            seen.add(name.lower())
    return ", ".join(fields)
