"""When the upstream client tries again: its backoff and how it reads ``Retry-After``."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from gateway.upstream.retries import Deadline, RetryPolicy, retry_after_s


@pytest.mark.parametrize(
    ("attempt", "cap"),
    [
        pytest.param(1, 0.05, id="first-retry"),
        pytest.param(2, 0.1, id="second-retry"),
        pytest.param(3, 0.2, id="third-retry"),
        pytest.param(6, 1.0, id="capped"),
    ],
)
def test_backoff_is_full_jitter_below_a_doubling_cap(attempt: int, cap: float) -> None:
    policy = RetryPolicy(base_delay_s=0.05, max_delay_s=1.0, rng=random.Random(7))  # noqa: S311 - jitter, not a secret
    delays = [policy.delay(attempt) for _ in range(500)]
    assert all(0 <= d <= cap for d in delays)
    # Full jitter: anywhere from no wait at all up to the cap.
    assert min(delays) < 0.05 * cap
    assert max(delays) > 0.95 * cap


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        pytest.param(None, None, id="absent"),
        pytest.param("0", 0.0, id="now"),
        pytest.param(" 120 ", 120.0, id="spaces"),
        pytest.param("999999999", 999_999_999.0, id="nine-digits"),
        pytest.param("1000000000", math.inf, id="ten-digits"),
        pytest.param("0" * 40 + "1", math.inf, id="forty-one-digits"),
        pytest.param("-5", None, id="negative"),
        pytest.param("1.5", None, id="fraction"),
        pytest.param("٣", None, id="non-ascii-digit"),
        pytest.param("soon", None, id="garbage"),
        pytest.param("Wed, 21 Oct 2015 07:28:00 GMT", 0.0, id="date-in-the-past"),
    ],
)
def test_retry_after_values(value: str | None, seconds: float | None) -> None:
    assert retry_after_s(value) == seconds


def test_a_retry_after_date_is_the_wait_until_then_in_gmt() -> None:
    when = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    wait = retry_after_s(format_datetime(when, usegmt=True))
    assert wait is not None
    assert 3500 < wait <= 3600
    # "-0000" (RFC 5322: no zone information) is read as GMT too, as RFC 9110 dates are.
    unzoned = format_datetime(when).replace("+0000", "-0000")
    assert unzoned.endswith("-0000")
    later = retry_after_s(unzoned)
    assert later is not None
    assert 3500 < later <= 3600


async def test_a_spent_budget_has_nothing_left_never_less() -> None:
    assert Deadline(0).remaining() == 0.0
    assert Deadline(-5).remaining() == 0.0
    left = Deadline(600).remaining()
    assert 0 < left <= 600
