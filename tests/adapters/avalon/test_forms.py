"""Avalon's writes as HAL-FORMS templates, each proven by a write built from it alone."""

from __future__ import annotations

import json
from typing import Any

from aiohttp.test_utils import TestClient

from tests.support.avalon import first_media_object
from tests.support.fixtures import SignedIn
from tests.support.forms import properties, required, submit, template, with_forms
from tests.support.navigator import HAL, Navigator


async def test_media_objects_are_created_updated_and_deleted_from_their_templates(
    nav: Navigator,
) -> None:
    backend = await nav.backend()
    listing = nav.href(backend, "avalon:media-objects")
    create, page = await template(nav, listing)
    assert (create["method"], create["contentType"]) == ("POST", "application/json")
    assert create["target"] == listing.split("?")[0] == page["_links"]["self"]["href"].split("?")[0]
    assert required(create) == {"collection_id", "title"}
    assert properties(create)["abstract"]["type"] == "textarea"
    collections = await nav.follow(backend, "avalon:collections")
    collection_id = collections["_embedded"]["avalon:collection"][0]["id"]

    response, made = await submit(
        nav,
        create,
        {"collection_id": collection_id, "title": "Oral history", "date_issued": "1971"},
    )
    assert response.status == 201, made
    assert made["title"] == "Oral history"
    assert made["fields"]["date_issued"] == "1971"

    update, shown = await template(nav, response.headers["Location"])
    assert (update["method"], update["target"]) == ("PUT", shown["_links"]["self"]["href"])
    assert properties(update)["title"]["value"] == "Oral history"  # prefilled
    assert properties(update)["collection_id"]["value"] == collection_id
    response, updated = await submit(nav, update, {"title": "Oral history, 2nd take"})
    assert response.status == 200, updated
    assert updated["title"] == "Oral history, 2nd take"

    delete = shown["_templates"]["delete"]
    assert (delete["method"], delete["properties"]) == ("DELETE", [])
    response, queued = await submit(nav, delete)
    assert response.status == 202, queued


async def test_a_body_the_form_refuses_never_reaches_avalon(nav: Navigator) -> None:
    create, _ = await template(nav, nav.href(await nav.backend(), "avalon:media-objects"))
    response, problem = await nav.request(
        create["method"], create["target"], json={"title": 7, "fields": {"date_issued": []}}
    )
    assert response.status == 400
    assert "upstream_status" not in problem
    reasons = {p["name"]: p["reason"] for p in problem["invalid_params"]}
    assert reasons == {
        "title": "title must be a string",
        "date_issued": "date_issued must be a string",
    }


async def test_collections_are_created_and_updated_from_their_templates(nav: Navigator) -> None:
    backend = await nav.backend()
    create, _ = await template(nav, nav.href(backend, "avalon:collections"))
    assert create["method"] == "POST"
    assert required(create) == {"name", "unit"}
    response, made = await submit(nav, create, {"name": "Field recordings", "unit": "Default Unit"})
    assert response.status == 201, made

    update, _ = await template(nav, response.headers["Location"])
    assert update["method"] == "PUT"
    assert properties(update)["name"]["value"] == "Field recordings"
    response, updated = await submit(nav, update, {"description": "Tapes from 1970 to 1985"})
    assert response.status == 200, updated
    assert (updated["name"], updated["description"]) == (
        "Field recordings",
        "Tapes from 1970 to 1985",
    )


async def test_supplemental_files_are_uploaded_described_and_replaced_from_templates(
    nav: Navigator,
) -> None:
    media_object = await first_media_object(nav)
    files = nav.href(media_object, "avalon:supplemental-files")
    upload, listing = await template(nav, files)
    assert (upload["method"], upload["contentType"]) == ("POST", "multipart/form-data")
    assert properties(upload)["file"]["type"] == "file"
    assert required(upload) == {"file"}
    metadata = json.dumps({"label": "Liner notes", "language": "English"})
    response, made = await submit(
        nav, upload, {"metadata": metadata}, {"file": ("notes.txt", b"Side A\n", "text/plain")}
    )
    assert response.status == 201, made
    assert made["label"] == "Liner notes"

    describe = listing["_templates"]["describe"]
    assert (describe["method"], describe["contentType"]) == ("POST", "application/json")
    assert properties(describe)["type"]["options"]["inline"] == ["caption", "transcript"]
    response, described = await submit(nav, describe, {"label": "Captions", "type": "caption"})
    assert response.status == 201, described

    update, shown = await template(nav, response.headers["Location"])
    assert properties(update)["label"]["value"] == "Captions"
    response, updated = await submit(nav, update, {"label": "Captions (English)"})
    assert response.status == 200, updated
    assert updated["label"] == "Captions (English)"

    replace = shown["_templates"]["replace-content"]
    assert (replace["method"], replace["target"]) == ("PUT", nav.href(shown, "avalon:content"))
    vtt = b"WEBVTT\n\n00:00.000 --> 00:01.000\nHello\n"
    response, replaced = await submit(nav, replace, files={"file": ("c.vtt", vtt, "text/vtt")})
    assert response.status == 200, replaced
    response, content = await nav.request("GET", nav.href(shown, "avalon:content"))
    assert content == vtt


async def test_templates_go_only_to_clients_that_ask_and_may_write(
    nav: Navigator, client: TestClient[Any, Any], signed_in: SignedIn[Navigator]
) -> None:
    media_object = await first_media_object(nav)
    href = media_object["_links"]["self"]["href"]
    assert "_templates" not in media_object  # plain HAL: none
    response, doc = await nav.request("GET", href, headers={"Accept": "*/*"})
    assert response.content_type == HAL
    assert "_templates" not in doc
    assert set((await with_forms(nav, href))["_templates"]) == {"default", "delete"}
    reader = signed_in(client, "reader", lambda c: Navigator(c, "archive"))
    assert "_templates" not in await with_forms(reader, href)  # a reader may not write
