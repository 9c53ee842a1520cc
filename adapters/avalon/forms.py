"""The bodies of Avalon's writes, declared once: the handlers check bodies against these
forms and resources offer them as HAL-FORMS templates.

Media objects take their descriptive fields bare (``title``) or, as Avalon has them,
under ``fields`` (``fields.title``); collections take theirs bare or under
``admin_collection``. Members the forms leave out (``files``, ``publish``,
``replace_masterfiles``, ``import_bib_record``, ``managers``, ...) go to Avalon as sent.
"""

from __future__ import annotations

from typing import Final

from gateway.spi import MULTIPART, Form, Property


def _field(name: str, prompt: str, kind: str = "text", *, required: bool = False) -> Property:
    """A descriptive field of a media object, which Avalon keeps under ``fields``."""
    return Property(name, kind, required, prompt, at=("fields", name))


_DESCRIPTIVE: Final = (
    _field("date_issued", "Date issued (EDTF, e.g. 2024 or 2024-05-01)"),
    _field("date_created", "Date created (EDTF)"),
    _field("statement_of_responsibility", "Statement of responsibility"),
    _field("abstract", "Summary", "textarea"),
)
CREATE_MEDIA_OBJECT: Final = Form(
    "POST",
    (
        Property("collection_id", required=True, prompt="Id of the collection it joins"),
        _field("title", "Title", required=True),
        *_DESCRIPTIVE,
    ),
    title="Create a media object",
)
UPDATE_MEDIA_OBJECT: Final = Form(
    "PUT",
    (
        Property("collection_id", prompt="Id of the collection it belongs to"),
        _field("title", "Title"),
        *_DESCRIPTIVE,
    ),
    title="Update the media object (fields left out stay)",
)
DELETE_MEDIA_OBJECT: Final = Form("DELETE", title="Delete the media object (queued)")

_COLLECTION_FIELDS: Final = (
    Property("description", "textarea", prompt="Description"),
    Property("contact_email", "email", prompt="Contact e-mail"),
    Property("website_label", prompt="Website label"),
    Property("website_url", "url", prompt="Website URL"),
)
CREATE_COLLECTION: Final = Form(
    "POST",
    (
        Property("name", required=True, prompt="Name (unique)"),
        Property("unit", required=True, prompt="Unit (an entry of the units vocabulary)"),
        *_COLLECTION_FIELDS,
    ),
    title="Create a collection",
)
UPDATE_COLLECTION: Final = Form(
    "PUT",
    (
        Property("name", prompt="Name (unique)"),
        Property("unit", prompt="Unit (an entry of the units vocabulary)"),
        *_COLLECTION_FIELDS,
    ),
    title="Update the collection",
)

_FILE_METADATA: Final = (
    Property("label", prompt="Label"),
    Property("language", prompt="Language (name or ISO 639-2 code)"),
    Property("type", prompt="Use as", options=("caption", "transcript")),
    Property("treat_as_transcript", "checkbox", prompt="Also a transcript"),
    Property("machine_generated", "checkbox", prompt="Machine generated"),
)
UPLOAD_SUPPLEMENTAL_FILE: Final = Form(
    "POST",
    (
        Property("file", "file", required=True, prompt="The file"),
        Property(
            "metadata",
            "textarea",
            prompt='Its metadata as JSON: {"label", "language", "type": "caption" or '
            '"transcript", "treat_as_transcript", "machine_generated"}',
        ),
    ),
    MULTIPART,
    "Upload a supplemental file",
)
DESCRIBE_SUPPLEMENTAL_FILE: Final = Form(
    "POST", _FILE_METADATA, title="Add a supplemental file's metadata, without a file"
)
UPDATE_SUPPLEMENTAL_FILE: Final = Form(
    "PUT", _FILE_METADATA, title="Replace the metadata (fields left out are cleared, but language)"
)
REPLACE_CONTENT: Final = Form(
    "PUT",
    (Property("file", "file", required=True, prompt="The new file"),),
    MULTIPART,
    "Replace the file",
)
DELETE_SUPPLEMENTAL_FILE: Final = Form("DELETE", title="Delete the supplemental file")
