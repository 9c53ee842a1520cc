"""JSON shapes of the Avalon simulator's records, after the real server's ``as_json``.

Where the real server and the older API document differ (collection_id, lending keys,
supplemental-file ``type`` "generic", booleans, ``series``, ``original_filename``,
``supplemental_file_captions``, a null ``fields.avalon_publisher``), the real server's
shape is used: ``app/models/concerns/media_object_behavior.rb:18-35``,
``media_object_intercom.rb``, ``master_file_intercom.rb``, ``supplemental_file.rb:69-86``.
"""

from __future__ import annotations

from adapters.avalon.simulator.state import (
    LANGUAGES,
    AvalonState,
    Collection,
    Json,
    MasterFile,
    MediaObject,
    SupplementalFile,
)

# Keys of a master file as the real server renders them, in its order
# (master_file_intercom.rb:16-47); supplemental_file_captions is made from the files.
MASTER_FILE_KEYS = (
    "workflow_name",
    "percent_complete",
    "status_code",
    "structure",
    "label",
    "thumbnail_offset",
    "poster_offset",
    "physical_description",
    "original_filename",
    "file_location",
    "file_size",
    "duration",
    "date_digitized",
    "file_checksum",
    "file_format",
    "other_identifier",
    "captions",
    "captions_type",
    "supplemental_file_captions",
    "comment",
    "display_aspect_ratio",
    "original_frame_size",
    "width",
    "height",
)

# Keys of a derivative (one encoded rendition of a master file).
DERIVATIVE_KEYS = (
    "label",
    "id",
    "url",
    "hls_url",
    "duration",
    "mime_type",
    "audio_bitrate",
    "audio_codec",
    "video_bitrate",
    "video_codec",
    "width",
    "height",
    "location",
    "track_id",
    "hls_track_id",
    "managed",
    "derivativeFile",
)

# MODS-derived descriptive fields; the multi-valued ones default to [] rather than null.
_LIST_FIELDS = (
    "avalon_resource_type",
    "identifier",
    "alternative_title",
    "translated_title",
    "uniform_title",
    "creator",
    "format",
    "resource_type",
    "contributor",
    "publisher",
    "genre",
    "subject",
    "geographic_subject",
    "temporal_subject",
    "topical_subject",
    "table_of_contents",
    "physical_description",
    "series",
    "record_identifier",
    "comment",
)
_FIELD_ORDER = (
    "duration",
    "avalon_resource_type",
    "avalon_publisher",
    "avalon_uploader",
    "identifier",
    "title",
    "alternative_title",
    "translated_title",
    "uniform_title",
    "statement_of_responsibility",
    "creator",
    "date_created",
    "date_issued",
    "copyright_date",
    "abstract",
    "format",
    "resource_type",
    "contributor",
    "publisher",
    "genre",
    "subject",
    "geographic_subject",
    "temporal_subject",
    "topical_subject",
    "terms_of_use",
    "table_of_contents",
    "physical_description",
    "series",
    "record_identifier",
    "comment",
    "bibliographic_id",
    "bibliographic_id_label",
    "note",
    "note_type",
    "language",
    "related_item_url",
    "related_item_label",
    "other_identifier",
    "other_identifier_type",
    "rights_statement",
)


def default_fields() -> Json:
    """A media object's descriptive fields with nothing filled in."""
    return {key: [] if key in _LIST_FIELDS else None for key in _FIELD_ORDER}


def record_identifier(object_id: str) -> str:
    """The repository URI the real server lists under ``fields.record_identifier``."""
    pairs = "/".join(object_id[i : i + 2] for i in range(0, 8, 2))
    return f"http://127.0.0.1:8984/fedora4/rest/{pairs}/{object_id}"


def master_file_json(
    mf: MasterFile, state: AvalonState, *, base: str, include_structure: bool
) -> Json:
    """A master file as the real server renders it inside a media object."""
    body: Json = {"id": mf.id}
    for key in MASTER_FILE_KEYS:
        body[key] = mf.attrs.get(key)
    if not include_structure:
        body["structure"] = None
    # supplemental_files(tag: 'caption'), each as its as_json (master_file_behavior.rb:181).
    captions = sorted(
        (f for f in state.supplemental_files.values() if f.parent_id == mf.id),
        key=lambda f: f.id,
    )
    body["supplemental_file_captions"] = [
        supplemental_json(f) for f in captions if "caption" in f.tags
    ]
    body["files"] = [_derivative_json(d, base) for d in mf.derivatives]
    return body


def _derivative_json(derivative: Json, base: str) -> Json:
    body = {key: derivative.get(key) for key in DERIVATIVE_KEYS}
    hls = body.get("hls_url")
    # Seeded derivatives stream from this simulator, wherever it listens.
    if isinstance(hls, str) and hls.startswith("/"):
        body["hls_url"] = base + hls
    return body


def media_object_json(
    mo: MediaObject,
    state: AvalonState,
    *,
    base: str,
    include_structure: bool,
    editor: bool,
) -> Json:
    """A media object as the real server renders it; non-editors lose three keys."""
    collection = state.collections[mo.collection_id]
    files = [state.master_files[i] for i in mo.master_file_ids if i in state.master_files]
    fields = {key: mo.fields.get(key) for key in _FIELD_ORDER}
    fields.update({k: v for k, v in mo.fields.items() if k not in fields})
    durations = [int(f.attrs["duration"]) for f in files if str(f.attrs.get("duration")).isdigit()]
    fields["duration"] = str(sum(durations)) if durations else None
    # as_json asks to_ingest_api_hash without publish: (media_object_intercom.rb:23).
    fields["avalon_publisher"] = None
    body: Json = {
        "id": mo.id,
        "title": fields.get("title"),
        "collection": collection.name,
        "collection_id": collection.id,
        "unit": collection.unit,
        "main_contributors": fields.get("creator") or [],
        "publication_date": fields.get("date_created"),
        "published_by": mo.published_by or None,
        "published": mo.published,
        "summary": fields.get("abstract"),
        "visibility": mo.visibility,
        "read_groups": list(mo.read_groups),
        "lending_period": mo.lending_period,
        "lending_status": "available",
        "files": [
            master_file_json(f, state, base=base, include_structure=include_structure)
            for f in files
        ],
        "fields": fields,
    }
    if not editor:
        for key in ("files", "visibility", "read_groups"):
            del body[key]
    return body


def collection_json(collection: Collection, state: AvalonState) -> Json:
    """An admin collection with its live object counts."""
    objects = state.collection_objects(collection.id)
    published = sum(1 for mo in objects if mo.published)
    return {
        "id": collection.id,
        "name": collection.name,
        "unit": collection.unit,
        "description": collection.description,
        "object_count": {
            "total": len(objects),
            "published": published,
            "unpublished": len(objects) - published,
        },
        "roles": {
            "managers": list(collection.managers),
            "editors": list(collection.editors),
            "depositors": list(collection.depositors),
        },
    }


def supplemental_json(sf: SupplementalFile) -> Json:
    """A supplemental file's metadata; null values are left out as upstream does."""
    if "caption" in sf.tags:
        kind = "caption"
    elif "transcript" in sf.tags:
        kind = "transcript"
    else:
        kind = "generic"
    body: Json = {
        "id": sf.id,
        "type": kind,
        "label": sf.label,
        "language": LANGUAGES.get(sf.language, sf.language),
        "treat_as_transcript": "caption" in sf.tags and "transcript" in sf.tags,
        "machine_generated": "machine_generated" in sf.tags,
    }
    return {k: v for k, v in body.items() if v is not None}
