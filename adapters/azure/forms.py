"""The bodies of the connector's writes, declared once: the handlers check bodies against
these forms and videos offer them as HAL-FORMS templates.

A video is made in one step (its bytes posted to the list) or stepwise: created from JSON,
its bytes put to ``azure:upload``, then marked complete. Uploads take the file's bytes as
the whole body, in the file's own type (``video/*`` or ``audio/*``), named by
``Content-Disposition`` or ``?filename=``.
"""

from __future__ import annotations

from typing import Final

from gateway.spi import Form, Property

PROTECTION_MODES: Final = ("None", "AES128")
"""The connector's content protection modes (any case is taken)."""
MEDIA_RANGE: Final = "video/*"
"""The uploads' contentType: the file's own type (an ``audio/*`` one is taken too)."""

_FILE: Final = Property("file", "file", required=True, prompt="The video or audio file")
CREATE_VIDEO: Final = Form(
    "POST",
    (
        Property("filename", required=True, prompt="The name of the file to come"),
        Property("protection", prompt="Content protection", options=PROTECTION_MODES),
    ),
    title="Create a video, for a stepwise upload",
)
UPLOAD_VIDEO: Final = Form(
    "POST", (_FILE,), MEDIA_RANGE, "Upload a video in one step (encoding starts at once)"
)
UPLOAD_FILE: Final = Form("PUT", (_FILE,), MEDIA_RANGE, "Upload the video's file")
COMPLETE: Final = Form("POST", title="Mark the upload complete: encoding starts")
DELETE: Final = Form("DELETE", title="Delete the video")
