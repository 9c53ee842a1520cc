"""The Avalon media object the proxy benchmarks serve: about 1.9 KB of JSON.

It has the shape ``GET /media_objects/{id}.json`` answers in Avalon (and its simulator):
the object's own keys, one master file with one HLS derivative, and the descriptive
``fields``. The Avalon adapter translates it into a HAL media object, with a link per
master file and derivative.
"""

from __future__ import annotations

import json
from typing import Any, Final

BACKEND: Final = "bench"
OBJECT_ID: Final = "bench1"
UPSTREAM_PATH: Final = f"/media_objects/{OBJECT_ID}.json"
"""What the Avalon adapter GETs for ``/backends/<name>/media-objects/<id>``."""
PROBE_PATH: Final = "/media_objects.json"
"""What the Avalon adapter's readiness probe GETs (``?per_page=1``)."""
GATEWAY_PATH: Final = f"/backends/{BACKEND}/media-objects/{OBJECT_ID}"


def media_object(object_id: str = OBJECT_ID) -> dict[str, Any]:
    """An Avalon media object with one master file and one derivative."""
    master_file = "bm1c18df9"
    stream = f"ececa279-0217-45b4-92fb-daf49d552f33/outputs/{master_file}-medium"
    return {
        "id": object_id,
        "title": "Benchmark lecture recording",
        "collection": "Benchmarks",
        "collection_id": "bp8418n20",
        "unit": "Default Unit",
        "main_contributors": ["Bench, Ada"],
        "publication_date": "2020",
        "published_by": "archivist1@example.com",
        "published": True,
        "summary": "A lecture recording of the shape Avalon serves, for the benchmarks.",
        "visibility": "public",
        "read_groups": [],
        "lending_period": 1209600,
        "lending_status": "available",
        "files": [
            {
                "id": master_file,
                "workflow_name": "avalon",
                "percent_complete": "100.0",
                "status_code": "COMPLETED",
                "structure": None,
                "label": "Lecture",
                "thumbnail_offset": 2000,
                "poster_offset": 2000,
                "original_filename": f"{master_file}-lecture.mp4",
                "file_size": "1055736",
                "duration": "5312",
                "date_digitized": "2019-12-10T18:33:41Z",
                "file_format": "Moving image",
                "supplemental_file_captions": [],
                "display_aspect_ratio": "1.7777777777777777",
                "width": 1280,
                "height": 720,
                "files": [
                    {
                        "label": "quality-medium",
                        "id": "26d00ae1-44b9-4306-a310-158b3e39a7c5",
                        "hls_url": f"http://streaming.example.org/avalon/{stream}.mp4/index.m3u8",
                        "duration": 5336,
                        "mime_type": None,
                        "audio_bitrate": 128078,
                        "audio_codec": "mp4a-40-2",
                        "video_bitrate": 1500000,
                        "video_codec": "avc1",
                        "width": "1280.0",
                        "height": "720.0",
                        "track_id": f"{master_file}-medium",
                        "managed": False,
                    }
                ],
            }
        ],
        "fields": {
            "duration": "5312",
            "avalon_resource_type": ["moving image"],
            "avalon_publisher": None,
            "avalon_uploader": "archivist1@example.com",
            "title": "Benchmark lecture recording",
            "creator": ["Bench, Ada"],
            "date_issued": "2020",
            "format": ["video/mp4"],
            "genre": ["Lectures"],
            "subject": ["Benchmarks"],
            "language": ["eng"],
            "terms_of_use": None,
            "physical_description": [],
            "series": [],
            "record_identifier": [f"http://fedora.example.org/rest/{object_id}"],
            "rights_statement": None,
            "table_of_contents": [],
            "note": None,
        },
    }


def media_object_bytes() -> bytes:
    """The media object as JSON, UTF-8."""
    return json.dumps(media_object()).encode()


def probe_bytes() -> bytes:
    """The probe's answer: a list of one media object."""
    return b"[" + media_object_bytes() + b"]"
