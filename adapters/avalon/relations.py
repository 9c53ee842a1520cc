"""The ``avalon:`` link relations, documented at ``/rels/avalon/{rel}``.

Paths here are relative to the backend root ``/backends/<name>``.
"""

from __future__ import annotations

from typing import Final

from gateway.spi import RelationDoc

MEDIA_OBJECTS: Final = "/media-objects{?page,per_page}"
MEDIA_OBJECT: Final = "/media-objects/{id}{?include_structure}"
COLLECTIONS: Final = "/collections{?page,per_page}"
COLLECTION: Final = "/collections/{id}"
VOCABULARIES: Final = "/vocabulary"
VOCABULARY: Final = "/vocabulary/{name}"

RELATIONS: Final = (
    RelationDoc(
        "media-objects",
        "Media objects",
        "The paged list of media objects, each embedded as avalon:media-object. POST a JSON "
        "media object (fields.title and collection_id required; files, publish, "
        "import_bib_record as in the Avalon API) to create one: 201 with Location.",
        ("GET", "POST"),
        MEDIA_OBJECTS,
        '{"collection_id": "p8418n203", "fields": {"title": "Interview", "date_issued": "2020"}}',
    ),
    RelationDoc(
        "media-object",
        "One media object",
        "A media object with its descriptive fields, its master files embedded (each with its "
        "derivatives) and links to its collection and supplemental files. PUT a JSON body to "
        "update (files with replace_masterfiles and publish). DELETE queues the deletion (202): "
        "the object reads as before until Avalon has run it, then 404; an account that may not "
        "delete it gets 403 and the object stays.",
        ("GET", "PUT", "DELETE"),
        MEDIA_OBJECT,
        '{"fields": {"title": "New title"}, "files": [], "publish": true}',
    ),
    RelationDoc(
        "master-file",
        "A master file",
        "A master file of a media object: its technical metadata, its derivatives embedded as "
        "avalon:derivative, and its supplemental files.",
        ("GET",),
        "/media-objects/{id}/master-files/{master_file_id}",
    ),
    RelationDoc(
        "derivative",
        "A derivative (stream)",
        "A transcoded derivative of a master file. The link leads to its HLS playlist on the "
        "media server (type application/vnd.apple.mpegurl); the embedded resource holds its "
        "quality, codecs and bitrates.",
        ("GET",),
    ),
    RelationDoc(
        "collections",
        "Collections",
        "The paged list of admin collections, sorted by name. POST {name, unit, description, "
        "contact_email, website_label, website_url, managers} to create one (the unit must be "
        "in the units vocabulary; names are unique): 201 with Location.",
        ("GET", "POST"),
        COLLECTIONS,
        '{"name": "Oral histories", "unit": "Default Unit", '
        '"managers": ["archivist1@example.com"]}',
    ),
    RelationDoc(
        "collection",
        "One collection",
        "An admin collection with its object counts and roles, linking its items. PUT the same "
        "fields as for creation to update it.",
        ("GET", "PUT"),
        COLLECTION,
    ),
    RelationDoc(
        "items",
        "Items of a collection",
        "The paged media objects of a collection, embedded as avalon:media-object.",
        ("GET",),
        "/collections/{id}/items{?page,per_page}",
    ),
    RelationDoc(
        "vocabularies",
        "Controlled vocabularies",
        "Every controlled vocabulary (units, identifier types, note types, rights statements, "
        "...), each linked and embedded as avalon:vocabulary.",
        ("GET",),
        VOCABULARIES,
    ),
    RelationDoc(
        "vocabulary",
        "One vocabulary",
        'A controlled vocabulary. POST or PUT {"entry": ...} adds an entry: a string for list '
        "vocabularies, an object for keyed ones. Administrators only.",
        ("GET", "PUT", "POST"),
        VOCABULARY,
        '{"entry": "Music Library"}',
    ),
    RelationDoc(
        "supplemental-files",
        "Supplemental files",
        "The paged supplemental files (captions, transcripts, other documents) of a media object "
        "or master file (a master file's at /master-files/{master_file_id}/supplemental-files "
        "below its media object, and so each file's). POST multipart/form-data with a 'file' "
        "part and an optional 'metadata' JSON part, or JSON metadata alone, to add one: 201 "
        "with Location. Captions must be text/vtt or text/srt.",
        ("GET", "POST"),
        "/media-objects/{id}/supplemental-files{?page,per_page}",
        '{"label": "English captions", "language": "eng", "type": "caption"}',
    ),
    RelationDoc(
        "supplemental-file",
        "One supplemental file",
        "A supplemental file's metadata (label, language, type, treat_as_transcript, "
        "machine_generated). PUT JSON metadata to update it; DELETE removes it (204).",
        ("GET", "PUT", "DELETE"),
        "/media-objects/{id}/supplemental-files/{file_id}",
    ),
    RelationDoc(
        "content",
        "A supplemental file's bytes",
        "The stored file, streamed with its own content type and disposition, wherever Avalon "
        "keeps it. PUT multipart/form-data with a "
        "'file' part, or the raw bytes with their Content-Type (name them with "
        "Content-Disposition or ?filename=), to replace it.",
        ("GET", "PUT"),
        "/media-objects/{id}/supplemental-files/{file_id}/content",
    ),
)
