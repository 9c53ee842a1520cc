"""The ``flex:`` link relations, documented at ``/rels/flex/{rel}``.

Paths here are relative to the backend root ``/backends/<name>``.
"""

from __future__ import annotations

from typing import Final

from gateway.spi import RelationDoc

PAGED: Final = "{?page,per_page}"
ASSETS: Final = "/assets{?page,per_page,name,fql,sort}"
ASSET: Final = "/assets/{id}"
COLLECTIONS: Final = "/collections{?page,per_page,name}"
COLLECTION: Final = "/collections/{id}"
KEYFRAME_IMAGE: Final = "/assets/{id}/keyframes/{keyframe_id}/image"

_PAGING: Final = " Paged with page and per_page (at most 500)."


def _doc(
    name: str,
    title: str,
    description: str,
    methods: tuple[str, ...] = ("GET",),
    template: str | None = None,
    example: str | None = None,
) -> RelationDoc:
    return RelationDoc(name, title, description, methods, template, example)


RELATIONS: Final = (
    _doc(
        "assets",
        "Assets",
        "The assets of the MAM, each embedded as flex:asset. name matches part of the name; "
        "fql takes a field query such as 'fileAssetType = VIDEO AND approved = true' "
        "(= equal, != not equal, ~ contains); sort is a field (id, name, displayName, "
        "created, lastModified), with a leading '-' for descending order. POST {name, "
        "displayName, description, fileAssetType (VIDEO, AUDIO, IMAGE, DOCUMENT), isGroup} "
        "creates a placeholder asset: 201 with Location." + _PAGING,
        ("GET", "POST"),
        ASSETS,
        '{"name": "Evening News", "fileAssetType": "VIDEO"}',
    ),
    _doc(
        "asset",
        "One asset",
        "An asset with its file information, state flags (enabled, deleted, approved, "
        "published, archived, locked) and links to its sub-resources. PUT {name, "
        "displayName, description} updates the editable properties.",
        ("GET", "PUT"),
        ASSET,
        '{"displayName": "Evening News, late edition"}',
    ),
    _doc(
        "metadata",
        "Metadata of an asset",
        "The asset's metadata instance as JSON under 'instance': {root-element: node}, where "
        "a node is its text, or an object of '@attribute' values, child nodes by element name "
        "(a list when the name repeats) and '#text'. The 'alternate' link serves the same "
        "metadata as an XML document (application/xml). PUT replaces it, as an XML document "
        '(application/xml) or as this JSON ({"instance": ...}). XML with a document type '
        "declaration (entity expansion, external entities) is refused with 400.",
        ("GET", "PUT"),
        "/assets/{id}/metadata",
        '{"instance": {"metadata": {"title": "Evening News", '
        '"keywords": {"keyword": ["news", "evening"]}}}}',
    ),
    _doc(
        "annotations",
        "Annotations of an asset",
        "Timeline annotations, each embedded as flex:annotation: {content, category, "
        "originatorContext (MioAssetReview, QCReport or empty), in, out} with frame numbers. "
        "POST one annotation object, or an array of them: 201." + _PAGING,
        ("GET", "POST"),
        "/assets/{id}/annotations" + PAGED,
        '{"content": "Audio drops", "originatorContext": "QCReport", "in": 100, "out": 150}',
    ),
    _doc(
        "annotation",
        "One annotation",
        "A timeline annotation. PUT changes its fields; DELETE removes it (204). Flex cannot "
        "fetch one annotation by id, so the gateway looks for it among the asset's first "
        "2000 annotations; one further down answers 503 saying so (list the annotations "
        "instead), never a 404.",
        ("GET", "PUT", "DELETE"),
        "/assets/{id}/annotations/{annotation_id}",
    ),
    _doc(
        "keyframes",
        "Keyframes of an asset",
        "Stills of a video asset, each embedded as flex:keyframe. POST {frame} or "
        "{timecode: 'HH:MM:SS:FF'} with an optional name to take a new one: 201." + _PAGING,
        ("GET", "POST"),
        "/assets/{id}/keyframes" + PAGED,
        '{"timecode": "00:00:10:00", "name": "Title card"}',
    ),
    _doc(
        "keyframe",
        "One keyframe",
        "A keyframe's frame, timecode and size, linking its image as flex:keyframe-image. "
        "PUT {name, frame or timecode} changes it; DELETE removes it (204).",
        ("GET", "PUT", "DELETE"),
        "/assets/{id}/keyframes/{keyframe_id}",
    ),
    _doc(
        "keyframe-image",
        "A keyframe's image",
        "The image bytes of a keyframe, streamed in their own content type (the link's type). "
        "On an asset the link is a template over keyframe_id.",
        ("GET",),
        KEYFRAME_IMAGE,
    ),
    _doc(
        "actions",
        "Actions",
        "On an asset: the actions its state allows now ('actions'), and POST "
        '{"action": name} performs one of enable, disable, delete, approve, unapprove, destroy: '
        "200 with the asset (204 after destroy). An action the asset's state does not allow "
        "(approving an approved asset, enabling an enabled one) is 409 with the backend's "
        "message; try again once the state has changed. Any other refusal is 400, also when "
        "the backend words it in a 200 answer. At the backend root: the workflow "
        "actions configured in the MAM, each embedded as flex:action." + _PAGING,
        ("GET", "POST"),
        "/assets/{id}/actions",
        '{"action": "approve"}',
    ),
    _doc("action", "One workflow action", "A workflow action configured in the MAM.", ("GET",)),
    _doc(
        "members",
        "Members of an asset group",
        "Only group assets (isGroup) link this relation. "
        "The memberships of an asset group in order, each embedded as flex:member with its "
        "1-based index and the member asset. POST {asset, index?} adds an asset at index (at "
        "the end without one), moving the members from there down." + _PAGING,
        ("GET", "POST"),
        "/assets/{id}/members" + PAGED,
        '{"asset": 1234, "index": 1}',
    ),
    _doc(
        "member",
        "One group membership",
        "An asset's place in a group. PUT {index} moves it there (the others close up); "
        "DELETE takes the asset out of the group (204).",
        ("GET", "PUT", "DELETE"),
        "/assets/{id}/members/{membership_id}",
        '{"index": 3}',
    ),
    _doc(
        "parents",
        "Groups an asset is in",
        "The asset's memberships of asset groups, each embedded as flex:parent. POST "
        "{group, index?} puts the asset into a group." + _PAGING,
        ("GET", "POST"),
        "/assets/{id}/parents" + PAGED,
        '{"group": 1234}',
    ),
    _doc(
        "parent",
        "One membership of a group",
        "The asset's membership of one group. PUT {index} moves it within the group; DELETE "
        "takes the asset out of it (204).",
        ("GET", "PUT", "DELETE"),
        "/assets/{id}/parents/{membership_id}",
    ),
    _doc(
        "children",
        "Child file assets",
        "The file assets below this one (proxies and other renditions), each embedded as "
        "flex:asset; empty for most assets." + _PAGING,
        ("GET",),
        "/assets/{id}/children" + PAGED,
    ),
    _doc(
        "comments",
        "Comments",
        'The comments on an asset, each embedded as flex:comment. POST {"comment": text} '
        "adds one: 201." + _PAGING,
        ("GET", "POST"),
        "/assets/{id}/comments" + PAGED,
        '{"comment": "Cleared for broadcast"}',
    ),
    _doc("comment", "One comment", "A comment and who made it.", ("GET",)),
    _doc(
        "history",
        "History of an asset",
        "What happened to the asset, oldest first, each event embedded as flex:event." + _PAGING,
        ("GET",),
        "/assets/{id}/history" + PAGED,
    ),
    _doc(
        "collections",
        "Collections",
        "The collections, each embedded as flex:collection; name matches part of the name. "
        "POST {name, description, fql?} creates one; with an fql query it is dynamic and holds "
        "the assets the query matches: 201 with Location." + _PAGING,
        ("GET", "POST"),
        COLLECTIONS,
        '{"name": "Approved video", "fql": "fileAssetType = VIDEO AND approved = true"}',
    ),
    _doc(
        "collection",
        "One collection",
        "A collection (its id is a uuid), linking its items. PUT {name, "
        "description, fql} updates it; DELETE removes it (204).",
        ("GET", "PUT", "DELETE"),
        COLLECTION,
    ),
    _doc(
        "items",
        "Items of a collection",
        "The collection's items, each embedded as flex:item linking its asset. POST "
        '{"assets": [id, ...]} adds assets to a static collection.' + _PAGING,
        ("GET", "POST"),
        "/collections/{id}/items" + PAGED,
        '{"assets": [1234, 1235]}',
    ),
    _doc("item", "A collection item", "One entry of a collection, linking its asset.", ("GET",)),
    _doc(
        "accounts", "Accounts", "The accounts of the MAM." + _PAGING, ("GET",), "/accounts" + PAGED
    ),
    _doc("account", "One account", "An account of the MAM.", ("GET",)),
    _doc(
        "events",
        "Events",
        "The MAM's event log, each event embedded as flex:event." + _PAGING,
        ("GET",),
        "/events" + PAGED,
    ),
    _doc("event", "One event", "What happened, to which object and by whom.", ("GET",)),
    _doc(
        "event-handlers",
        "Event handlers",
        "The MAM's event handlers, each embedded as flex:event-handler." + _PAGING,
        ("GET",),
        "/event-handlers" + PAGED,
    ),
    _doc("event-handler", "One event handler", "An event handler of the MAM.", ("GET",)),
    _doc(
        "groups",
        "User groups",
        "The user groups of the MAM, each embedded as flex:group." + _PAGING,
        ("GET",),
        "/groups" + PAGED,
    ),
    _doc(
        "group",
        "One user group",
        "A user group, linking its members as flex:users.",
        ("GET",),
        "/groups/{id}",
    ),
    _doc(
        "users",
        "Members of a user group",
        "The users of a group in order, each embedded as flex:user. PUT "
        '{"users": [id, ...]} sets the whole member list in that order (every member named).',
        ("GET", "PUT"),
        "/groups/{id}/members",
        '{"users": [12, 11]}',
    ),
    _doc("user", "One user", "A user of the MAM.", ("GET",)),
    _doc("object-type", "Object type", "The type of an object (media-asset, ...).", ("GET",)),
    _doc(
        "file",
        "A stored file",
        "A file of the MAM's filestore (attachments, images, JSON), in its own content type.",
        ("GET",),
    ),
)
