"""Media objects, master files, collections and vocabularies of an Avalon backend.

Each handler translates one gateway request into Avalon API calls and the answer
into HAL: creation answers 201 with ``Location`` and the new resource, updates 200
with the updated resource, a media-object deletion Avalon queues 202, and one it
would silently skip 403 (see :meth:`Resources.delete_media_object`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Final

from aiohttp import web
from yarl import URL

from adapters.avalon import forms, mapping
from adapters.avalon.relations import COLLECTIONS, MEDIA_OBJECTS, VOCABULARY
from gateway.spi import (
    BadRequest,
    Forbidden,
    Form,
    GatewayError,
    Href,
    NotFound,
    UpstreamResponse,
    UpstreamUnavailable,
    bool_param,
    hal,
    hal_response,
    page_params,
    read_json,
)
from gateway.spi import path_segment as seg

if TYPE_CHECKING:
    from adapters.avalon.adapter import AvalonAdapter

AFTER_DELETE: Final = frozenset({"/", "/bookmarks"})
"""Where Avalon's destroy redirects: ``root_path``, or ``/bookmarks`` when the deletion
came from there (media_objects_controller.rb:409)."""


def upstream_items(response: UpstreamResponse) -> list[dict[str, Any]]:
    """The items of an Avalon list answer (an array, or collection items keyed by id)."""
    data = response.json()
    if isinstance(data, dict):  # collection items come keyed by id
        data = list(data.values())
    if not isinstance(data, list):
        raise UpstreamUnavailable(
            "the backend answered with an unexpected list", backend=response.backend
        )
    return [item for item in data if isinstance(item, dict)]


async def json_object(request: web.Request) -> dict[str, Any]:
    """The request body, which must be a JSON object."""
    body = await read_json(request)
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object")
    return body


async def fitting(request: web.Request, form: Form) -> dict[str, Any]:
    """The request body, checked against ``form`` and shaped for Avalon.

    What is missing Avalon names itself, in its own words (422, a 400 here), as it does
    for a media object whose update leaves its title empty: only what is sent is checked.
    """
    return form.accept(await read_json(request), require=False)


def created_id(response: UpstreamResponse) -> str:
    """The ``id`` of ``{"id": ...}``, Avalon's answer to a create or update."""
    new_id = response.json_object().get("id")
    if new_id is None or new_id == "":
        raise UpstreamUnavailable(
            "the backend did not say which id it gave", backend=response.backend
        )
    return str(new_id)


async def created(read_back: Awaitable[hal.Resource], new_id: str, location: str) -> web.Response:
    """201 with ``Location`` and the new resource as read back.

    The resource exists whatever the read-back does: when it fails, the answer is still
    201 with ``Location`` and a minimal body, never an error that invites a client to
    create it a second time.
    """
    try:
        doc = await read_back
    except GatewayError:
        doc = hal.Resource({"id": new_id}).link("self", location)
    return hal_response(doc, status=201, headers={"Location": location})


class Resources:
    """The handlers of one Avalon backend's media objects, collections and vocabularies."""

    def __init__(self, adapter: AvalonAdapter) -> None:
        self.adapter = adapter
        self.client = adapter.client

    # -- media objects -------------------------------------------------------------

    async def _media_object(
        self, object_id: str, href: Href, structure: bool = False
    ) -> hal.Resource:
        params = {"include_structure": "true"} if structure else None
        response = await self.client.request(
            "GET", f"/media_objects/{seg(object_id)}.json", params=params
        )
        data = response.json_object()
        doc = mapping.media_object(data, href)
        if "files" in data:  # Avalon shows them only to keys that may edit (and delete) it
            doc.form(forms.UPDATE_MEDIA_OBJECT, prefill=True)
            doc.form(forms.DELETE_MEDIA_OBJECT, key="delete")
        return doc

    async def paged(
        self,
        request: web.Request,
        upstream_path: str,
        template: str,
        rel: str,
        to_hal: Callable[[dict[str, Any]], hal.Resource],
    ) -> hal.Resource:
        """One page of an Avalon list as HAL: items embedded under ``rel``, paging links.

        ``template`` is the gateway URL template of the list (``{?page,per_page}``).
        """
        page, per_page = page_params(request)
        response = await self.client.request(
            "GET", upstream_path, params={"page": str(page), "per_page": str(per_page)}
        )
        items = upstream_items(response)
        doc = hal.Resource()
        doc.embed(rel, [to_hal(item) for item in items])
        return mapping.paging(doc, response, template, page, per_page, len(items))

    async def list_media_objects(self, request: web.Request) -> web.Response:
        """``GET media-objects``: one page, items embedded."""
        href = self.adapter.hrefs(request)
        doc = await self.paged(
            request,
            "/media_objects.json",
            href(MEDIA_OBJECTS),
            "avalon:media-object",
            lambda item: mapping.media_object(item, href),
        )
        doc.form(forms.CREATE_MEDIA_OBJECT, href("/media-objects"))
        return hal_response(doc.link("up", href("")))

    async def create_media_object(self, request: web.Request) -> web.Response:
        """``POST media-objects``: 201, ``Location`` and the new media object."""
        href = self.adapter.hrefs(request)
        body = await fitting(request, forms.CREATE_MEDIA_OBJECT)
        response = await self.client.request("POST", "/media_objects.json", json_body=body)
        new_id = created_id(response)
        return await created(
            self._media_object(new_id, href), new_id, href(f"/media-objects/{seg(new_id)}")
        )

    async def show_media_object(self, request: web.Request) -> web.Response:
        """``GET media-objects/{id}``, with ``include_structure`` passed on."""
        href = self.adapter.hrefs(request)
        structure = bool_param(request, "include_structure")
        return hal_response(await self._media_object(request.match_info["id"], href, structure))

    async def update_media_object(self, request: web.Request) -> web.Response:
        """``PUT media-objects/{id}``: 200 and the updated media object."""
        href = self.adapter.hrefs(request)
        object_id = request.match_info["id"]
        body = await fitting(request, forms.UPDATE_MEDIA_OBJECT)
        await self.client.request("PUT", f"/media_objects/{seg(object_id)}.json", json_body=body)
        return hal_response(await self._media_object(object_id, href))

    async def delete_media_object(self, request: web.Request) -> web.Response:
        """``DELETE media-objects/{id}``: 202 when Avalon queues it; 403 when it would not.

        Avalon answers every deletion with 302 to ``/`` and queues a job for what the
        key may delete; what it may not stays, said only in a flash message no API
        client reads (media_objects_controller.rb:393-410). Its answer therefore tells
        nothing, so the object is read first: ``show`` leaves out ``files`` exactly when
        the key may not edit the object (media_objects_controller.rb:339), and editing
        and destroying are one rule in Avalon's abilities (ability.rb:30-36, 172-181:
        members of the collection, for a published object only its managers; every
        administrator). Reading it after the 302 would not help: the object reads the
        same until the job has run, whether it will run for it or not.

        Only a 302 to Avalon's own ``/`` (or ``/bookmarks``) reads as queued: a redirect
        elsewhere, Devise's sign-in page say, is no deletion. Someone publishing the
        object between the read and the ``DELETE`` makes Avalon skip it all the same;
        the 202 says so. With one shared key the key may delete whatever its user may,
        so the gateway's own role check is then the only gate between clients.
        """
        href = self.adapter.hrefs(request)
        object_id = request.match_info["id"]
        path = f"/media_objects/{seg(object_id)}.json"
        shown = (await self.client.request("GET", path)).json_object()
        if "files" not in shown:
            raise Forbidden(
                f"backend {self.adapter.name} does not let this account delete "
                f"media object {object_id}",
                extra={"backend": self.adapter.name},
            )
        response = await self.client.request("DELETE", path)
        if response.status in (200, 204):
            return web.Response(status=204)
        if response.status not in (302, 303) or not self._after_delete(response):
            why = "with " + str(response.status)
            if response.status in (302, 303):
                why = "with a redirect to another page than its home page"
            raise UpstreamUnavailable(
                f"backend {self.adapter.name} answered the deletion {why}",
                backend=self.adapter.name,
                upstream_status=response.status,
            )
        doc = hal.Resource(
            {
                "status": "queued",
                "message": f"the deletion of media object {object_id} is queued; "
                "it reads as before until the backend has run it, and is gone after, "
                "unless someone published it in the meantime: the backend then skips it "
                "without a word",
            }
        )
        doc.link("self", href(f"/media-objects/{seg(object_id)}"))
        doc.link("avalon:media-objects", href("/media-objects"))
        return hal_response(doc, status=202)

    def _after_delete(self, response: UpstreamResponse) -> bool:
        """Whether a redirect after a deletion is Avalon's own, to its home or bookmarks."""
        home = URL(self.client.base_url)
        target = URL(response.url).join(URL(response.headers.get("Location", "")))
        same = (target.scheme, target.host, target.port) == (home.scheme, home.host, home.port)
        prefix = home.path.rstrip("/")  # Avalon served under a path, if it is
        return same and target.path in {prefix + path for path in AFTER_DELETE}

    async def show_master_file(self, request: web.Request) -> web.Response:
        """``GET media-objects/{id}/master-files/{master_file_id}``."""
        href = self.adapter.hrefs(request)
        object_id, mf_id = request.match_info["id"], request.match_info["master_file_id"]
        response = await self.client.request("GET", f"/media_objects/{seg(object_id)}.json")
        for item in response.json_object().get("files") or []:
            if isinstance(item, Mapping) and str(item.get("id")) == mf_id:
                return hal_response(mapping.master_file(item, object_id, href))
        raise NotFound(f"media object {object_id} has no master file {mf_id} you may see")

    # -- collections ---------------------------------------------------------------

    async def _collection(self, collection_id: str, href: Href) -> hal.Resource:
        response = await self.client.request("GET", f"/admin/collections/{seg(collection_id)}.json")
        doc = mapping.collection(response.json_object(), href)
        return doc.form(forms.UPDATE_COLLECTION, prefill=True)

    async def list_collections(self, request: web.Request) -> web.Response:
        """``GET collections``: one page, sorted by name as Avalon sorts them."""
        href = self.adapter.hrefs(request)
        doc = await self.paged(
            request,
            "/admin/collections.json",
            href(COLLECTIONS),
            "avalon:collection",
            lambda item: mapping.collection(item, href),
        )
        doc.form(forms.CREATE_COLLECTION, href("/collections"))
        return hal_response(doc.link("up", href("")))

    async def show_collection(self, request: web.Request) -> web.Response:
        """``GET collections/{id}``."""
        return hal_response(
            await self._collection(request.match_info["id"], self.adapter.hrefs(request))
        )

    async def collection_items(self, request: web.Request) -> web.Response:
        """``GET collections/{id}/items``: the collection's media objects, paged."""
        href = self.adapter.hrefs(request)
        collection_id = request.match_info["id"]
        base = f"/collections/{seg(collection_id)}"
        doc = await self.paged(
            request,
            f"/admin/collections/{seg(collection_id)}/items.json",
            href(base + "/items{?page,per_page}"),
            "avalon:media-object",
            lambda item: mapping.media_object(item, href),
        )
        return hal_response(doc.link("avalon:collection", href(base)))

    @staticmethod
    async def _collection_body(request: web.Request, form: Form) -> dict[str, Any]:
        # Avalon wants the fields under "admin_collection"; accept them bare too.
        body = await json_object(request)
        if "admin_collection" not in body:
            return {"admin_collection": form.accept(body, require=False)}
        inner = form.accept(body["admin_collection"], require=False)
        return {**body, "admin_collection": inner}

    async def create_collection(self, request: web.Request) -> web.Response:
        """``POST collections``: 201, ``Location`` and the new collection."""
        href = self.adapter.hrefs(request)
        body = await self._collection_body(request, forms.CREATE_COLLECTION)
        response = await self.client.request("POST", "/admin/collections.json", json_body=body)
        new_id = created_id(response)
        return await created(
            self._collection(new_id, href), new_id, href(f"/collections/{seg(new_id)}")
        )

    async def update_collection(self, request: web.Request) -> web.Response:
        """``PUT collections/{id}``: 200 and the updated collection."""
        href = self.adapter.hrefs(request)
        collection_id = request.match_info["id"]
        body = await self._collection_body(request, forms.UPDATE_COLLECTION)
        await self.client.request(
            "PUT", f"/admin/collections/{seg(collection_id)}.json", json_body=body
        )
        return hal_response(await self._collection(collection_id, href))

    # -- vocabularies --------------------------------------------------------------

    def _vocabulary(self, name: str, entries: Any, href: Href) -> hal.Resource:
        resource = hal.Resource({"name": name, "entries": entries})
        resource.link("self", href(hal.expand(VOCABULARY, name=name)))
        resource.link("avalon:vocabularies", href("/vocabulary"))
        return resource

    async def list_vocabularies(self, request: web.Request) -> web.Response:
        """``GET vocabulary``: every vocabulary, linked and embedded by name."""
        href = self.adapter.hrefs(request)
        data = (await self.client.request("GET", "/vocabulary.json")).json_object()
        doc = hal.Resource({"count": len(data)})
        doc.link("self", href("/vocabulary"))
        doc.link("up", href(""))
        doc.links_array("avalon:vocabulary")
        for name in data:
            doc.add_link("avalon:vocabulary", href(f"/vocabulary/{seg(name)}"), name=name)
        doc.embed("avalon:vocabulary", [self._vocabulary(n, v, href) for n, v in data.items()])
        return hal_response(doc)

    async def _show_vocabulary(self, name: str, href: Href) -> hal.Resource:
        response = await self.client.request("GET", f"/vocabulary/{seg(name)}.json")
        return self._vocabulary(name, response.json(), href)

    async def show_vocabulary(self, request: web.Request) -> web.Response:
        """``GET vocabulary/{name}``."""
        href = self.adapter.hrefs(request)
        return hal_response(await self._show_vocabulary(request.match_info["name"], href))

    async def add_vocabulary_entry(self, request: web.Request) -> web.Response:
        """``PUT`` or ``POST vocabulary/{name}`` with ``{"entry": ...}``: 200 and the vocabulary."""
        href = self.adapter.hrefs(request)
        name = request.match_info["name"]
        body = await json_object(request)
        if "entry" not in body:
            raise BadRequest('the body must be {"entry": ...}')
        # The real server routes PUT only (the old document says POST).
        await self.client.request(
            "PUT", f"/vocabulary/{seg(name)}.json", json_body={"entry": body["entry"]}
        )
        return hal_response(await self._show_vocabulary(name, href))
