"""Admin-collection and vocabulary endpoints of the Avalon simulator.

Collections list sorted by name (case-insensitively), items come back as an object keyed
by media-object id, names are unique ignoring case and whitespace, and the unit must be
in the ``units`` vocabulary. Vocabulary updates are administrator-only and take
``{"entry": ...}``: a string for array vocabularies, an object for hash vocabularies.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from aiohttp import web

from adapters.avalon.simulator.media import render
from adapters.avalon.simulator.plumbing import (
    errors,
    ident,
    logged_in,
    paginate,
    present,
    read_json_object,
    unauthorized,
)
from adapters.avalon.simulator.render import collection_json
from adapters.avalon.simulator.state import STATE, AvalonState, Collection, Json, Viewer

_TEXT_PARAMS = ("name", "description", "unit", "contact_email", "website_label", "website_url")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S+")


def _find_collection(state: AvalonState, collection_id: str) -> Collection:
    collection = state.collections.get(collection_id)
    if collection is None:
        raise errors(404, f"{collection_id} not found")
    return collection


def _readable_collection(request: web.Request) -> tuple[Viewer, Collection]:
    who = logged_in(request)
    collection = _find_collection(request.app[STATE], ident(request, "id"))
    if not who.collection_role(collection):
        raise unauthorized()
    return who, collection


async def list_collections(request: web.Request) -> web.StreamResponse:
    """GET /admin/collections.json: collections the user has a role in, sorted by name;
    401 for a user with no administrative access at all (ability.rb:105-107, 316-318)."""
    who = logged_in(request)
    state = request.app[STATE]
    if not who.administrative_access(state):
        raise unauthorized()
    visible = [c for c in state.collections.values() if who.collection_role(c)]
    visible.sort(key=lambda c: c.name.lower())
    page, headers = paginate(request, visible)
    return web.json_response([collection_json(c, state) for c in page], headers=headers)


async def show_collection(request: web.Request) -> web.StreamResponse:
    """GET /admin/collections/:id.json."""
    _, collection = _readable_collection(request)
    return web.json_response(collection_json(collection, request.app[STATE]))


async def collection_items(request: web.Request) -> web.StreamResponse:
    """GET /admin/collections/:id/items.json: an object keyed by media-object id."""
    _, collection = _readable_collection(request)
    page, headers = paginate(request, request.app[STATE].collection_objects(collection.id))
    body = {mo.id: render(request, mo) for mo in page}
    return web.json_response(body, headers=headers)


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return str(value)


def _sent_params(body: Json) -> Json:
    params = body.get("admin_collection")
    if not isinstance(params, dict):
        return {}
    sent: Json = {key: _text(params[key]) for key in _TEXT_PARAMS if key in params}
    managers = params.get("managers")
    if isinstance(managers, list):
        sent["managers"] = [str(m) for m in managers]
    return sent


def _uniq(name: str) -> str:
    # The uniqueness index upstream lowercases and drops whitespace.
    return re.sub(r"\s+", "", name.lower())


def _problems(state: AvalonState, candidate: Collection) -> list[str]:
    problems = []
    if not candidate.name.strip():
        problems.append("Name can't be blank")
    elif any(
        other.id != candidate.id and _uniq(other.name) == _uniq(candidate.name)
        for other in state.collections.values()
    ):
        problems.append("Name has already been taken")
    if not candidate.unit.strip():
        problems.append("Unit can't be blank")
    elif candidate.unit not in state.vocabulary.get("units", []):
        problems.append("Unit is not included in the list")
    if candidate.contact_email and not _EMAIL.fullmatch(candidate.contact_email):
        problems.append("Contact email is invalid")
    if candidate.website_url and not _URL.fullmatch(candidate.website_url):
        problems.append("Website url is invalid")
    return problems


async def create_collection(request: web.Request) -> web.StreamResponse:
    """POST /admin/collections.json: administrators only; the creator becomes manager."""
    who = logged_in(request)
    if not who.admin:
        raise unauthorized()
    state = request.app[STATE]
    sent = _sent_params(await read_json_object(request))
    candidate = Collection(
        id=state.new_id(),
        name=sent.get("name") or "",
        unit=sent.get("unit") or "",
        description=sent.get("description"),
        contact_email=sent.get("contact_email"),
        website_label=sent.get("website_label"),
        website_url=sent.get("website_url"),
        # Upstream merges managers: [current_user] over the sent list.
        managers=[who.user] if who.user else [],
    )
    problems = _problems(state, candidate)
    if problems:
        raise errors(422, "Failed to create collection:", *problems)
    state.collections[candidate.id] = candidate
    return web.json_response({"id": candidate.id})


async def update_collection(request: web.Request) -> web.StreamResponse:
    """PUT /admin/collections/:id.json: editors, managers and administrators
    (ability.rb:118-120)."""
    who = logged_in(request)
    state = request.app[STATE]
    collection = _find_collection(state, ident(request, "id"))
    if not who.can_update(collection):
        raise unauthorized()
    sent = _sent_params(await read_json_object(request))
    for required in ("name", "unit"):
        if required in sent and sent[required] is None:
            sent[required] = ""
    candidate = dataclasses.replace(collection, **sent)
    problems = _problems(state, candidate)
    if problems:
        raise errors(422, "Failed to update collection:", *problems)
    state.collections[collection.id] = candidate
    return web.json_response({"id": collection.id})


def _admin(request: web.Request) -> None:
    if not logged_in(request).admin:
        raise unauthorized()


def _vocabulary_name(request: web.Request) -> str:
    name = ident(request, "name")
    if not request.app[STATE].vocabulary.get(name):
        raise errors(404, f"Vocabulary not found for {name}")
    return name


async def list_vocabulary(request: web.Request) -> web.StreamResponse:
    """GET /vocabulary.json: every controlled vocabulary."""
    _admin(request)
    return web.json_response(request.app[STATE].vocabulary)


async def show_vocabulary(request: web.Request) -> web.StreamResponse:
    """GET /vocabulary/:name.json."""
    _admin(request)
    name = _vocabulary_name(request)
    return web.json_response(request.app[STATE].vocabulary[name])


async def _entry(request: web.Request) -> Any:
    if request.content_type == "application/json":
        return (await read_json_object(request)).get("entry")
    form = await request.post()
    entry = form.get("entry", request.query.get("entry"))
    return entry if isinstance(entry, str) else None


_WRONG_SHAPE = (
    "Update failed. Ensure that the new entry is in the proper form for the intended vocabulary."
)


async def update_vocabulary(request: web.Request) -> web.StreamResponse:
    """PUT /vocabulary/:name.json: 200 with an empty body (vocabulary_controller.rb:30-47).

    An object merges into a keyed vocabulary; anything else joins a list vocabulary as
    ``Array(entry)`` does; the other way round Ruby raises NoMethodError, answered 422.
    """
    _admin(request)
    name = _vocabulary_name(request)
    entry = await _entry(request)
    if not present(entry):
        raise errors(422, "No update value sent")
    current = request.app[STATE].vocabulary[name]
    if isinstance(current, list) and not isinstance(entry, dict):
        values = entry if isinstance(entry, list) else [entry]
        current.extend(v for v in values if v not in current)
    elif isinstance(current, dict) and isinstance(entry, dict):
        current.update(entry)
    else:
        raise errors(422, _WRONG_SHAPE)
    return web.Response(status=200, content_type="application/json")
