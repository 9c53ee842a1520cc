"""The Avalon simulator's supplemental-file bytes: the ActiveStorage redirects, the proxy
setting, a separate storage host, and deletion without ``.json``.

"SFC" is ``app/controllers/supplemental_files_controller.rb`` of avalonmediasystem/avalon.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import aiohttp
import pytest

from adapters.avalon.simulator import AvalonSimulator
from tests.support.avalon import (
    ADMIN,
    ANONYMOUS,
    VIEWER,
    Call,
    SimFactory,
    follow,
    send,
)
from tests.support.replies import fetch

pytestmark = pytest.mark.asyncio

VTT = b"WEBVTT\n\n1\n00:00:00.000 --> 00:00:01.000\nHello\n"
FILES = "/master_files/1c18df984/supplemental_files"


async def _caption(call: Call) -> int:
    form = aiohttp.FormData()
    form.add_field("file", VTT, filename="en.vtt", content_type="text/vtt")
    form.add_field("metadata", json.dumps({"type": "caption", "machine_generated": True}))
    created = await call("POST", f"{FILES}.json", data=form)
    assert created.status == 201
    return int(created.json()["id"])


async def test_content_redirects_to_the_blob_then_to_the_disk_service(
    sim: AvalonSimulator, call: Call, http: aiohttp.ClientSession
) -> None:
    """``supplemental_files.proxy: false`` (config/settings.yml:101-102): SFC:92 redirects to
    rails_blob_path (pinned by spec/support/supplemental_files_controller_examples.rb:143-146),
    whose controller redirects to the Disk service's expiring URL."""
    sf_id = await _caption(call)
    first, blob, served = await follow(http, f"{sim.url}{FILES}/{sf_id}", ADMIN)
    assert (first.status, first.body) == (302, b"")
    location = urlsplit(first.headers["Location"])
    blob_path = location.path.split("/")
    assert (blob_path[:5], blob_path[6:]) == (
        ["", "rails", "active_storage", "blobs", "redirect"],
        ["en.vtt"],
    )
    assert location.query == "disposition=inline%3B+filename%3Den+%28machine+generated%29.vtt"
    assert (blob.status, blob.headers["Cache-Control"]) == (302, "max-age=300, private")
    assert urlsplit(blob.headers["Location"]).path.startswith("/rails/active_storage/disk/")
    assert (served.status, served.body, served.headers["Content-Type"]) == (200, VTT, "text/vtt")
    # Rails serves only some images and PDF inline, under the blob's own name.
    assert served.headers["Content-Disposition"] == (
        "attachment; filename=\"en.vtt\"; filename*=UTF-8''en.vtt"
    )


async def test_the_blob_routes_need_no_key(
    sim: AvalonSimulator, call: Call, http: aiohttp.ClientSession
) -> None:
    """ActiveStorage's controllers are Rails' own: no Avalon token check, and an unknown
    token changes nothing (config/application.rb:73-74 opens them to CORS even)."""
    first = (await follow(http, f"{sim.url}{FILES}/{await _caption(call)}", ADMIN))[0]
    unknown = {"Avalon-Api-Key": "f" * 128}
    blob = await send(http, sim, "GET", urlsplit(first.headers["Location"]).path, unknown)
    assert blob.status == 302


async def test_public_files_are_readable_anonymously(
    sim: AvalonSimulator, http: aiohttp.ClientSession
) -> None:
    url = f"{sim.url}/media_objects/gt54kn04s/supplemental_files/151"
    served = (await follow(http, url, ANONYMOUS))[-1]
    assert (served.status, served.headers["Content-Type"]) == (200, "text/plain")
    assert served.body.startswith(b"Program notes")


async def test_a_disk_url_that_is_not_known_is_404(call: Call) -> None:
    reply = await call("GET", "/rails/active_storage/disk/nope/en.vtt", headers=ANONYMOUS)
    assert (reply.status, reply.body) == (404, b"")


async def test_nothing_attached_is_a_500_page(call: Call) -> None:
    created = await call("POST", f"{FILES}.json", json={"label": "Later", "type": "transcript"})
    reply = await call("GET", f"{FILES}/{created.json()['id']}")
    assert (reply.status, reply.headers["Content-Type"]) == (500, "text/html; charset=utf-8")


async def test_the_proxy_setting_sends_the_bytes_itself(
    make_sim: SimFactory, http: aiohttp.ClientSession
) -> None:
    """``supplemental_files.proxy: true``: send_data (SFC:88), whose disposition string Rails
    formats once more."""
    sim = await make_sim(supplemental_files_proxy=True)
    reply = await send(http, sim, "GET", "/master_files/ns064602j/supplemental_files/141", ADMIN)
    assert (reply.status, reply.headers["Content-Type"]) == (200, "text/vtt")
    assert reply.body.startswith(b"WEBVTT")
    name = "Labelforit (machine generated).vtt"
    assert reply.headers["Content-Disposition"] == (
        f'inline; filename={name}; filename="Labelforit %28machine generated%29.vtt"; '
        "filename*=UTF-8''Labelforit%20%28machine%20generated%29.vtt"
    )


async def test_a_separate_storage_host_serves_presigned_urls(
    make_sim: SimFactory, http: aiohttp.ClientSession
) -> None:
    sim = await make_sim(separate_storage=True)
    url = f"{sim.url}/master_files/ns064602j/supplemental_files/141"
    _, blob, served = await follow(http, url, ADMIN)
    assert sim.storage_url is not None
    assert blob.headers["Location"].startswith(sim.storage_url + "/")
    assert sim.storage_url != sim.url
    assert (served.status, served.body[:6]) == (200, b"WEBVTT")
    # It records what it receives, so a client sending the key there would show.
    again = await fetch(http, "GET", blob.headers["Location"], headers=ADMIN)
    assert (again.status, again.body) == (200, served.body)
    assert [h.get("Avalon-Api-Key") for h in sim.storage_requests] == [
        None,
        ADMIN["Avalon-Api-Key"],
    ]


async def test_delete_without_json_redirects_to_the_edit_page(
    sim: AvalonSimulator, call: Call
) -> None:
    """``Accept: */*`` picks the first block of respond_to, format.html (SFC:143-146)."""
    path = "/master_files/ns064602j/supplemental_files/141"
    reply = await call("DELETE", path)
    assert reply.status == 302
    assert reply.headers["Location"] == f"{sim.url}/media_objects/vd66w000m/edit?step=file-upload"
    assert (await call("GET", f"{path}.json")).status == 404


async def test_delete_with_json_is_204(call: Call) -> None:
    path = "/master_files/ns064602j/supplemental_files/141.json"
    deleted = await call("DELETE", path)
    assert (deleted.status, deleted.body) == (204, b"")
    assert (await call("GET", path)).status == 404


async def test_a_reader_may_not_delete(call: Call) -> None:
    denied = await call(
        "DELETE", "/media_objects/gt54kn04s/supplemental_files/151.json", headers=VIEWER
    )
    assert (denied.status, denied.body) == (401, b"")
