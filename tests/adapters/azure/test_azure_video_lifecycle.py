"""Azure videos' lifecycle through the gateway: stepwise uploads, ETags, refusals."""

from __future__ import annotations

import pytest

from adapters.azure.simulator import AzureSimulator
from tests.support.azure.navigator import PROBLEM, Navigator
from tests.support.azure.videos import MEDIA, md5
from tests.support.azure.videos import uploaded as _uploaded


async def test_stepwise_upload_through_the_gateways_own_upload_url(
    nav: Navigator, simulator: AzureSimulator
) -> None:
    backend = await nav.backend()
    response, video = await nav.request(
        "POST",
        nav.href(backend, "azure:videos"),
        json={"filename": "lecture.mov", "protection": "aes128"},
    )
    assert response.status == 201, video
    assert response.headers["Location"] == video["_links"]["self"]["href"]
    assert (video["status"], video["protection"]) == ("Uploading", "AES128")
    upload = nav.href(video, "azure:upload")
    assert upload.startswith(str(nav.client.make_url("/")))

    response, problem = await nav.request("POST", nav.href(video, "azure:complete"))
    assert response.status == 409
    assert problem["transient"] is True
    assert problem["errors"] == ["No file has been uploaded to the video's UploadUri."]

    response, _ = await nav.request(
        "PUT", upload, data=MEDIA, headers={"Content-Type": "video/quicktime"}
    )
    assert response.status == 204
    stored = simulator.stored_file(video["id"])
    assert stored is not None
    assert stored.md5 == md5(MEDIA)

    response, encoding = await nav.request("POST", nav.href(video, "azure:complete"))
    assert response.status == 202
    assert response.headers["Location"] == video["_links"]["self"]["href"]
    assert (encoding["status"], encoding["progress"]) == ("Encoding", 0)
    assert "azure:upload" not in encoding["_links"]
    ready = await nav.encoded(encoding, simulator)
    assert "azure:authorization-token" in ready["_links"]

    response, problem = await nav.request(
        "PUT", upload, data=b"again", headers={"Content-Type": "video/quicktime"}
    )
    assert response.status == 409
    assert "completed" in problem["detail"]


async def test_the_gateways_own_etags_answer_304_and_412(
    nav: Navigator, simulator: AzureSimulator
) -> None:
    video = await _uploaded(nav)
    href = video["_links"]["self"]["href"]
    response, _ = await nav.request("GET", href)
    etag = response.headers["ETag"]
    response, body = await nav.request("GET", href, headers={"If-None-Match": f'W/{etag}, "x"'})
    assert response.status == 304
    assert body == b""
    assert response.headers["ETag"] == etag

    # Progress is part of the document, so it changes the tag though the record does not.
    simulator.set_encoding_progress(video["id"], 40)
    response, encoding = await nav.request("GET", href, headers={"If-None-Match": etag})
    assert response.status == 200
    assert encoding["progress"] == 40
    progress_etag = response.headers["ETag"]
    assert progress_etag != etag

    response, problem = await nav.request("DELETE", href)
    assert response.status == 409  # encoding
    simulator.finish_encoding(video["id"])
    response, ready = await nav.request("GET", href, headers={"If-None-Match": progress_etag})
    assert response.status == 200
    assert ready["status"] == "Ready"
    new_etag = response.headers["ETag"]
    assert new_etag not in (etag, progress_etag)

    response, problem = await nav.request("DELETE", href, headers={"If-Match": etag})
    assert response.status == 412
    assert response.content_type == PROBLEM
    assert video["id"] in problem["detail"]
    response, _ = await nav.request("DELETE", href, headers={"If-Match": f"W/{new_etag}"})
    assert response.status == 412  # If-Match compares strongly
    response, _ = await nav.request("DELETE", href, headers={"If-Match": new_etag})
    assert response.status == 204
    response, problem = await nav.request("GET", href)
    assert response.status == 404
    assert simulator.video_ids() == []


async def test_completion_honours_if_match_with_the_gateways_etag(
    nav: Navigator, simulator: AzureSimulator
) -> None:
    backend = await nav.backend()
    _, video = await nav.request(
        "POST", nav.href(backend, "azure:videos"), json={"filename": "step.mp4"}
    )
    href = video["_links"]["self"]["href"]
    response, _ = await nav.request("GET", href)
    before = response.headers["ETag"]
    response, _ = await nav.request(
        "PUT", nav.href(video, "azure:upload"), data=MEDIA, headers={"Content-Type": "video/mp4"}
    )
    assert response.status == 204
    complete = nav.href(video, "azure:complete")
    response, problem = await nav.request("POST", complete, headers={"If-Match": '"other"'})
    assert response.status == 412, problem
    response, _ = await nav.request("GET", href)
    current = response.headers["ETag"]
    assert current == before  # the stored file shows nowhere in the document
    response, encoding = await nav.request("POST", complete, headers={"If-Match": current})
    assert response.status == 202, encoding
    assert encoding["status"] == "Encoding"


@pytest.mark.parametrize(
    ("params", "content_type", "status", "detail"),
    [
        pytest.param({"filename": ""}, "video/mp4", 400, "name the file", id="no-name"),
        pytest.param({"protection": "DRM"}, "video/mp4", 400, "protection must", id="protection"),
        pytest.param({}, "text/plain", 415, "not accepted", id="not-media"),
        pytest.param({"filename": "a.xyz"}, "video/mp4", 400, "answered 400", id="format"),
    ],
)
async def test_refused_uploads_leave_no_video(
    nav: Navigator,
    simulator: AzureSimulator,
    params: dict[str, str],
    content_type: str,
    status: int,
    detail: str,
) -> None:
    query = {"filename": "talk.mp4", **params}
    name = query.pop("filename") or None
    response, problem = await nav.upload(
        MEDIA, filename=name, content_type=content_type, params=query
    )
    assert response.status == status, problem
    assert detail in problem["detail"]
    assert simulator.video_ids() == []


async def test_the_file_name_may_come_from_content_disposition(
    nav: Navigator, simulator: AzureSimulator
) -> None:
    response, video = await nav.upload(
        MEDIA,
        filename=None,
        content_type="audio/mpeg",
        headers={"Content-Disposition": 'attachment; filename="../../etc/song.mp3"'},
    )
    assert response.status == 202, video
    assert video["filename"] == "song.mp3"
    ready = await nav.encoded(video, simulator)
    progressive = next(p for p in ready["_links"]["azure:playback"] if p["name"] == "Progressive")
    assert progressive["type"] == "audio/mp4"
