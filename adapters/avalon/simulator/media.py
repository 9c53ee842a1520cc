"""Media-object endpoints of the Avalon simulator (``/media_objects``).

Behaviour follows the real ``MediaObjectsController``
(``app/controllers/media_objects_controller.rb``, "MOC" below): POST answers 200 (not
201), ``publish`` and ``replace_masterfiles`` only matter when ``files`` is sent, master
files without derivatives are still attached, ``import_bib_record`` without a configured
catalog changes nothing, and DELETE answers 302 to ``/`` whether or not the key may
delete: a background job removes the objects it may, later (they stay readable until
then and answer 410 after), and the others stay as they are.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from adapters.avalon.simulator.plumbing import (
    base_url,
    errors,
    ident,
    logged_in,
    paginate,
    present,
    read_json_object,
    ruby_truthy,
    unauthorized,
    viewer,
)
from adapters.avalon.simulator.render import (
    DERIVATIVE_KEYS,
    MASTER_FILE_KEYS,
    default_fields,
    media_object_json,
    record_identifier,
)
from adapters.avalon.simulator.state import (
    CONFIG,
    PURGE_TASKS,
    STATE,
    AvalonState,
    Json,
    MasterFile,
    MediaObject,
)

# Master-file keys the real controller permits from a ``files`` entry.
_SPEC_KEYS = frozenset(MASTER_FILE_KEYS) - {
    "percent_complete",
    "status_code",
    "label",
    "original_filename",
    "supplemental_file_captions",
}
_API_UPLOADER = "REST API"


def find_media_object(state: AvalonState, object_id: str) -> MediaObject:
    """The media object; 404 when unknown, 410 for good once deleted (Fedora's tombstone,
    application_controller.rb:185-202)."""
    mo = state.media_objects.get(object_id)
    if mo is None:
        if object_id in state.tombstones:
            raise errors(410, f"{object_id} has been deleted")
        raise errors(404, f"{object_id} not found")
    return mo


def render(request: web.Request, mo: MediaObject, *, editor: bool = True) -> Json:
    """A media object; ``editor=False`` drops files, visibility and read_groups, as only
    ``show`` does for a user who may not edit (MOC:339). The lists (MOC:325,
    admin/collections_controller.rb:101) drop nothing."""
    return media_object_json(
        mo,
        request.app[STATE],
        base=base_url(request),
        # Exactly the string "true" turns it on, as upstream compares with == "true".
        include_structure=request.query.get("include_structure") == "true",
        editor=editor,
    )


async def list_media_objects(request: web.Request) -> web.StreamResponse:
    """GET /media_objects.json: the objects the user may read, paginated."""
    who = logged_in(request)
    state = request.app[STATE]
    readable = [mo for mo in state.live_media_objects() if who.can_read(mo, state)]
    page, headers = paginate(request, readable)
    return web.json_response([render(request, mo) for mo in page], headers=headers)


async def show_media_object(request: web.Request) -> web.StreamResponse:
    """GET /media_objects/:id.json; anonymous requests may read public published objects."""
    who = viewer(request)
    state = request.app[STATE]
    mo = find_media_object(state, ident(request, "id"))
    if not who.can_read(mo, state):
        raise unauthorized()
    return web.json_response(render(request, mo, editor=who.can_edit(mo, state)))


def _collection_id(state: AvalonState, body: Json) -> str | None:
    """The sent collection id (None when absent); 422 when it names no collection."""
    raw = body.get("collection_id")
    if not present(raw):
        return None
    collection_id = str(raw)
    if collection_id not in state.collections:
        raise errors(422, f"Collection not found for {collection_id}")
    return collection_id


def _check(fields: Json, collection_id: str | None) -> None:
    # In the order the model declares its validations (media_object.rb:79, 82).
    problems = []
    if collection_id is None:
        problems.append("Collection can't be blank")
    if not present(fields.get("title")):
        problems.append("Title can't be blank")
    if problems:
        # Upstream uses the "create" wording for updates too.
        raise errors(422, "Failed to create media object:", *problems)


def _master_file(state: AvalonState, mo_id: str, spec: Json) -> MasterFile:
    """A master file built from one ``files`` entry; attached even without derivatives,
    whose update alone is skipped then (MOC:234-255)."""
    derivative_specs = spec.get("files")
    if not isinstance(derivative_specs, list):
        derivative_specs = []
    attrs: Json = {key: None for key in MASTER_FILE_KEYS}
    attrs.update({key: value for key, value in spec.items() if key in _SPEC_KEYS})
    attrs["label"] = spec.get("label") or spec.get("title") or ""
    attrs["other_identifier"] = _as_list(spec.get("other_identifier"))
    attrs["comment"] = _as_list(spec.get("comment"))
    derivatives = []
    for item in derivative_specs:
        if isinstance(item, dict):
            derivative = {key: item.get(key) for key in DERIVATIVE_KEYS}
            derivative["id"] = state.new_id()
            derivative["managed"] = bool(item.get("managed", False))
            derivatives.append(derivative)
    return MasterFile(
        id=state.new_id(), media_object_id=mo_id, attrs=attrs, derivatives=derivatives
    )


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _apply_files(state: AvalonState, mo: MediaObject, body: Json) -> None:
    """Add the sent master files, replace old ones if asked, and set the published state."""
    files = body.get("files")
    if not isinstance(files, list):
        return
    added = [_master_file(state, mo.id, spec) for spec in files if isinstance(spec, dict)]
    if ruby_truthy(body.get("replace_masterfiles")):
        state.remove_master_files(mo.master_file_ids)
        mo.master_file_ids = []
    for mf in added:
        state.master_files[mf.id] = mf
        mo.master_file_ids.append(mf.id)
    # Sending files without publish unpublishes, as upstream calls publish!('') then.
    mo.published_by = _API_UPLOADER if ruby_truthy(body.get("publish")) else ""


async def create_media_object(request: web.Request) -> web.StreamResponse:
    """POST /media_objects.json: 200 ``{"id"}`` or 422 with the validation messages."""
    who = logged_in(request)
    state = request.app[STATE]
    if not who.can_create(state):
        raise unauthorized()
    # import_bib_record needs a configured catalog; without one the fields are taken as
    # sent (MOC:181-202), so the simulator, which has none, ignores it.
    body = await read_json_object(request)
    collection_id = _collection_id(state, body)
    fields = default_fields()
    if isinstance(body.get("fields"), dict):
        fields.update(body["fields"])
    _check(fields, collection_id)
    assert collection_id is not None  # _check refused a missing collection
    object_id = state.new_id()
    fields["avalon_uploader"] = _API_UPLOADER
    fields["record_identifier"] = [record_identifier(object_id)]
    mo = MediaObject(id=object_id, collection_id=collection_id, fields=fields)
    state.media_objects[object_id] = mo
    _apply_files(state, mo, body)
    return web.json_response({"id": object_id})


async def update_media_object(request: web.Request) -> web.StreamResponse:
    """PUT /media_objects/:id.json: merge fields, add or replace files, (un)publish."""
    who = logged_in(request)
    state = request.app[STATE]
    mo = find_media_object(state, ident(request, "id"))
    if not who.can_edit(mo, state):
        raise unauthorized()
    body = await read_json_object(request)
    collection_id = _collection_id(state, body) or mo.collection_id
    fields = dict(mo.fields)
    if isinstance(body.get("fields"), dict):
        fields.update(body["fields"])
    _check(fields, collection_id)
    fields["avalon_uploader"] = _API_UPLOADER
    mo.fields = fields
    mo.collection_id = collection_id
    _apply_files(state, mo, body)
    return web.json_response({"id": mo.id})


async def _purge_later(state: AvalonState, object_id: str, delay_s: float) -> None:
    await asyncio.sleep(delay_s)
    state.purge_media_object(object_id)


async def delete_media_object(request: web.Request) -> web.StreamResponse:
    """DELETE /media_objects/:id(.json): always 302 to ``/`` with an empty body (MOC:393-410).

    The action has no ``authorize!``: it asks ``can? :destroy`` per object, puts the
    refusals in a flash message no API client reads, queues a job for the rest and
    redirects (pinned by spec/controllers/media_objects_controller_spec.rb:94-96). The
    job removes an object after the configured purge delay; until then it reads as
    before.
    """
    who = logged_in(request)
    state = request.app[STATE]
    mo = find_media_object(state, ident(request, "id"))
    pending = request.app[PURGE_TASKS]
    # The same rule as :destroy (ability.rb:172-181); a job already queued is enough.
    if who.can_edit(mo, state) and mo.id not in pending:
        task = asyncio.get_running_loop().create_task(
            _purge_later(state, mo.id, request.app[CONFIG].purge_delay_s)
        )
        pending[mo.id] = task
        task.add_done_callback(lambda _: pending.pop(mo.id, None))
    return web.Response(status=302, headers={"Location": f"{base_url(request)}/"})


async def _stop_purges(app: web.Application) -> list[str]:
    """Stop the pending purges; the ids of the media objects they were to delete."""
    pending = app[PURGE_TASKS]
    ids, tasks = list(pending), list(pending.values())
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    pending.clear()
    return ids


async def cancel_purges(app: web.Application) -> None:
    """On cleanup: stop pending purges so no task outlives the application."""
    await _stop_purges(app)


async def run_purges(app: web.Application) -> None:
    """Run every queued deletion job now, as if its delay had passed."""
    state = app[STATE]
    for object_id in await _stop_purges(app):
        state.purge_media_object(object_id)
