"""Failed logins are throttled per (user name, address) and per address, in a sliding window."""

from __future__ import annotations

import asyncio
import hashlib
import threading

import pytest

from gateway.app import STORE
from gateway.auth import passwords
from gateway.auth import throttle as throttling
from gateway.auth.authenticator import HASHING_AT_ONCE
from gateway.auth.throttle import LoginThrottle
from gateway.config.auth import AuthConfig
from gateway.state.memory_store import MemoryStore
from gateway.web.errors import TooManyRequests
from gateway.web.statuses import STATUS_TABLE
from tests.support.clocks import FakeClock
from tests.support.fixtures import ConfigFactory, GatewayFactory
from tests.support.identities import USERS, auth_table


async def test_a_name_is_locked_only_from_where_it_was_guessed_until_the_window_slides() -> None:
    clock = FakeClock()
    throttle = LoginThrottle(AuthConfig(login_attempts=3, login_window_s=60), MemoryStore(clock))
    for step in range(3):
        clock.now += 10 * bool(step)  # failures at 0, 10 and 20 s
        await throttle.check("editor", "10.0.0.1")
        await throttle.failed("editor", "10.0.0.1")
    with pytest.raises(TooManyRequests) as caught:
        await throttle.check("editor", "10.0.0.1")
    assert caught.value.headers["Retry-After"] == "40"  # the first failure leaves at 60 s
    await throttle.check("editor", "10.0.0.2")  # the person elsewhere is not locked out
    await throttle.check("reader", "10.0.0.1")  # nor their colleague at the same address
    clock.now += 39.5
    with pytest.raises(TooManyRequests) as caught:
        await throttle.check("Editor", "10.0.0.1")  # names count case-insensitively
    assert caught.value.headers["Retry-After"] == "1"  # half a second, rounded up
    clock.now += 1
    await throttle.check("editor", "10.0.0.1")  # the window slid past the first failure


async def test_one_address_trying_many_names_meets_the_address_ceiling() -> None:
    clock = FakeClock()
    auth = AuthConfig(login_attempts=5, login_address_attempts=3, login_window_s=60)
    throttle = LoginThrottle(auth, MemoryStore(clock))
    for name in ("alice", "bob", "carol"):
        await throttle.check(name, "10.0.0.9")
        await throttle.failed(name, "10.0.0.9")
    with pytest.raises(TooManyRequests) as caught:
        await throttle.check("dave", "10.0.0.9")
    assert caught.value.headers["Retry-After"] == "60"
    await throttle.check("dave", "10.0.0.10")


async def test_too_many_failed_logins_are_429_with_retry_after_even_with_the_right_password(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    config = make_config(auth=auth_table(login_attempts=3, login_window_s=120))
    client = await gateway(config, user=None)
    clock = FakeClock()
    client.app[STORE].clock = clock  # the windows are timed by the store's clock
    for _ in range(3):
        response = await client.post(
            "/auth/login", json={"username": "editor", "password": "guess-guess"}
        )
        assert response.status == 401
    clock.advance(30.25)
    right = {"username": "editor", "password": USERS["editor"][0]}
    throttled = await client.post("/auth/login", json=right)
    assert throttled.status == 429
    assert 429 in STATUS_TABLE
    assert throttled.headers["Retry-After"] == "90"  # 89.75 s until the first failure leaves
    body = await throttled.json()
    assert (body["code"], body["transient"]) == ("too-many-requests", True)
    assert body["detail"] == "too many failed logins; try again later"
    # The token endpoint counts the same failures.
    token = await client.post("/auth/token", data={"grant_type": "password", **right})
    assert token.status == 429
    # A colleague behind the same address logs in, and an unknown name is merely wrong.
    colleague = {"username": "reader", "password": USERS["reader"][0]}
    assert (await client.post("/auth/login", json=colleague)).status == 200
    ghost = await client.post("/auth/login", json={"username": "ghost", "password": "x" * 9})
    assert ghost.status == 401


async def test_concurrent_guesses_cannot_outrun_the_limit(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    client = await gateway(make_config(auth=auth_table(login_attempts=3)), user=None)
    guesses = [{"username": "editor", "password": f"guess-{n:04d}"} for n in range(20)]
    answers = await asyncio.gather(*(client.post("/auth/login", json=g) for g in guesses))
    statuses = sorted(a.status for a in answers)
    assert statuses == [401] * 3 + [429] * 17


async def test_behind_a_trusted_proxy_the_address_is_the_hop_it_saw(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    config = make_config(
        server={"trust_forwarded": True}, auth=auth_table(login_address_attempts=2)
    )
    client = await gateway(config, user=None)
    for n in range(2):
        # The client writes whatever it likes before the proxy's own entry.
        headers = {"X-Forwarded-For": f"198.51.100.{n}, 203.0.113.7"}
        wrong = {"username": f"name-{n}", "password": "wrong-guess"}
        assert (await client.post("/auth/login", json=wrong, headers=headers)).status == 401
    again = {"X-Forwarded-For": "192.0.2.99, 203.0.113.7"}
    third = {"username": "name-3", "password": "wrong-guess"}
    assert (await client.post("/auth/login", json=third, headers=again)).status == 429
    elsewhere = {"X-Forwarded-For": "203.0.113.8"}
    assert (await client.post("/auth/login", json=third, headers=elsewhere)).status == 401


async def test_valid_logins_from_one_address_run_side_by_side(
    gateway: GatewayFactory, make_config: ConfigFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every password check waits at a barrier for as many others as may hash at once:
    # logins that took turns would never meet there, and the barrier would break.
    meeting = threading.Barrier(HASHING_AT_ONCE, timeout=30)
    real_verify = passwords.verify

    def verify_together(password: str, stored: str) -> bool:
        meeting.wait()
        return real_verify(password, stored)

    monkeypatch.setattr(passwords, "verify", verify_together)
    client = await gateway(make_config(), user=None)
    right = {"username": "editor", "password": USERS["editor"][0]}
    answers = await asyncio.gather(
        *(client.post("/auth/login", json=right) for _ in range(2 * HASHING_AT_ONCE))
    )
    assert [a.status for a in answers] == [200] * (2 * HASHING_AT_ONCE)
    assert not meeting.broken


async def test_concurrent_guesses_of_many_names_cannot_outrun_the_address_ceiling(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    client = await gateway(make_config(auth=auth_table(login_address_attempts=3)), user=None)
    guesses = [{"username": f"name-{n}", "password": "wrong-guess"} for n in range(10)]
    answers = await asyncio.gather(*(client.post("/auth/login", json=g) for g in guesses))
    assert sorted(a.status for a in answers) == [401] * 3 + [429] * 7


def _throttle(login_attempts: int) -> LoginThrottle:
    clock = FakeClock()
    return LoginThrottle(AuthConfig(login_attempts=login_attempts), MemoryStore(clock))


async def _admitted(throttle: LoginThrottle, name: str, address: str) -> asyncio.Event:
    """An attempt that holds its place until the returned event is set."""
    admitted, done = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        async with throttle.attempt(name, address):
            admitted.set()
            await done.wait()

    await _until(admitted, asyncio.get_running_loop().create_task(hold()))
    return done


async def _until(event: asyncio.Event, task: asyncio.Task[None]) -> None:
    """Until ``event`` is set; an attempt refused or broken in ``task`` says so at once."""
    waiting = asyncio.ensure_future(event.wait())
    async with asyncio.timeout(5):
        await asyncio.wait({task, waiting}, return_when=asyncio.FIRST_COMPLETED)
    waiting.cancel()
    if task.done():
        task.result()


async def test_attempts_from_elsewhere_pass_those_waiting_at_a_busy_address() -> None:
    throttle = _throttle(login_attempts=2)
    first, second = [await _admitted(throttle, "editor", "10.0.0.1") for _ in range(2)]
    third = asyncio.create_task(_admitted(throttle, "editor", "10.0.0.1"))
    # The third guess waits: the two running could still use up both failures allowed.
    await asyncio.sleep(0)
    assert not third.done()
    async with asyncio.timeout(5):  # another address, another name: no waiting at all
        async with throttle.attempt("editor", "10.0.0.2"), throttle.attempt("reader", "10.0.0.1"):
            pass
    await throttle.failed("editor", "10.0.0.1")
    first.set()  # one failure recorded and its place freed: still no room for the third
    for _ in range(5):
        await asyncio.sleep(0)
    assert not third.done()
    second.set()  # the second got in: one failure left, nobody running
    async with asyncio.timeout(5):
        (await third).set()


async def test_an_attempt_waits_only_so_long_and_behind_so_many(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(throttling, "WAITING_PER_KEY", 3)
    throttle = _throttle(login_attempts=1)
    running = await _admitted(throttle, "editor", "10.0.0.1")
    throttle.admit_wait_s = 0
    with pytest.raises(TooManyRequests, match="at once") as caught:
        async with throttle.attempt("editor", "10.0.0.1"):
            pass
    assert caught.value.headers["Retry-After"] == "1"
    throttle.admit_wait_s = 30
    waiting = [asyncio.create_task(_admitted(throttle, "editor", "10.0.0.1")) for _ in range(3)]
    for _ in range(10):  # let each of them reach its place in the queue
        await asyncio.sleep(0)
    with pytest.raises(TooManyRequests, match="at once") as caught:
        async with throttle.attempt("editor", "10.0.0.1"):
            pass
    assert caught.value.headers["Retry-After"] == "1"
    running.set()
    for task in waiting:  # each in turn, none lost
        async with asyncio.timeout(5):
            (await task).set()


async def test_a_cancelled_attempt_frees_its_place() -> None:
    throttle = _throttle(login_attempts=1)
    entered = asyncio.Event()

    async def hang() -> None:
        async with throttle.attempt("editor", "10.0.0.1"):
            entered.set()
            await asyncio.Event().wait()

    task = asyncio.create_task(hang())
    await _until(entered, task)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    async with asyncio.timeout(5):
        (await _admitted(throttle, "editor", "10.0.0.1")).set()


async def test_failures_are_kept_hashed_one_window_per_pair_and_one_per_address() -> None:
    """Every gateway process sharing a store counts under these keys, whatever its version."""
    store = MemoryStore(FakeClock())
    throttle = LoginThrottle(AuthConfig(login_window_s=60), store)
    await throttle.failed("Editor", "10.0.0.1")
    pair = hashlib.sha256(b"10.0.0.1\0editor").hexdigest()[:32]  # the name case-folded
    address = hashlib.sha256(b"10.0.0.1").hexdigest()[:32]
    assert len(await store.window(f"failures:pair:{pair}", 60)) == 1
    assert len(await store.window(f"failures:address:{address}", 60)) == 1
    await throttle.failed("EDITOR", "10.0.0.1")
    assert len(await store.window(f"failures:pair:{pair}", 60)) == 2


class _SlowAnswers(MemoryStore):
    """Counts failures when asked, but the answer arrives only when the test lets it, as
    over a network: meanwhile, other attempts go on."""

    def __init__(self) -> None:
        super().__init__(FakeClock())
        self.answering = asyncio.Event()
        self.answering.set()

    async def window(self, key: str, window_s: float, *, add: bool = False) -> list[float]:
        found = await super().window(key, window_s, add=add)
        if not add:
            await self.answering.wait()
        return found


@pytest.mark.parametrize(
    ("wait_s", "retry_after", "detail"),
    [
        pytest.param(5, "60", "too many failed logins; try again later", id="counted-again"),
        pytest.param(
            0, "1", "too many logins at once from this address; try again shortly", id="no-time"
        ),
    ],
)
async def test_a_count_read_while_an_attempt_ended_is_not_trusted(
    monkeypatch: pytest.MonkeyPatch, wait_s: float, retry_after: str, detail: str
) -> None:
    if not wait_s:
        # The loop's clock stands still: no time left to wait is none, not a little less.
        monkeypatch.setattr(asyncio.get_running_loop(), "time", lambda: 1000.0)
    store = _SlowAnswers()
    throttle = LoginThrottle(AuthConfig(login_attempts=1, login_window_s=60), store)
    async with throttle.attempt("reader", "10.0.0.9"):  # attempts have ended before
        pass
    throttle.admit_wait_s = wait_s

    async def second_guess() -> None:
        async with throttle.attempt("editor", "10.0.0.1"):
            pass

    async with throttle.attempt("editor", "10.0.0.1"):  # the first guess
        store.answering.clear()
        second = asyncio.create_task(second_guess())
        for _ in range(3):  # the second counts no failure yet; the answer is on its way
            await asyncio.sleep(0)
        await throttle.failed("editor", "10.0.0.1")
    # The first failed and ended before the second's count arrived.
    store.answering.set()
    with pytest.raises(TooManyRequests) as caught:
        await second
    assert caught.value.detail == detail
    assert caught.value.headers["Retry-After"] == retry_after


async def test_an_attempt_with_no_time_to_wait_is_refused_at_once() -> None:
    throttle = _throttle(login_attempts=1)
    running = await _admitted(throttle, "editor", "10.0.0.1")
    throttle.admit_wait_s = 0

    async def guess() -> None:
        async with throttle.attempt("editor", "10.0.0.1"):
            pass

    refused = asyncio.create_task(guess())
    for _ in range(5):
        await asyncio.sleep(0)
    running.set()  # the place frees right after: too late for it
    with pytest.raises(TooManyRequests, match="at once") as caught:
        await refused
    assert caught.value.headers["Retry-After"] == "1"


async def test_an_ended_attempt_gives_back_its_place_and_no_more() -> None:
    throttle = _throttle(login_attempts=1)
    async with throttle.attempt("editor", "10.0.0.1"):  # the right password: no failure
        pass
    running = await _admitted(throttle, "editor", "10.0.0.1")
    waiting = asyncio.create_task(_admitted(throttle, "editor", "10.0.0.1"))
    for _ in range(5):
        await asyncio.sleep(0)
    assert not waiting.done()  # one failure allowed and one attempt running: the next waits
    running.set()
    async with asyncio.timeout(5):
        (await waiting).set()
