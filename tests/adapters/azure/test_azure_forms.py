"""The connector's writes as HAL-FORMS templates, each proven by a write built from it alone."""

from __future__ import annotations

from adapters.azure.simulator import AzureSimulator
from tests.support.azure.navigator import Navigator
from tests.support.azure.videos import MEDIA
from tests.support.forms import properties, required, submit, template, with_forms


async def test_a_video_is_created_uploaded_and_completed_from_its_templates(
    nav: Navigator, simulator: AzureSimulator
) -> None:
    videos = nav.href(await nav.backend(), "azure:videos")
    create, _ = await template(nav, videos)
    assert (create["method"], create["contentType"]) == ("POST", "application/json")
    assert required(create) == {"filename"}
    assert properties(create)["protection"]["options"]["inline"] == ["None", "AES128"]
    response, video = await submit(nav, create, {"filename": "lecture.mp4", "protection": "None"})
    assert response.status == 201, video
    assert video["status"] == "Uploading"

    upload, shown = await template(nav, response.headers["Location"], "upload")
    assert (upload["method"], upload["contentType"]) == ("PUT", "video/*")
    assert upload["target"] == nav.href(shown, "azure:upload")
    response, _ = await submit(nav, upload, files={"file": ("lecture.mp4", MEDIA, "video/mp4")})
    assert response.status == 204

    complete = shown["_templates"]["complete"]
    assert (complete["method"], complete["properties"]) == ("POST", [])
    response, encoding = await submit(nav, complete)
    assert response.status == 202, encoding
    assert encoding["status"] == "Encoding"
    # Encoding, the video takes no upload and no deletion: the templates are gone.
    assert "_templates" not in await with_forms(nav, shown["_links"]["self"]["href"])
    assert simulator.video_ids() == [video["id"]]


async def test_a_video_is_uploaded_in_one_step_and_deleted_from_templates(
    nav: Navigator, simulator: AzureSimulator
) -> None:
    upload, _ = await template(nav, nav.href(await nav.backend(), "azure:videos"), "upload")
    assert (upload["method"], upload["contentType"]) == ("POST", "video/*")
    assert properties(upload)["file"]["type"] == "file"
    response, video = await submit(nav, upload, files={"file": ("talk.mp4", MEDIA, "video/mp4")})
    assert response.status == 202, video
    assert video["filename"] == "talk.mp4"

    ready = await nav.encoded(video, simulator)
    delete, _ = await template(nav, ready["_links"]["self"]["href"], "delete")
    response, _ = await submit(nav, delete)
    assert response.status == 204
    assert simulator.video_ids() == []


async def test_the_create_form_refuses_what_it_does_not_declare(nav: Navigator) -> None:
    create, _ = await template(nav, nav.href(await nav.backend(), "azure:videos"))
    response, problem = await nav.request(create["method"], create["target"], json={})
    assert response.status == 400
    assert problem["invalid_params"] == [{"name": "filename", "reason": "filename is required"}]
    response, problem = await nav.request(
        create["method"], create["target"], json={"filename": "x.mp4", "protection": "DRM"}
    )
    assert response.status == 400
    assert "protection must be one of None, AES128" in problem["detail"]
