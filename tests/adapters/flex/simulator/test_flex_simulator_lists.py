"""The Flex simulator's lists: matrix paging and filters, and the fields every object has."""

from __future__ import annotations

import pytest
from yarl import URL

from adapters.flex.simulator import DEFAULT_USER, FlexSimulator
from tests.support.flex.direct import Api, asset_named, ok

# --- lists: matrix paging and filters ---------------------------------------------------


async def test_lists_page_with_matrix_offset_and_limit(api: Api) -> None:
    seen: list[int] = []
    offset = 0
    while True:
        body = await ok(api, "GET", f"/api/assets;offset={offset};limit=100;name=Clip")
        assert list(body) == ["assets", "totalCount", "offset", "limit"]
        assert (body["totalCount"], body["offset"], body["limit"]) == (250, offset, 100)
        seen += [a["id"] for a in body["assets"]]
        offset += body["limit"]
        if offset >= body["totalCount"]:
            break
    assert len(seen) == len(set(seen)) == 250
    assert seen == sorted(seen)


@pytest.mark.parametrize(
    ("matrix", "count", "limit"),
    [
        pytest.param("", 100, 100, id="default-limit"),
        pytest.param(";limit=500", 100, 100, id="limit-cut-to-100"),
        pytest.param(";limit=7", 7, 7, id="small-limit"),
        pytest.param(";offset=250;limit=50", 7, 50, id="tail"),
        pytest.param(";offset=900", 0, 100, id="beyond-the-end"),
    ],
)
async def test_limit_defaults_to_100_and_never_exceeds_it(
    api: Api, matrix: str, count: int, limit: int
) -> None:
    body = await ok(api, "GET", "/api/assets" + matrix)
    assert (len(body["assets"]), body["limit"], body["totalCount"]) == (count, limit, 257)


@pytest.mark.parametrize(
    ("matrix", "names"),
    [
        pytest.param(
            ";name=evening NEWS",
            ["Evening News 2024-01-29", "Evening News 2024-01-29 (proxy)"],
            id="part-of-name",
        ),
        pytest.param(
            ";name=Evening News 2024-01-29;exactNameMatch=true",
            ["Evening News 2024-01-29"],
            id="exact",
        ),
        pytest.param(";enabled=false", ["Interview raw footage"], id="disabled"),
        pytest.param(";deleted=true", ["Press release"], id="deleted"),
        pytest.param(
            ";fql=approved = true AND fileAssetType = AUDIO", ["Archive reel 1968"], id="fql"
        ),
        pytest.param(';fql=name ~ "show"', ["Morning Show package"], id="fql-contains"),
        pytest.param(
            ";fql=fileAssetType != VIDEO", ["Weather map", "Archive reel 1968"], id="fql-not"
        ),
        pytest.param(
            ";externalId=house-id:EN-20240129", ["Evening News 2024-01-29"], id="external-id"
        ),
        pytest.param(
            ";name=a;sortBy=name;sort=desc;limit=3",
            ["Weather map", "Morning Show package", "Interview raw footage"],
            id="sorted",
        ),
        pytest.param(";createdTo=28 Jan 2024", [], id="created-before-seed"),
    ],
)
async def test_matrix_filters(api: Api, matrix: str, names: list[str]) -> None:
    body = await ok(api, "GET", "/api/assets" + matrix)
    assert [a["name"] for a in body["assets"]] == names


async def test_several_ids_at_once_and_encoded_separators(api: Api, sim: FlexSimulator) -> None:
    news = await asset_named(api, "Evening News 2024-01-29")
    reel = await asset_named(api, "Archive reel 1968")
    body = await ok(api, "GET", f"/api/assets;id={reel['id']};id={news['id']}")
    assert [a["name"] for a in body["assets"]] == [news["name"], reel["name"]]
    # An encoded ';' is part of the value, not a separator.
    url = URL(sim.url + "/api/assets;name=News%3Bx;limit=5", encoded=True)
    assert (await ok(api, "GET", url))["totalCount"] == 0
    url = URL(sim.url + "/api/assets;name=Evening%20News;limit=5", encoded=True)
    assert (await ok(api, "GET", url))["totalCount"] == 2


@pytest.mark.parametrize(
    "plural",
    [
        "assets",
        "accounts",
        "users",
        "actions",
        "events",
        "eventHandlers",
        "groups",
        "objectTypes",
    ],
)
async def test_every_list_has_the_list_body(api: Api, sim: FlexSimulator, plural: str) -> None:
    body = await ok(api, "GET", f"/api/{plural};limit=2")
    assert set(body) == {plural, "totalCount", "offset", "limit"}
    assert (body["offset"], body["limit"]) == (0, 2)
    assert 0 < len(body[plural]) <= 2
    one = body[plural][0]
    assert one["href"].startswith(sim.url + "/api/")
    assert await ok(api, "GET", URL(one["href"]).path) == one


async def test_objects_have_the_common_fields(api: Api, sim: FlexSimulator) -> None:
    news = await asset_named(api, "Evening News 2024-01-29")
    common = {
        "id",
        "uuid",
        "name",
        "displayName",
        "description",
        "externalIds",
        "enabled",
        "deleted",
        "href",
        "created",
        "lastModified",
        "owner",
        "createdBy",
        "account",
        "visibility",
        "objectType",
    }
    for_assets = {
        "size",
        "fileAssetType",
        "variant",
        "isGroup",
        "approved",
        "fileInformation",
        "parent",
        "assetContext",
        "published",
        "archived",
        "locked",
    }
    assert common | for_assets <= set(news)
    assert news["href"] == f"{sim.url}/api/assets/{news['id']}"
    assert set(news["objectType"]) == {"id", "name", "href", "displayName", "pluralName"}
    assert news["objectType"]["name"] == "media-asset"
    assert news["externalIds"] == [{"key": "house-id", "value": "EN-20240129"}]
    assert news["owner"]["name"] == DEFAULT_USER
    assert news["created"].endswith(" +0000")
    assert len(news["created"].split()) == 5
    assert (await ok(api, "GET", URL(news["objectType"]["href"]).path))["name"] == "media-asset"


async def test_asset_object_types_have_flexs_names(api: Api) -> None:
    types = await ok(api, "GET", "/api/objectTypes")
    names = {t["name"] for t in types["objectTypes"]}
    assert {"media-asset", "image-asset", "text-asset", "group-asset", "collection"} <= names
    for name, deleted, expected in (
        ("Press release", "true", "text-asset"),
        ("Morning Show package", "false", "group-asset"),
        ("Weather map", "false", "image-asset"),
    ):
        path = f"/api/assets;name={name};exactNameMatch=true;deleted={deleted}"
        assert (await ok(api, "GET", path))["assets"][0]["objectType"]["name"] == expected


async def test_object_type_icons_name_the_port_as_flex_writes_them(
    api: Api, sim: FlexSimulator
) -> None:
    media = next(
        t
        for t in (await ok(api, "GET", "/api/objectTypes"))["objectTypes"]
        if t["name"] == "media-asset"
    )
    port = URL(sim.url).port
    assert media["icons"]["small"] == f"http://127.0.0.1:{port}/images/icons/small/media-asset.png"
    assert set(media["icons"]) == {"small", "normal", "medium", "large"}


async def test_include_metadata_puts_the_instance_under_metadata(api: Api) -> None:
    news = await asset_named(api, "Evening News 2024-01-29")
    shown = await ok(api, "GET", f"/api/assets/{news['id']};includeMetadata=true")
    assert shown["metadata"]["instance"]["metadata"]["title"] == "Evening News"
