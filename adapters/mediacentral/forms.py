"""The body of MediaCentral's one write, declared once: the update handler shapes bodies
with this form and assets offer it as a HAL-FORMS template.

An asset's update takes attribute groups as the platform has them (``{"common": {"name":
...}}``); the platform decides which attributes are writable and names the others in its
refusal. Renaming is what the form describes: ``name`` may also come bare.
"""

from __future__ import annotations

from typing import Final

from gateway.spi import Form, Property

RENAME: Final = Form(
    "PATCH",
    (Property("name", prompt="New name", at=("common", "name")),),
    title="Rename the asset",
)
