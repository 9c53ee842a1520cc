"""The bodies of Flex's asset writes, declared once: the handlers check bodies against these
forms and resources offer them as HAL-FORMS templates.

Flex itself says what a create misses (``name is required``), in its own words; the forms
check what is sent. Members they leave out go to Flex as sent, for Flex to judge.
"""

from __future__ import annotations

from typing import Final

from gateway.spi import Form, Property

ACTION_TYPES: Final = ("enable", "disable", "delete", "approve", "unapprove", "destroy")
"""The actions Flex documents; no other is sent."""

_EDITABLE: Final = (
    Property("displayName", prompt="Display name"),
    Property("description", "textarea", prompt="Description"),
)
CREATE_ASSET: Final = Form(
    "POST",
    (
        Property("name", required=True, prompt="Name"),
        *_EDITABLE,
        Property("fileAssetType", prompt="File type (VIDEO, AUDIO, IMAGE or DOCUMENT)"),
        Property("isGroup", "checkbox", prompt="A group of assets"),
    ),
    title="Create a placeholder asset",
)
UPDATE_ASSET: Final = Form(
    "PUT",
    (Property("name", prompt="Name"), *_EDITABLE),
    title="Update the asset (read-only properties are ignored)",
)
UPDATE_METADATA: Final = Form(
    "PUT",
    (
        Property(
            "instance",
            "textarea",
            required=True,
            prompt="The metadata as an XML document of one root element",
        ),
    ),
    title="Replace the metadata",
)
"""The metadata as XML text in ``instance``; the route also takes the instance as JSON (an
object) or a whole XML document as the body (``application/xml``)."""
ACT: Final = Form(
    "POST",
    (Property("action", required=True, prompt="Action", options=ACTION_TYPES),),
    title="Act on the asset",
)
