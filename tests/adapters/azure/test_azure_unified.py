"""Azure videos in the unified view: every video an asset, filtered by file name, no collections.

The adapter's unified methods are called as the unified layer calls them: inside a
gateway request's identity, against the seeded connector simulator on a loopback port.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from adapters.azure.adapter import AzureAdapter
from adapters.azure.simulator import AzureSimulator
from gateway.auth.identity import Identity, acting_as
from gateway.backends.runtime import BACKENDS
from gateway.spi import AssetQuery
from gateway.web.errors import GatewayError, NotFound, NotOffered
from tests.support.azure.fixtures import Connect, SimFactory
from tests.support.azure.navigator import Navigator
from tests.support.unified_paging import every_asset

ADMIN = Identity("admin", "user", frozenset({"admin"}))
SEEDED = [
    "customer-interview-contoso.mp4",
    "Interview with the lead architect.mov",
    "office-tour-timelapse.mp4",
    "product-launch-keynote.mp4",
]
"""The seeded videos' file names, as the unified view orders them (case aside)."""


@pytest.fixture
async def seeded(simulators: SimFactory) -> AzureSimulator:
    """A connector holding its seeded videos, all encoded."""
    return await simulators(seed=True)


@pytest.fixture
async def nav(seeded: AzureSimulator, connect: Connect) -> Navigator:
    """A navigator on a gateway in front of the seeded connector."""
    return await connect(seeded)


@pytest.fixture
def adapter(nav: Navigator) -> AzureAdapter:
    """The backend's adapter, as the unified layer reaches it."""
    backend = nav.client.app[BACKENDS].get("azure")
    assert backend is not None
    assert isinstance(backend.adapter, AzureAdapter)
    return backend.adapter


@pytest.mark.parametrize(
    ("text", "kind", "titles"),
    [
        pytest.param(None, None, SEEDED, id="everything"),
        pytest.param(None, "video", SEEDED, id="videos"),
        pytest.param("interview", None, SEEDED[:2], id="by-file-name"),
        pytest.param("INTERVIEW contoso", "video", SEEDED[:1], id="every-word-in-any-case"),
        pytest.param("keynote", "audio", [], id="no-audio"),
        pytest.param(None, "image", [], id="no-images"),
        pytest.param("nothing-like-this", None, [], id="nothing"),
    ],
)
@pytest.mark.parametrize("limit", [pytest.param(1, id="by-1"), pytest.param(3, id="by-3")])
async def test_paging_lists_every_match_once_in_a_stable_order(
    adapter: AzureAdapter, text: str | None, kind: str | None, titles: list[str], limit: int
) -> None:
    with acting_as(ADMIN):
        paged = await every_asset(adapter, AssetQuery(text, kind, limit=limit))
        whole = await adapter.list_assets(AssetQuery(text, kind, limit=100))
        again = await adapter.list_assets(AssetQuery(text, kind, limit=100))
    assert [a.title for a in paged] == titles
    assert paged == whole.items == again.items
    assert (whole.more, whole.total) == (False, len(titles))


async def test_a_listed_video_is_the_asset_opened_by_its_id_and_its_hrefs_work(
    nav: Navigator, adapter: AzureAdapter
) -> None:
    with acting_as(ADMIN):
        [listed] = (await adapter.list_assets(AssetQuery("contoso"))).items
        opened = await adapter.get_asset(listed.native_id)
    assert opened == listed
    assert (listed.title, listed.type) == ("customer-interview-contoso.mp4", "video")
    assert listed.duration_ms == 95_040
    assert listed.native == f"/videos/{listed.native_id}"
    assert listed.playback == f"/videos/{listed.native_id}/playback/HLS"

    root = nav.href(await nav.backend(), "self")
    video = await nav.get(root + listed.native)
    assert (video["id"], video["filename"]) == (listed.native_id, listed.title)
    response, _ = await nav.request("GET", root + listed.playback, allow_redirects=False)
    assert response.status == 307
    assert response.headers["Location"].endswith(".ism/manifest(format=m3u8-aapl)")
    assert listed.thumbnail is not None
    response, image = await nav.request("GET", listed.thumbnail)
    assert response.status == 200
    assert response.content_type == "image/png"
    assert image.startswith(b"\x89PNG")


async def test_a_video_shows_its_playback_once_encoded_and_sound_is_audio(
    nav: Navigator, adapter: AzureAdapter, seeded: AzureSimulator
) -> None:
    response, upload = await nav.upload(
        b"\x00" * 4096, filename="studio interview.mp3", content_type="audio/mpeg"
    )
    assert response.status == 202, upload
    with acting_as(ADMIN):
        [encoding] = (await adapter.list_assets(AssetQuery("studio", "audio"))).items
        interviews = await adapter.list_assets(AssetQuery("interview"))
        videos = await adapter.list_assets(AssetQuery("interview", "video"))
        seeded.finish_encoding(upload["id"])
        encoded = await adapter.get_asset(upload["id"])
    assert (encoding.native_id, encoding.type) == (upload["id"], "audio")
    assert (encoding.playback, encoding.thumbnail, encoding.duration_ms) == (None, None, None)
    assert [a.title for a in interviews.items] == [*SEEDED[:2], "studio interview.mp3"]
    assert [a.title for a in videos.items] == SEEDED[:2]
    assert encoded.playback == f"/videos/{upload['id']}/playback/HLS"
    assert encoded.thumbnail is not None
    assert encoded.duration_ms is not None


async def test_q_matches_every_word_in_any_case_as_the_other_kinds_do(
    nav: Navigator, adapter: AzureAdapter
) -> None:
    response, upload = await nav.upload(b"\x00" * 4096, filename="Hauptstraße Umzug.mp4")
    assert response.status == 202, upload
    with acting_as(ADMIN):
        # "ß" folds to "ss": the words match the name whichever way they are written.
        found = await adapter.list_assets(AssetQuery("UMZUG hauptstrasse"))
        interviews = await adapter.list_assets(AssetQuery("with INTERVIEW"))
    assert [a.native_id for a in found.items] == [upload["id"]]
    assert [a.title for a in interviews.items] == [SEEDED[1]]


async def test_a_video_deleted_while_its_page_is_read_is_still_listed(
    adapter: AzureAdapter, seeded: AzureSimulator
) -> None:
    [gone] = [v for v in seeded.state.videos.values() if v.filename == SEEDED[0]]
    seeded.delete_after_status(gone.id)
    with acting_as(ADMIN):
        listed = await adapter.list_assets(AssetQuery(limit=100))
        later = await every_asset(adapter, AssetQuery(limit=1))
    # Listed from its list record: the page holds what the list counted, none missing.
    assert [a.title for a in listed.items] == SEEDED
    assert (listed.more, listed.total) == (False, len(SEEDED))
    [shown] = [a for a in listed.items if a.native_id == gone.id]
    assert (shown.title, shown.type, shown.duration_ms) == (SEEDED[0], "video", 95_040)
    assert (shown.playback, shown.thumbnail) == (None, None)  # nothing left to play
    assert [a.title for a in later] == SEEDED[1:]


async def test_an_unknown_video_is_not_found(adapter: AzureAdapter) -> None:
    with acting_as(ADMIN), pytest.raises(NotFound) as raised:
        await adapter.get_asset("00000000-0000-0000-0000-000000000000")
    assert raised.value.http_status == 404


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda a: a.list_collections(0, 10), id="list"),
        pytest.param(lambda a: a.get_collection("any"), id="one"),
        pytest.param(lambda a: a.collection_items("any", 0, 10), id="items"),
    ],
)
async def test_the_connector_has_no_collections(
    adapter: AzureAdapter, call: Callable[[AzureAdapter], Awaitable[object]]
) -> None:
    assert adapter.offers_collections is False
    with acting_as(ADMIN), pytest.raises(NotOffered) as raised:
        await call(adapter)
    error: GatewayError = raised.value
    assert error.http_status == 501
