"""In-memory state of the Avalon simulator: its records, who may do what, and app keys."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

Json = dict[str, Any]

# Noid alphabet used by Fedora identifiers (no vowels, so ids never spell words).
_NOID_ALPHABET = "0123456789bcdfghjkmnpqrstvwxz"

# The language terms supplemental files accept, by ISO 639-2 code; their ISO 639-1 codes
# and names are accepted too (app/models/language_term.rb:63-78).
LANGUAGES = {
    "eng": "English",
    "fre": "French",
    "ger": "German",
    "spa": "Spanish",
    "ita": "Italian",
    "por": "Portuguese",
    "dut": "Dutch",
    "rus": "Russian",
    "jpn": "Japanese",
    "chi": "Chinese",
    "kor": "Korean",
    "ara": "Arabic",
    "lat": "Latin",
}


_TWO_LETTER = {
    "en": "eng",
    "fr": "fre",
    "de": "ger",
    "es": "spa",
    "it": "ita",
    "pt": "por",
    "nl": "dut",
    "ru": "rus",
    "ja": "jpn",
    "zh": "chi",
    "ko": "kor",
    "ar": "ara",
    "la": "lat",
}


def language_code(value: str) -> str | None:
    """The code for a language given as Avalon's ``LanguageTerm.find`` takes it; None when
    unknown: a two-letter code, a three-letter code in any case, or the exact name."""
    if len(value) == 2:
        return _TWO_LETTER.get(value.lower())
    if value.lower() in LANGUAGES:
        return value.lower()
    # Names compare exactly: "english" is no language upstream.
    return next((code for code, name in LANGUAGES.items() if name == value), None)


@dataclass(frozen=True)
class SimConfig:
    """Per-instance settings of one simulator."""

    api_keys: Mapping[str, str]
    admins: frozenset[str]
    purge_delay_s: float
    vocabulary_post: bool
    supplemental_files_proxy: bool


@dataclass
class Collection:
    """An admin collection."""

    id: str
    name: str
    unit: str
    description: str | None = None
    contact_email: str | None = None
    website_label: str | None = None
    website_url: str | None = None
    managers: list[str] = field(default_factory=list)
    editors: list[str] = field(default_factory=list)
    depositors: list[str] = field(default_factory=list)

    def members(self) -> set[str]:
        """Everyone holding a role in the collection."""
        return {*self.managers, *self.editors, *self.depositors}

    def editors_and_managers(self) -> set[str]:
        """Those who may update the collection (ability.rb:118-120)."""
        return {*self.managers, *self.editors}


@dataclass
class MasterFile:
    """A master file with its derivatives; ``attrs`` holds the keys of MASTER_FILE_KEYS."""

    id: str
    media_object_id: str
    attrs: Json
    derivatives: list[Json]


@dataclass
class MediaObject:
    """A media object; its deletion removes it from the state and leaves a tombstone."""

    id: str
    collection_id: str
    fields: Json
    published_by: str | None = None
    visibility: str = "private"
    read_groups: list[str] = field(default_factory=list)
    master_file_ids: list[str] = field(default_factory=list)
    lending_period: int = 1_209_600

    @property
    def published(self) -> bool:
        """Published means a non-empty publisher, as in the real model."""
        return bool(self.published_by)


@dataclass
class SupplementalFile:
    """A supplemental file (caption, transcript or generic) of a master file or media object."""

    id: int
    parent_id: str
    language: str
    label: str | None = None
    tags: list[str] = field(default_factory=list)
    content: bytes | None = None
    content_type: str | None = None
    filename: str | None = None
    blob_id: str = field(default_factory=lambda: secrets.token_hex(12))
    """The ActiveStorage blob of the attached bytes: a new one with every attachment."""


@dataclass
class AvalonState:
    """Everything one simulator instance stores."""

    vocabulary: Json
    collections: dict[str, Collection]
    media_objects: dict[str, MediaObject]
    master_files: dict[str, MasterFile]
    supplemental_files: dict[int, SupplementalFile]
    next_supplemental_id: int = 1
    id_counter: int = 0
    tombstones: set[str] = field(default_factory=set)
    """Ids of destroyed media objects and master files: Fedora answers them 410 for good."""

    def new_id(self) -> str:
        """A fresh nine-character noid that no record uses yet."""
        while True:
            self.id_counter += 1
            number, digits = self.id_counter, ""
            while number:
                number, rest = divmod(number, len(_NOID_ALPHABET))
                digits = _NOID_ALPHABET[rest] + digits
            candidate = "sm" + digits.rjust(7, "0")
            taken = (self.media_objects, self.master_files, self.collections, self.tombstones)
            if not any(candidate in records for records in taken):
                return candidate

    def new_supplemental_id(self) -> int:
        """The next supplemental-file id (a database sequence upstream)."""
        value = self.next_supplemental_id
        self.next_supplemental_id += 1
        return value

    def live_media_objects(self) -> list[MediaObject]:
        """Media objects, in creation order."""
        return list(self.media_objects.values())

    def collection_objects(self, collection_id: str) -> list[MediaObject]:
        """Live media objects of one collection."""
        return [mo for mo in self.live_media_objects() if mo.collection_id == collection_id]

    def remove_master_files(self, ids: Iterable[str]) -> None:
        """Drop master files and the supplemental files attached to them."""
        for mf_id in list(ids):
            if self.master_files.pop(mf_id, None) is not None:
                self.tombstones.add(mf_id)
            self.remove_supplemental_files_of(mf_id)

    def remove_supplemental_files_of(self, parent_id: str) -> None:
        """Drop every supplemental file attached to ``parent_id``."""
        for sf_id in [k for k, sf in self.supplemental_files.items() if sf.parent_id == parent_id]:
            del self.supplemental_files[sf_id]

    def purge_media_object(self, object_id: str) -> None:
        """What the background delete job does: remove the object and everything under it,
        leaving tombstones (``app/jobs/bulk_action_jobs.rb:131-149``)."""
        mo = self.media_objects.pop(object_id, None)
        if mo is not None:
            self.tombstones.add(object_id)
            self.remove_master_files(mo.master_file_ids)
            self.remove_supplemental_files_of(object_id)


@dataclass(frozen=True)
class Viewer:
    """The user a request acts as; ``user`` is None for an anonymous request."""

    user: str | None
    admin: bool = False

    def collection_role(self, collection: Collection) -> bool:
        """True for administrators and anyone with a role in ``collection``."""
        return self.admin or (self.user is not None and self.user in collection.members())

    def can_update(self, collection: Collection) -> bool:
        """Editors and managers (and administrators) may update a collection."""
        return self.admin or (
            self.user is not None and self.user in collection.editors_and_managers()
        )

    def can_create(self, state: AvalonState) -> bool:
        """Depositing needs a role in some collection (or administrator rights)."""
        return self.admin or any(self.collection_role(c) for c in state.collections.values())

    def administrative_access(self, state: AvalonState) -> bool:
        """Administrators and anyone with a collection role (ability.rb:316-318)."""
        return self.can_create(state)

    def member(self, mo: MediaObject, state: AvalonState) -> bool:
        """Hydra's edit access: a role in the object's collection (or administrator)."""
        collection = state.collections.get(mo.collection_id)
        return collection is not None and self.collection_role(collection)

    def can_edit(self, mo: MediaObject, state: AvalonState) -> bool:
        """Editing, and equally destroying: members, but a published object only its
        collection's managers (ability.rb:172-181, the same rule for both)."""
        if self.admin:
            return True
        if not self.member(mo, state):
            return False
        managers = state.collections[mo.collection_id].managers
        return not mo.published or self.user in managers

    def can_read(self, mo: MediaObject, state: AvalonState) -> bool:
        """Members always; others only once published and visible to them (ability.rb:86-88)."""
        if self.member(mo, state):
            return True
        if not mo.published:
            return False
        return mo.visibility == "public" or (
            mo.visibility == "restricted" and self.user is not None
        )


CONFIG = web.AppKey("avalon_config", SimConfig)
STATE = web.AppKey("avalon_state", AvalonState)
PURGE_TASKS = web.AppKey("avalon_purge_tasks", dict[str, asyncio.Task[None]])
"""Deletion jobs queued and not yet run: the media object's id and the task that runs it."""
