"""In-memory state of the Flex simulator and the common object fields every answer carries.

Records are dicts keyed by the API's own field names; keys starting with ``_`` are
private (references by id, timestamps as datetimes) and turned into the API's shapes
by :func:`render`: ``href``, ``objectType``, ``owner``, ``createdBy``, ``account``,
``created`` and ``lastModified`` (collections have shapes of their own, see
:mod:`adapters.flex.simulator.asset_collections`). Integer ids come from one sequence, as from one
database; collections are keyed by uuid. The clock advances one second per change, so
ordering by time is stable and tests never wait.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from aiohttp import web

from adapters.flex.simulator.plumbing import Call, FlexError, Json, json_response

TIME_FORMAT: Final = "%d %b %Y %H:%M:%S %z"
START: Final = datetime(2024, 1, 29, 15, 48, 5, tzinfo=UTC)
_NAMESPACE: Final = uuid.UUID("6f1c2a55-5d0e-4d7a-9a43-0c1f3b9e7d21")

LABELS: Final = {
    "assets": "Asset",
    "collections": "Collection",
    "accounts": "Account",
    "users": "User",
    "actions": "Action",
    "events": "Event",
    "eventHandlers": "Event handler",
    "groups": "Group",
    "objectTypes": "Object type",
    "metadataDefinitions": "Metadata definition",
    "annotations": "Annotation",
    "keyframes": "Keyframe",
    "comments": "Comment",
    "memberships": "Membership",
    "externalIds": "External id",
}
"""Every record family, with the word its error messages use."""


def stamp(moment: datetime) -> str:
    """Flex's timestamp format, e.g. ``29 Jan 2024 15:48:05 +0000``."""
    return moment.strftime(TIME_FORMAT)


def iso_stamp(moment: datetime) -> str:
    """The timestamps of collections and their items, e.g. ``2024-01-29T15:48:05Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_day(raw: str, name: str) -> datetime:
    """A ``;createdFrom``/``;createdTo`` value such as ``29 Jan 2024``; 400 otherwise."""
    try:
        return datetime.strptime(raw, "%d %b %Y").replace(tzinfo=UTC)
    except ValueError:
        raise FlexError(
            400, f"Invalid date '{raw}' for {name}: expected e.g. 29 Jan 2024"
        ) from None


@dataclass
class SimCounters:
    """What the simulator has seen, for whoever drives it to check."""

    refusals: int = 0
    """Requests answered 401 because their credentials were missing or wrong."""


@dataclass(frozen=True)
class SimConfig:
    """Per-instance settings: the accepted users and their passwords; and its counters."""

    users: dict[str, str]
    refusal_status: int = 200
    """The status of a refused action: 200 with an ``errors`` body, as recorded, or 400."""
    counters: SimCounters = field(default_factory=SimCounters)


@dataclass
class FlexState:
    """Everything one simulator instance stores."""

    records: dict[str, dict[Any, Json]] = field(
        default_factory=lambda: {plural: {} for plural in LABELS}
    )
    metadata: dict[int, Json] = field(default_factory=dict)
    """Asset id → metadata instance (the XML document as JSON)."""
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    """Non-asset files of the filestore: name → (content type, bytes)."""
    collection_items: dict[str, list[Json]] = field(default_factory=dict)
    next_id: int = 1
    next_item_key: int = 1
    clock: datetime = START

    def new_id(self) -> int:
        """The next id of the one integer sequence."""
        value = self.next_id
        self.next_id += 1
        return value

    def tick(self) -> datetime:
        """Advance the clock by one second and return the new time."""
        self.clock += timedelta(seconds=1)
        return self.clock

    def family(self, plural: str) -> dict[Any, Json]:
        """The records of one family, by id."""
        return self.records[plural]

    def add(self, plural: str, record: Json) -> Json:
        """Store a new record, giving it an id (unless it has one), uuid and timestamps."""
        if plural == "collections":  # collections are known by their uuid alone
            record.setdefault("id", str(uuid.uuid5(_NAMESPACE, f"collections/{self.new_id()}")))
            record["uuid"] = record["id"]
        else:
            record.setdefault("id", self.new_id())
            record.setdefault("uuid", str(uuid.uuid5(_NAMESPACE, f"{plural}/{record['id']}")))
        now = self.tick()
        record.setdefault("_created", now)
        record.setdefault("_modified", record["_created"])
        self.records[plural][record["id"]] = record
        return record

    def get(self, plural: str, key: Any) -> Json:
        """One record; Flex's 404 when there is none."""
        record = self.records[plural].get(key)
        if record is None:
            raise FlexError(404, f"{LABELS[plural]}: {key} not found.")
        return record

    def touch(self, record: Json) -> None:
        """Mark ``record`` as changed now."""
        record["_modified"] = self.tick()

    def user_id(self, name: str) -> int | None:
        """The id of the user called ``name``, if there is one."""
        for record in self.records["users"].values():
            if record["name"] == name:
                return int(record["id"])
        return None

    def record_event(
        self, event_type: str, user: str, plural: str, subject: Json, data: Json | None = None
    ) -> Json:
        """Log an event about ``subject`` (it shows in /events and the subject's history)."""
        event = {
            "name": event_type,
            "eventType": event_type,
            "priority": "NORMAL",
            "message": f"{event_type}: {subject.get('name', subject['id'])}",
            "eventData": data or {},
            "_subject": (plural, subject["id"]),
            "_owner": self.user_id(user),
        }
        return self.add("events", event)


CONFIG: Final = web.AppKey("flex_config", SimConfig)
STATE: Final = web.AppKey("flex_state", FlexState)


def state(call: Call) -> FlexState:
    """The state of the simulator serving ``call``."""
    return call.request.app[STATE]


def refusal(call: Call, message: str) -> web.Response:
    """Flex refusing to do what it was asked, with the status the simulator is set to."""
    status = call.request.app[CONFIG].refusal_status
    return json_response({"errors": {"error": message}}, status)


def ref(call: Call, plural: str, key: Any) -> Json | None:
    """A reference object ``{id, name, href}`` to another record, or None."""
    if key is None:
        return None
    record = state(call).records[plural].get(key)
    if record is None:
        return None
    return {"id": record["id"], "name": record["name"], "href": call.href(f"/{plural}/{key}")}


def object_type(call: Call, type_id: int) -> Json:
    """The ``objectType`` member: id, name, href, displayName, pluralName."""
    record = state(call).get("objectTypes", type_id)
    return {
        "id": record["id"],
        "name": record["name"],
        "href": call.href(f"/objectTypes/{type_id}"),
        "displayName": record["displayName"],
        "pluralName": record["pluralName"],
    }


def render(call: Call, plural: str, record: Json) -> Json:
    """A top-level record as the API shows it, with the common object fields."""
    out: Json = {"id": record["id"], "uuid": record["uuid"]}
    out.update((key, value) for key, value in record.items() if not key.startswith("_"))
    out["href"] = call.href(f"/{plural}/{record['id']}")
    out["created"] = stamp(record["_created"])
    out["lastModified"] = stamp(record["_modified"])
    if "_type" in record:
        out["objectType"] = object_type(call, record["_type"])
    if "_owner" in record:
        out["owner"] = ref(call, "users", record["_owner"])
        out["createdBy"] = ref(call, "users", record.get("_createdBy", record["_owner"]))
    if "_account" in record:
        out["account"] = ref(call, "accounts", record["_account"])
    if plural == "assets":
        out["externalIds"] = [
            {"key": e["key"], "value": e["value"]}
            for e in state(call).records["externalIds"].values()
            if e["_asset"] == record["id"]
        ]
    return out
