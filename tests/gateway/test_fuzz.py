"""Schemathesis over every operation ``/openapi.json`` describes, on a gateway in front of
one simulated backend of every kind.

The gateway serves on a loopback port from the test's event loop; schemathesis, whose
requests block, runs in a worker thread and calls it as an editor with a bearer token
(a fresh one per request: ``POST /auth/logout`` revokes the token it is sent with).

Ids made up at random find nothing, so before the run the gateway's own links are
followed from the root (:func:`_crawl`): the path values of every link that matches an
operation's path are kept, and a third of each operation's requests use them. Each
operation gets :data:`EXAMPLES` requests, valid and invalid, in an order fixed by
``derandomize``; every answer must be no server error and keep to what the document
says of its status, type and body. Every failure is collected, not just the first, and
none is shrunk: the run stays bounded.
"""

from __future__ import annotations

import asyncio
import re
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.cookiejar import DefaultCookiePolicy
from pathlib import Path
from typing import Any, Final
from urllib.parse import unquote, urlsplit

import hypothesis
import hypothesis.configuration
import requests
import schemathesis
from aiohttp import web
from hypothesis import HealthCheck, Phase
from hypothesis import strategies as st
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.checks import CheckFunction, not_a_server_error
from schemathesis.core.errors import InvalidSchema
from schemathesis.core.result import Ok, Result
from schemathesis.errors import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support.fixtures import EVERY_KIND, ConfigFactory, GatewayFactory
from tests.support.identities import token_for

EXAMPLES: Final = 12
"""Generated requests per operation."""
LEAST_CASES: Final = 1000
CRAWL: Final = 150
"""Documents read, at most, looking for ids."""
KNOWN: Final = 8
"""Path values kept, at most, per operation path."""
CHECKS: Final[list[CheckFunction]] = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

# Media types the document names as ranges (video/*, audio/*): sent as bytes of one type.
schemathesis.serializer("video/mp4", "audio/mpeg")(
    lambda _context, value: value if isinstance(value, bytes) else str(value).encode()
)


Operation = APIOperation[Any, Any, Any, Any]


def _operation(result: Result[Operation, InvalidSchema]) -> Operation:
    """An operation of the document; one it describes badly fails the run."""
    if isinstance(result, Ok):
        return result.ok()
    raise result.err()


def _described(app: web.Application) -> list[str]:
    """The operations ``/openapi.json`` describes: every route but HEAD."""
    return [f"{r.method} {r.resource}" for r in app.router.routes() if r.method != "HEAD"]


@dataclass
class Outcome:
    """What the run found."""

    operations: int = 0
    cases: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


@dataclass
class Caller:
    """Sends the run's requests: one connection pool, a fresh token each time."""

    session: requests.Session
    base_url: str
    token: Callable[[], str]

    def headers(self) -> dict[str, str]:
        """The editor's credentials for one request."""
        return {"Authorization": f"Bearer {self.token()}"}


def _fuzz(schema_url: str, token: Callable[[], str]) -> Outcome:
    """Run every operation of the document at ``schema_url``; blocking."""
    outcome = Outcome()
    with requests.Session() as session:
        # Whatever the gateway sets (a session cookie, were a login to pass) is not sent back.
        session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
        # Loaded as a document, not from its URL: schemathesis would leave out the
        # operation that serves it. Requests go where its ``servers`` entry says. Read as
        # the editor: the backends' routes are described only to those who may use them.
        answer = session.get(schema_url, headers={"Authorization": f"Bearer {token()}"}, timeout=30)
        answer.raise_for_status()
        document = answer.json()
        caller = Caller(session, document["servers"][0]["url"], token)
        schema = schemathesis.openapi.from_dict(document, config=schemathesis.Config())
        known = _crawl(caller, document)
        operations = [_operation(result) for result in schema.get_all_operations()]
        # Deletions last: the resources they remove stay there for the others.
        operations.sort(key=lambda operation: operation.method.upper() == "DELETE")
        for operation in operations:
            outcome.operations += 1
            _run(operation, caller, _values(known, operation.path), outcome)
    return outcome


def _path_patterns(document: Mapping[str, Any]) -> list[tuple[str, re.Pattern[str]]]:
    """Per templated path of ``document``, a regex of its raw paths, a group per value
    matching what the document says the value is."""
    patterns = []
    for template, operations in document["paths"].items():
        if "{" not in template:
            continue
        values = {
            p["name"]: p["schema"]["pattern"].removeprefix("^").removesuffix("$")
            for operation in operations.values()
            for p in operation.get("parameters", ())
            if p["in"] == "path"
        }
        parts = re.split(r"\{([^{}]+)\}", template)
        regex = "".join(
            f"(?P<{part}>{values[part]})" if i % 2 else re.escape(part)
            for i, part in enumerate(parts)
        )
        patterns.append((template, re.compile(regex)))
    return patterns


def _hrefs(value: Any) -> Iterator[str]:
    """Every ``href`` of a JSON document, wherever it is."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            if key == "href" and isinstance(item, str):
                yield item
            else:
                yield from _hrefs(item)
    elif isinstance(value, list):
        for item in value:
            yield from _hrefs(item)


def _crawl(caller: Caller, document: Mapping[str, Any]) -> dict[str, list[dict[str, str]]]:
    """Path values of real resources, per path template, from the links of the gateway's
    documents: breadth first from the root, up to :data:`CRAWL` documents."""
    patterns = _path_patterns(document)
    known: dict[str, list[dict[str, str]]] = {}
    queue, queued = deque(["/"]), {"/"}
    read = 0
    while queue and read < CRAWL:
        path = queue.popleft()
        answer = caller.session.get(
            caller.base_url + path, headers=caller.headers(), allow_redirects=False, timeout=30
        )
        read += 1
        if "json" not in answer.headers.get("Content-Type", ""):
            continue
        for href in _hrefs(answer.json()):
            # Templated links: their query expressions dropped, their path ones left out.
            href = re.sub(r"\{[?&][^{}]*\}", "", href)
            if not href.startswith(caller.base_url) or "{" in href:
                continue
            target = urlsplit(href[len(caller.base_url) :]).path or "/"
            for template, pattern in patterns:
                match = pattern.fullmatch(target)
                values = known.setdefault(template, [])
                if match is not None and len(values) < KNOWN:
                    found = {k: unquote(v) for k, v in match.groupdict().items()}
                    if found not in values:
                        values.append(found)
            if target not in queued and not target.startswith(("/rels/", "/problems/")):
                queued.add(target)
                queue.append(target)
    return known


def _values(known: Mapping[str, list[dict[str, str]]], template: str) -> list[dict[str, str]]:
    """The known path values of ``template``; failing any, those of the longest template
    it extends (an asset's id for its annotation), the others left to be generated."""
    if known.get(template):
        return known[template]
    shorter = [t for t, values in known.items() if values and template.startswith(t + "/")]
    return known[max(shorter, key=len)] if shorter else []


def _run(
    operation: Operation, caller: Caller, known: list[dict[str, str]], outcome: Outcome
) -> None:
    seen: set[str] = set()
    strategies = [
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    ]
    if known:
        strategies.append(
            st.sampled_from(known).flatmap(
                lambda values: operation.as_strategy(
                    GenerationMode.POSITIVE, path_parameters=values
                )
            )
        )

    @hypothesis.settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis.given(st.one_of(strategies))
    def test(case: Case[Operation]) -> None:
        outcome.cases += 1
        headers = caller.headers()
        response = case.call(caller.base_url, caller.session, headers, timeout=30)
        outcome.statuses[response.status_code] = outcome.statuses.get(response.status_code, 0) + 1
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except FailureGroup as failure:
            message = f"{operation.label}: {failure}"
            first = message.splitlines()[0]
            if first not in seen:  # one report per kind of failure and operation
                seen.add(first)
                outcome.failures.append(message)

    test()


async def test_every_operation_keeps_to_the_document(
    gateway: GatewayFactory, make_config: ConfigFactory, tmp_path: Path
) -> None:
    config = make_config(
        # The run measures the API, not the rate limit: far more requests than the default.
        server={"rate_limit_burst": 1_000_000},
        backends=EVERY_KIND,
    )
    client = await gateway(config, user=None)
    app = client.app
    # No example database, and Hypothesis' own files out of the source tree.
    hypothesis.configuration.set_hypothesis_home_dir(tmp_path / "hypothesis")
    try:
        outcome = await asyncio.to_thread(
            _fuzz, str(client.make_url("/openapi.json")), lambda: token_for(app, "editor")
        )
    finally:
        hypothesis.configuration.set_hypothesis_home_dir(None)
    assert not outcome.failures, f"{len(outcome.failures)} failures:\n\n" + "\n\n".join(
        outcome.failures
    )
    assert outcome.operations == len(_described(app))
    assert outcome.cases >= LEAST_CASES, outcome
    # Real resources were reached, not only made-up ids.
    succeeded = sum(n for status, n in outcome.statuses.items() if status < 300)
    assert succeeded >= outcome.cases // 5, outcome.statuses
