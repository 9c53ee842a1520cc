"""A Flex asset's members, keyframes, annotations and comments through the gateway."""

from __future__ import annotations

from tests.support.flex.fixtures import NEWS, PACKAGE, REEL
from tests.support.flex.navigator import Navigator

# --- group members -----------------------------------------------------------------------


async def test_a_groups_members_are_reordered(nav: Navigator) -> None:
    package = await nav.asset(PACKAGE)

    async def order() -> list[tuple[int, str]]:
        members = await nav.follow(package, "flex:members")
        out = []
        for member in members["_embedded"]["flex:member"]:
            item = await nav.follow(member, "item")
            assert member["_links"]["collection"]["href"] == package["_links"]["self"]["href"]
            out.append((member["index"], item["name"]))
        return out

    assert await order() == [(1, NEWS), (2, "Weather map"), (3, "Interview raw footage")]
    members = await nav.follow(package, "flex:members")
    last = members["_embedded"]["flex:member"][-1]
    response, moved = await nav.request("PUT", last["_links"]["self"]["href"], json={"index": 1})
    assert response.status == 200
    assert moved["index"] == 1
    assert await order() == [(1, "Interview raw footage"), (2, NEWS), (3, "Weather map")]

    reel = await nav.asset(REEL)
    response, added = await nav.request(
        "POST", nav.href(package, "flex:members"), json={"asset": reel["id"], "index": 2}
    )
    assert response.status == 201
    assert response.headers["Location"] == added["_links"]["self"]["href"]
    assert [name for _, name in await order()] == [
        "Interview raw footage",
        REEL,
        NEWS,
        "Weather map",
    ]
    response, problem = await nav.request("PUT", added["_links"]["self"]["href"], json={"index": 7})
    assert response.status == 400
    assert "index must be an integer from 1 to 4" in problem["errors"][0]
    response, _ = await nav.request("DELETE", added["_links"]["self"]["href"])
    assert response.status == 204
    assert await order() == [(1, "Interview raw footage"), (2, NEWS), (3, "Weather map")]


async def test_an_asset_joins_a_group_from_its_own_side(nav: Navigator) -> None:
    reel = await nav.asset(REEL)
    package = await nav.asset(PACKAGE)
    response, joined = await nav.request(
        "POST", nav.href(reel, "flex:parents"), json={"group": package["id"]}
    )
    assert response.status == 201
    assert joined["index"] == 4
    assert (await nav.follow(joined, "collection"))["name"] == PACKAGE
    parents = await nav.follow(reel, "flex:parents")
    assert [p["index"] for p in parents["_embedded"]["flex:parent"]] == [4]
    response, _ = await nav.request("DELETE", joined["_links"]["self"]["href"])
    assert response.status == 204
    assert not (await nav.follow(reel, "flex:parents"))["_embedded"]["flex:parent"]


# --- keyframes, annotations, comments ----------------------------------------------------


async def test_keyframe_images_stream_with_their_content_type(nav: Navigator) -> None:
    news = await nav.asset(NEWS)
    keyframes = await nav.follow(news, "flex:keyframes")
    first = keyframes["_embedded"]["flex:keyframe"][0]
    link = first["_links"]["flex:keyframe-image"]
    assert link["type"] == "image/png"
    response, image = await nav.request("GET", link["href"])
    assert response.status == 200
    assert response.content_type == "image/png"
    assert image.startswith(b"\x89PNG\r\n\x1a\n")
    assert first["image"]["href"] == link["href"]  # a link, never the bytes in JSON
    by_template = nav.href(news, "flex:keyframe-image", keyframe_id=first["id"])
    assert (await nav.request("GET", by_template))[1] == image

    response, made = await nav.request(
        "POST", nav.href(news, "flex:keyframes"), json={"timecode": "00:00:02:00"}
    )
    assert response.status == 201
    assert made["frame"] == 50
    response, renamed = await nav.request(
        "PUT", response.headers["Location"], json={"name": "Titles"}
    )
    assert renamed["name"] == "Titles"
    response, _ = await nav.request("DELETE", made["_links"]["self"]["href"])
    assert response.status == 204
    response, _ = await nav.request("GET", made["_links"]["flex:keyframe-image"]["href"])
    assert response.status == 404


async def test_annotations_one_or_many(nav: Navigator) -> None:
    news = await nav.asset(NEWS)
    href = nav.href(news, "flex:annotations")
    response, one = await nav.request("POST", href, json={"content": "Logo", "in": 5, "out": 9})
    assert response.status == 201
    assert (await nav.get(response.headers["Location"]))["content"] == "Logo"
    response, many = await nav.request(
        "POST", href, json=[{"content": "A"}, {"content": "B", "originatorContext": "QCReport"}]
    )
    assert response.status == 201
    assert [a["content"] for a in many["_embedded"]["flex:annotation"]] == ["A", "B"]
    response, problem = await nav.request("POST", href, json={"content": "C", "out": -1})
    assert response.status == 400
    assert problem["errors"] == ["out must be a non-negative frame number"]
    response, changed = await nav.request(
        "PUT", one["_links"]["self"]["href"], json={"category": "Branding"}
    )
    assert changed["category"] == "Branding"
    response, _ = await nav.request("DELETE", one["_links"]["self"]["href"])
    assert response.status == 204
    listing = await nav.follow(news, "flex:annotations")
    assert [a["content"] for a in listing["_embedded"]["flex:annotation"]] == [
        "Audio drops for two seconds",
        "A",
        "B",
    ]
    response, _ = await nav.request("GET", one["_links"]["self"]["href"])
    assert response.status == 404


async def test_comments(nav: Navigator) -> None:
    news = await nav.asset(NEWS)
    response, made = await nav.request(
        "POST", nav.href(news, "flex:comments"), json={"comment": "Check the captions"}
    )
    assert response.status == 201
    assert (await nav.follow(made, "self"))["comment"] == "Check the captions"
    comments = await nav.follow(news, "flex:comments")
    assert [c["comment"] for c in comments["_embedded"]["flex:comment"]] == [
        "Cleared for broadcast",
        "Check the captions",
    ]
