"""Seed media objects of the Avalon simulator, taken from the API document's examples.

Media objects 1g05fb83r, vd66w000m, mk61rh07c and sx61dm430 with their master files and
derivatives come from the document. The rest fills gaps the examples leave: the
vd66w000m master file's id (ns064602j, the one the supplemental-file examples use),
published objects a non-administrator may read (gt54kn04s public, hq37vn59b restricted),
enough objects in d791sg31t for its items example to be page 2 at two per page, and two
interviews in jh343s44s (kp78gg36x a video, mw22v545r a sound recording) for searches.
Collections, vocabulary and supplemental files are in :mod:`.seed_catalog`.
"""

from __future__ import annotations

from typing import Any

from adapters.avalon.simulator.render import default_fields, record_identifier
from adapters.avalon.simulator.seed_catalog import collections, supplemental_files, vocabulary
from adapters.avalon.simulator.state import AvalonState, Json, MasterFile, MediaObject

_RTMP = "rtmp://mallorn.dlib.indiana.edu:1935/avalon/mp4:"

CAPTIONS_POPEYE = (
    "WEBVTT\r\n\r\n1\r\n00:00:00.200 --> 00:00:02.000\r\nTitle frame 1-2 sec\r\n\r\n"
    "2\r\n00:00:04.000 --> 00:00:05.000\r\n4 seconds\r\n\r\n"
    "3\r\n00:00:10.000 --> 00:00:11.000\r\n10 seconds\r\n\r\n"
    "4\r\n00:00:16.000 --> 00:00:16.500\r\n16 seconds\r\n\r\n"
    "5\r\n00:00:27.000 --> 00:00:27.800\r\n27 seconds"
)
CAPTIONS_ELEC = (
    "WEBVTT\r\n\r\n1\r\n00:00:00.200 --> 00:00:02.000\r\nTitle frame 1-2 sec\r\n\r\n"
    "2\r\n00:00:04.000 --> 00:00:05.000\r\n4 seconds"
)
STRUCTURE_XML = (
    '<?xml version="1.0"?>\n<Item label="Lease Test">'
    '<Div label="Opening"><Span label="Title frame" begin="00:00:00.000" end="00:00:02.000"/>'
    "</Div></Item>"
)


def _derivative(
    label: str,
    deriv_id: str,
    stream: str,
    track: tuple[str | None, str | None],
    media: tuple[Any, ...],
    root: str = "/var/avalon/rtmp_streams",
    hls_suffix: str = ".mp4/index.m3u8",
) -> Json:
    """One derivative; ``media`` is (duration, mime, abr, acodec, vbr, vcodec, width, height)."""
    duration, mime, abr, acodec, vbr, vcodec, width, height = media
    url = _RTMP + stream
    return {
        "label": label,
        "id": deriv_id,
        "url": url,
        # Relative: rendered as an absolute URL on the simulator's own host.
        "hls_url": f"/avalon/{stream}{hls_suffix}",
        "duration": duration,
        "mime_type": mime,
        "audio_bitrate": abr,
        "audio_codec": acodec,
        "video_bitrate": vbr,
        "video_codec": vcodec,
        "width": width,
        "height": height,
        "location": url,
        "track_id": track[0],
        "hls_track_id": track[1],
        "managed": False,
        "derivativeFile": f"file://{root}/{stream}.mp4",
    }


def _master_file(mf_id: str, mo_id: str, derivatives: list[Json], **attrs: Any) -> MasterFile:
    base: Json = {
        "workflow_name": "avalon",
        "percent_complete": None,
        "status_code": None,
        "structure": None,
        "label": "",
        "thumbnail_offset": 2000,
        "poster_offset": 2000,
        "physical_description": None,
        "file_checksum": None,
        "file_format": "Moving image",
        "other_identifier": [],
        "captions": None,
        "captions_type": None,
        "comment": [],
        "display_aspect_ratio": None,
        "original_frame_size": None,
        "width": None,
        "height": None,
    }
    base.update(attrs)
    # Avalon keeps the uploaded file's base name (master_file.rb:224).
    base.setdefault("original_filename", str(base.get("file_location", "")).rpartition("/")[2])
    return MasterFile(id=mf_id, media_object_id=mo_id, attrs=base, derivatives=derivatives)


def _media_object(
    mo_id: str, collection_id: str, title: str, date_issued: str, **extra: Any
) -> MediaObject:
    fields = default_fields()
    fields.update(
        title=title,
        date_issued=date_issued,
        avalon_resource_type=["moving image"],
        avalon_uploader=extra.pop("uploader", "archivist1@example.com"),
        format=extra.pop("format", ["video/mp4"]),
        record_identifier=[record_identifier(mo_id)],
    )
    fields.update(extra.pop("fields", {}))
    return MediaObject(id=mo_id, collection_id=collection_id, fields=fields, **extra)


def _document_objects() -> list[tuple[MediaObject, list[MasterFile]]]:
    sample = "ececa279-0217-45b4-92fb-daf49d552f33/outputs/SampleVideo"
    lease_media = (5336, None, 128078, "mp4a-40-2", 1500000, "avc1", "1280.0", "720.0")
    lease = _media_object("1g05fb83r", "p8418n203", "Lease Test", "2020")
    lease_mf = _master_file(
        "1c18df984",
        lease.id,
        [
            _derivative(
                "quality-medium",
                "26d00ae1-44b9-4306-a310-158b3e39a7c5",
                f"{sample}-medium",
                ("12532-medium", None),
                lease_media,
                root="/srv/avalon/rtmp_streams",
            ),
            _derivative(
                "quality-high",
                "e87804de-916b-40f9-aa28-69b8ce6dbcb4",
                f"{sample}-high",
                ("12532-high", None),
                (5336, None, 192000, "mp4a-40-2", 3000000, "avc1", "1280.0", "720.0"),
                root="/srv/avalon/rtmp_streams",
            ),
            _derivative(
                "quality-low",
                "6cc0e00a-eaf4-4fb7-9be6-64772a5b258a",
                f"{sample}-low",
                ("12532-low", None),
                (5336, None, 128078, "mp4a-40-2", 500000, "avc1", "852.0", "480.0"),
                root="/srv/avalon/rtmp_streams",
            ),
        ],
        percent_complete="100.0",
        status_code="COMPLETED",
        structure=STRUCTURE_XML,
        file_location="/srv/avalon/Archiver_spool/avalon/1c18df984-SampleVideo.mp4",
        file_size="1055736",
        duration="5312",
        date_digitized="2019-12-10T18:33:41Z",
        display_aspect_ratio="1.7777777777777777",
        original_frame_size="1280x720",
        width=1280,
        height=720,
    )
    popeye = _media_object("vd66w000m", "jh343s44s", "100_item_8", "2017")
    popeye_mf = _master_file(
        "ns064602j",
        popeye.id,
        [
            _derivative(
                "quality-high",
                "track-3",
                "06e89f15-e16a-475b-af5f-8a119891e559/"
                "c16082dd-5fc7-4b1b-b582-8fa71923e6f6/Popeye_forPresident",
                ("track-3", "track-4"),
                ("30102", "video/mp4", "98902.0", "AAC", "513984.0", "AVC", "320", "240"),
            )
        ],
        workflow_name="avalon-skip-transcoding",
        label="popeye",
        file_location="/srv/avalon/dropbox/Krishna_Ptest/assets/Popeye_forPresident.mp4",
        file_size="2352948",
        duration="30101",
        date_digitized="2018-10-02T19:18:35Z",
        captions=CAPTIONS_POPEYE,
        captions_type="text/vtt",
        display_aspect_ratio="1.3333333333333333",
        original_frame_size="320x240",
        width=320,
        height=240,
    )
    elec = _media_object(
        "mk61rh07c", "d791sg31t", "elec1 2882 bug", "1111", uploader="saidulla@iu.edu"
    )
    elec_stream = "c9eb28f9-4ef3-4040-9478-1633bfa58b74/{}/electricbeat_1"
    elec_mf = _master_file(
        "tq57nr13n",
        elec.id,
        [
            _derivative(
                label,
                deriv_id,
                elec_stream.format(folder),
                tracks,
                ("5334", "video/mp4", None, None, vbr, "AVC", width, height),
            )
            for label, deriv_id, folder, tracks, vbr, width, height in (
                (
                    "quality-high",
                    "0b5272fe-b498-47d5-b75f-6c258894296d",
                    "e3037981-dd6f-4663-b8b0-adb1c2dc54e2",
                    ("track-8", "track-11"),
                    "2000000.0",
                    "960",
                    "720",
                ),
                (
                    "quality-medium",
                    "11a94a20-335d-459a-a3d2-042226bc83d4",
                    "826b8471-6125-4c88-b332-1026fa27b6aa",
                    ("track-7", "track-10"),
                    "1064690.0",
                    "640",
                    "480",
                ),
                (
                    "quality-low",
                    "7c71553f-8b0d-45ae-a2de-14768f3baeec",
                    "10cd97b9-6d32-4196-9e9a-83250308b170",
                    ("track-9", "track-12"),
                    "530724.0",
                    "480",
                    "360",
                ),
            )
        ],
        file_location="/tmp/electricbeat-1.mp4",  # noqa: S108 (a path quoted from upstream data)
        file_size="337659",
        duration="5334",
        date_digitized="2018-03-29T17:59:15Z",
        file_checksum="94000912e0c10c6c668f13dfb0a70072",
        captions=CAPTIONS_ELEC,
        captions_type="text/vtt",
        display_aspect_ratio="1.3333333333333333",
        original_frame_size="320x240",
        width=320,
        height=240,
    )
    luna = _media_object(
        "sx61dm430",
        "d791sg31t",
        "Luna r642",
        "1212",
        uploader="saidulla@iu.edu",
        format=["audio/mpeg"],
        fields={"avalon_resource_type": ["sound recording"]},
    )
    luna_stream = "d7ffad5f-9c41-4106-94af-99abf055d5d5/{}/Caruso_LunaDestate"
    luna_mf = _master_file(
        "5138jd99j",
        luna.id,
        [
            _derivative(
                "quality-medium",
                "adad926d-3cb2-4547-9159-02dd6c85d014",
                luna_stream.format("9ff00ea7-2652-4087-a630-dc48638d861f"),
                ("track-7", "track-9"),
                ("135207", "audio/mp4", "124204.0", "AAC", None, None, None, None),
            ),
            _derivative(
                "quality-high",
                "86452f55-b9d5-4045-a9a9-25a6e6438936",
                luna_stream.format("cd18d1ca-870d-48fa-a395-c576efbf4bab"),
                ("track-6", "track-8"),
                ("135207", "audio/mp4", "147344.0", "AAC", None, None, None, None),
            ),
        ],
        workflow_name="fullaudio",
        thumbnail_offset=0,
        poster_offset=0,
        file_location="/tmp/Caruso-LunaDestate.mp3",  # noqa: S108 (quoted from upstream data)
        file_size="2165531",
        duration="135209",
        date_digitized="2018-04-18T15:09:20Z",
        file_checksum="df20cc5ee6ec04ed63b0d8497e41fbd0",
        file_format="Sound",
    )
    return [
        (lease, [lease_mf]),
        (popeye, [popeye_mf]),
        (elec, [elec_mf]),
        (luna, [luna_mf]),
    ]


def _filler_object(
    mo_id: str, mf_id: str, collection_id: str, title: str, **extra: Any
) -> tuple[MediaObject, list[MasterFile]]:
    mo = _media_object(mo_id, collection_id, title, "2021", **extra)
    stream = f"{mf_id}-stream/{mo_id}"
    media = ("60000", "video/mp4", "128000.0", "AAC", "1000000.0", "AVC", "640", "360")
    mf = _master_file(
        mf_id,
        mo_id,
        [_derivative("quality-medium", f"{mf_id}-medium", stream, ("track-1", "track-2"), media)],
        label=f"{title}.mp4",
        file_location=f"/srv/avalon/dropbox/{mo_id}.mp4",
        file_size="4200000",
        duration="60000",
        date_digitized="2021-05-04T10:00:00Z",
        display_aspect_ratio="1.7777777777777777",
        original_frame_size="640x360",
        width=640,
        height=360,
    )
    return mo, [mf]


def _sound_object(
    mo_id: str, mf_id: str, collection_id: str, title: str
) -> tuple[MediaObject, list[MasterFile]]:
    """A sound recording with one audio derivative, shaped like the Luna r642 example."""
    mo = _media_object(
        mo_id,
        collection_id,
        title,
        "1958",
        format=["audio/mpeg"],
        fields={"avalon_resource_type": ["sound recording"]},
    )
    stream = f"{mf_id}-stream/{mo_id}"
    media = ("1800000", "audio/mp4", "128000.0", "AAC", None, None, None, None)
    mf = _master_file(
        mf_id,
        mo_id,
        [_derivative("quality-medium", f"{mf_id}-medium", stream, ("track-1", "track-2"), media)],
        workflow_name="fullaudio",
        label=f"{title}.mp3",
        thumbnail_offset=0,
        poster_offset=0,
        file_location=f"/srv/avalon/dropbox/{mo_id}.mp3",
        file_size="28800000",
        duration="1800000",
        date_digitized="2021-05-04T11:00:00Z",
        file_format="Sound",
    )
    return mo, [mf]


def seed_state() -> AvalonState:
    """A fresh state holding the seed records; nothing is shared between calls."""
    lease, popeye, elec, luna = _document_objects()
    published = {"published_by": "archivist1@example.com"}
    ordered = [
        lease,
        _filler_object("bn999672v", "bc386j20b", "d791sg31t", "mallorn reel 1"),
        popeye,
        _filler_object("cj82k7298", "cv43nw833", "d791sg31t", "mallorn reel 2"),
        elec,
        luna,
        _filler_object("fx719m61d", "dz010q11g", "d791sg31t", "mallorn reel 3"),
        _filler_object(
            "gt54kn04s", "gf06g2757", "p8418n203", "Open lecture", visibility="public", **published
        ),
        _filler_object(
            "hq37vn59b",
            "hh63sw62v",
            "p8418n203",
            "Members lecture",
            visibility="restricted",
            **published,
        ),
        _filler_object("kp78gg36x", "ks65hc20t", "jh343s44s", "Oral history interview, reel 1"),
        _sound_object("mw22v545r", "mb35t871s", "jh343s44s", "Radio interview 1958"),
    ]
    state = AvalonState(
        vocabulary=vocabulary(),
        collections={c.id: c for c in sorted(collections(), key=lambda c: c.id)},
        media_objects={},
        master_files={},
        supplemental_files={sf.id: sf for sf in supplemental_files()},
        next_supplemental_id=152,
    )
    for mo, master_files in ordered:
        mo.master_file_ids = [mf.id for mf in master_files]
        state.media_objects[mo.id] = mo
        state.master_files.update((mf.id, mf) for mf in master_files)
    return state
