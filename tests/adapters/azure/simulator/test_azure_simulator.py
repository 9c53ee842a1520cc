"""The Azure connector simulator over real sockets: auth, the status table, the video state
machine, signed uploads to its storage, playback, and its command-line options."""

from __future__ import annotations

import argparse
import base64
import hashlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from adapters.azure.simulator import DEFAULT_TOKEN, AzureSimulator
from tests.support.azure.fixtures import TOKEN, SimFactory
from tests.support.replies import Reply, fetch

AUTH = {"Authorization": f"Bearer {TOKEN}"}
READER = "read-only-token"
FILE = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 64
FILE_MD5 = hashlib.md5(FILE, usedforsecurity=False)
CONTENT_MD5 = base64.b64encode(FILE_MD5.digest()).decode()


class Api:
    """Calls to one simulator."""

    def __init__(self, sim: AzureSimulator, http: aiohttp.ClientSession) -> None:
        self.sim = sim
        self.http = http

    async def call(self, method: str, url: str, **kwargs: Any) -> Reply:
        kwargs.setdefault("headers", AUTH)
        if not url.startswith("http"):
            url = self.sim.url + url
        return await fetch(self.http, method, url, **kwargs)

    async def create(self, name: str = "clip.mp4", **fields: str) -> dict[str, Any]:
        reply = await self.call("POST", "/api/Videos", json={"OriginalFileName": name, **fields})
        assert reply.status == 201, reply.body
        return dict(reply.json())

    async def put_file(self, video: dict[str, Any], data: bytes = FILE, **headers: str) -> Reply:
        return await self.call(
            "PUT",
            video["UploadUri"],
            data=data,
            headers={"x-ms-blob-type": "BlockBlob", **headers},
        )

    async def ready(self, name: str = "clip.mp4", **fields: str) -> dict[str, Any]:
        """A video through upload and encoding (the simulator must encode at once)."""
        video = await self.create(name, **fields)
        assert (await self.put_file(video)).status == 201
        assert (await self.call("POST", f"/api/Videos/{video['ID']}/MarkComplete")).status == 202
        return video


@pytest.fixture
async def api(simulators: SimFactory, http: aiohttp.ClientSession) -> Api:
    return Api(await simulators(encoding_duration_s=0.0, read_only_tokens=[READER]), http)


@pytest.mark.parametrize(
    ("headers", "method", "status"),
    [
        pytest.param({}, "GET", 401, id="no-token"),
        pytest.param({"Authorization": "Bearer wrong"}, "GET", 401, id="wrong-token"),
        pytest.param({"Authorization": f"Basic {TOKEN}"}, "GET", 401, id="wrong-scheme"),
        pytest.param({"Authorization": f"Bearer {READER}"}, "GET", 200, id="reader-reads"),
        pytest.param({"Authorization": f"Bearer {READER}"}, "POST", 403, id="reader-writes"),
        pytest.param({**AUTH, "Accept": "text/html"}, "GET", 406, id="not-json"),
        pytest.param({**AUTH, "Accept": "application/*"}, "GET", 200, id="json-range"),
    ],
)
async def test_requests_need_the_bearer_token_and_json(
    api: Api, headers: dict[str, str], method: str, status: int
) -> None:
    reply = await api.call(
        method, "/api/Videos", headers=headers, json={"OriginalFileName": "a.mp4"}
    )
    assert reply.status == status
    if status >= 400:
        assert reply.headers["Content-Type"].startswith("application/json")
        assert reply.json()["Message"]
    if status == 401:
        assert reply.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "message"),
    [
        pytest.param("POST", "/api/Videos", {"json": {}}, 400, "OriginalFileName", id="no-name"),
        pytest.param(
            "POST",
            "/api/Videos",
            {"json": {"OriginalFileName": "a.doc"}},
            400,
            "not a supported input format",
            id="format",
        ),
        pytest.param(
            "POST",
            "/api/Videos",
            {"json": {"OriginalFileName": "a.mp4", "ContentProtectionMode": "PlayReady"}},
            400,
            "ContentProtectionMode",
            id="protection",
        ),
        pytest.param(
            "POST",
            "/api/Videos",
            {"data": b"OriginalFileName=a.mp4"},
            415,
            "not supported",
            id="form-body",
        ),
        pytest.param("PATCH", "/api/Videos", {}, 405, "Method Not Allowed", id="method"),
        pytest.param("GET", "/api/Videos/nope", {}, 404, "No video", id="unknown"),
        pytest.param("GET", "/api/Videos?$top=x", {}, 400, "$top", id="bad-top"),
        pytest.param("GET", "/api/Videos?q=" + "x" * 3000, {}, 414, "too long", id="long-uri"),
    ],
)
async def test_bad_requests_answer_table_statuses_with_a_message(
    api: Api, method: str, path: str, kwargs: dict[str, Any], status: int, message: str
) -> None:
    reply = await api.call(method, path, headers=AUTH, **kwargs)
    assert reply.status == status
    assert message in reply.json()["Message"]


async def test_the_storage_key_is_shown_only_on_creation(api: Api) -> None:
    video = await api.create(InputStorageEncryptionMode="AES256")
    assert video["InputStorageEncryptionMode"] == "AES256"
    assert len(base64.b64decode(video["InputStorageEncryptionKey"])) == 32
    assert len(base64.b64decode(video["InputStorageEncryptionIV"])) == 16
    again = (await api.call("GET", f"/api/Videos/{video['ID']}")).json()
    assert "InputStorageEncryptionKey" not in again
    assert "InputStorageEncryptionIV" not in again
    assert again["UploadUri"] == video["UploadUri"]


async def test_a_video_goes_from_uploading_through_encoding_to_ready(
    simulators: SimFactory, http: aiohttp.ClientSession
) -> None:
    api = Api(await simulators(encoding_duration_s=None), http)
    video = await api.create()
    path = f"/api/Videos/{video['ID']}"
    assert (await api.call("GET", path + "/Status")).json() == {
        "State": "Uploading",
        "Progress": 0,
        "Message": None,
    }
    reply = await api.call("POST", path + "/MarkComplete")
    assert (reply.status, reply.json()["Message"]) == (
        409,
        "No file has been uploaded to the video's UploadUri.",
    )
    stored = await api.put_file(video)
    assert stored.status == 201
    assert stored.headers["Content-MD5"] == CONTENT_MD5
    record = api.sim.stored_file(video["ID"])
    assert record is not None
    assert (record.size, record.md5) == (len(FILE), FILE_MD5.hexdigest())
    assert record.path.read_bytes() == FILE
    assert record.path.parent == api.sim.storage_folder

    reply = await api.call("POST", path + "/MarkComplete")
    assert reply.status == 202
    assert reply.headers["Location"].endswith(path + "/Status")
    api.sim.set_encoding_progress(video["ID"], 30)
    assert (await api.call("GET", path + "/Status")).json()["Progress"] == 30
    assert (await api.call("GET", path)).json()["UploadUri"] == ""
    assert (await api.call("POST", path + "/MarkComplete")).status == 409
    assert (await api.call("DELETE", path)).status == 409
    assert (await api.put_file(video)).status == 409
    api.sim.finish_encoding(video["ID"])
    status = (await api.call("GET", path + "/Status")).json()
    assert (status["State"], status["Progress"]) == ("Ready", 100)
    assert (await api.call("GET", path)).json()["Duration"] > 0


async def test_encoding_time_drives_progress_and_an_empty_file_fails(api: Api) -> None:
    video = await api.create()
    assert (await api.put_file(video, b"")).status == 201
    path = f"/api/Videos/{video['ID']}"
    assert (await api.call("POST", path + "/MarkComplete")).status == 202
    status = (await api.call("GET", path + "/Status")).json()
    assert status == {"State": "Failed", "Progress": 0, "Message": "The uploaded file is empty."}
    reply = await api.call("GET", path + "/PlaybackEndpoint?endpointType=HLS")
    assert reply.status == 409


async def test_conditional_requests_answer_304_and_412(api: Api) -> None:
    video = await api.create()
    path = f"/api/Videos/{video['ID']}"
    first = await api.call("GET", path)
    etag = first.headers["ETag"]
    reply = await api.call("GET", path, headers={**AUTH, "If-None-Match": etag})
    assert (reply.status, reply.body) == (304, b"")
    reply = await api.call("GET", path, headers={**AUTH, "If-None-Match": '"other"'})
    assert reply.status == 200
    reply = await api.call("DELETE", path, headers={**AUTH, "If-Match": '"other"'})
    assert reply.status == 412
    reply = await api.call("DELETE", path, headers={**AUTH, "If-Match": f"W/{etag}"})
    assert reply.status == 412  # If-Match compares strongly
    assert (await api.call("DELETE", path, headers={**AUTH, "If-Match": etag})).status == 204
    assert (await api.call("GET", path)).status == 404


async def test_the_list_pages_with_odata_options(api: Api) -> None:
    ids = [(await api.create(f"v{n}.mp4"))["ID"] for n in range(3)]
    plain = (await api.call("GET", "/api/Videos")).json()
    assert [v["ID"] for v in plain] == ids
    page = (await api.call("GET", "/api/Videos?$skip=1&$top=1&$count=true")).json()
    assert page["@odata.count"] == 3
    assert [v["ID"] for v in page["value"]] == ids[1:2]


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        pytest.param("expired", 403, "AuthenticationFailed", id="expired"),
        pytest.param("signature", 403, "AuthenticationFailed", id="altered-signature"),
        pytest.param("bearer", 400, "InvalidAuthenticationInfo", id="bearer-token-too"),
        pytest.param("blob-type", 400, "MissingRequiredHeader", id="no-blob-type"),
        pytest.param("chunked", 411, "MissingContentLengthHeader", id="no-length"),
        pytest.param("too-large", 413, "RequestBodyTooLarge", id="too-large"),
    ],
)
async def test_the_storage_refuses_bad_uploads_with_its_xml_errors(
    simulators: SimFactory, http: aiohttp.ClientSession, change: str, status: int, code: str
) -> None:
    sim = await simulators(
        upload_token_ttl_s=0 if change == "expired" else 3600, max_blob_bytes=len(FILE) - 1
    )
    api = Api(sim, http)
    video = await api.create()
    url = video["UploadUri"]
    headers = {"x-ms-blob-type": "BlockBlob"}
    data: Any = FILE[:100]
    if change == "signature":
        url = url.replace("sig=", "sig=x")
    elif change == "bearer":
        headers.update(AUTH)
    elif change == "blob-type":
        headers = {}
    elif change == "too-large":
        data = FILE

    async def chunks() -> AsyncIterator[bytes]:
        yield FILE[:100]

    reply = await api.call(
        "PUT", url, data=chunks() if change == "chunked" else data, headers=headers
    )
    assert reply.status == status
    assert reply.headers["x-ms-error-code"] == code
    assert f"<Code>{code}</Code>" in reply.body.decode()
    assert sim.stored_file(video["ID"]) is None


async def test_a_refused_upload_is_answered_before_its_body(api: Api) -> None:
    video = await api.create()
    sent = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal sent
        for _ in range(4):
            sent += 1
            yield FILE

    url = video["UploadUri"].replace("sig=", "sig=x")
    reply = await api.call(
        "PUT",
        url,
        data=chunks(),
        headers={
            "x-ms-blob-type": "BlockBlob",
            "Content-Length": str(4 * len(FILE)),
            "Expect": "100-continue",
        },
    )
    assert reply.status == 403
    assert sent == 0


async def test_playback_urls_serve_manifests_and_the_file(api: Api) -> None:
    path = f"/api/Videos/{(await api.ready())['ID']}"
    types = {
        "Streaming": "application/vnd.ms-sstr+xml",
        "hls": "application/vnd.apple.mpegurl",
        "DASH": "application/dash+xml",
        "Progressive": "video/mp4",
    }
    for endpoint, media_type in types.items():
        reply = await api.call("GET", f"{path}/PlaybackEndpoint?endpointType={endpoint}")
        assert reply.status == 200
        assert reply.json()["EndpointType"].lower() == endpoint.lower()
        media = await api.call("GET", reply.json()["Url"], headers={})
        assert media.status == 200
        assert media.headers["Content-Type"].startswith(media_type)
    progressive = await api.call("GET", f"{path}/PlaybackEndpoint?endpointType=Progressive")
    media = await api.call("GET", progressive.json()["Url"], headers={})
    assert media.body == FILE
    assert media.headers["Content-MD5"] == CONTENT_MD5
    reply = await api.call("GET", f"{path}/PlaybackEndpoint?endpointType=Flash")
    assert reply.status == 400


async def test_thumbnails_appear_once_ready(
    simulators: SimFactory, http: aiohttp.ClientSession
) -> None:
    api = Api(await simulators(encoding_duration_s=None), http)
    video = await api.create()
    await api.put_file(video)
    path = f"/api/Videos/{video['ID']}"
    await api.call("POST", path + "/MarkComplete")
    assert (await api.call("GET", path + "/Thumbnails")).json() == []
    api.sim.finish_encoding(video["ID"])
    frames = (await api.call("GET", path + "/Thumbnails")).json()
    assert [f["Index"] for f in frames] == [0, 1, 2]
    assert {f["VideoId"] for f in frames} == {video["ID"]}
    image = await api.call("GET", frames[0]["Url"], headers={})
    assert image.headers["Content-Type"] == "image/png"
    assert image.body.startswith(b"\x89PNG")


async def test_authorization_tokens_exist_for_aes128_videos_only(api: Api) -> None:
    clear = await api.ready()
    reply = await api.call("GET", f"/api/Videos/{clear['ID']}/AuthorizationToken")
    assert reply.status == 400
    protected = await api.ready(ContentProtectionMode="AES128")
    path = f"/api/Videos/{protected['ID']}"
    token = (await api.call("GET", path + "/AuthorizationToken")).json()
    assert isinstance(token, str)
    hls = (await api.call("GET", path + "/PlaybackEndpoint?endpointType=HLS")).json()["Url"]
    playlist = (await api.call("GET", hls, headers={})).body.decode()
    key_url = playlist.split('URI="', 1)[1].split('"', 1)[0]
    assert (await api.call("GET", key_url, headers={})).status == 401
    other = (await api.call("GET", f"/api/Videos/{clear['ID']}")).json()
    assert other["ContentProtectionKeyId"] == ""
    key = await api.call("GET", key_url, headers={"Authorization": f"Bearer {token}"})
    assert (key.status, len(key.body)) == (200, 16)
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert (
        await api.call("GET", key_url, headers={"Authorization": f"Bearer {forged}"})
    ).status == 401


async def test_simulated_failures_keep_the_service_error_shape(
    simulators: SimFactory, http: aiohttp.ClientSession
) -> None:
    api = Api(await simulators(fail_status=503), http)
    reply = await api.call("GET", "/api/Formats")
    assert (reply.status, reply.json()) == (503, {"Message": "Simulated failure 503."})


async def test_close_removes_the_uploaded_files() -> None:
    sim = AzureSimulator(token=TOKEN, encoding_duration_s=0.0, seed=False)
    await sim.start()
    async with aiohttp.ClientSession() as http:
        api = Api(sim, http)
        video = await api.create()
        await api.put_file(video)
    folder = sim.storage_folder
    assert [p.name for p in folder.iterdir()] == [f"{video['ID']}.blob"]
    await sim.close()
    assert not folder.exists()


def test_command_line_options_configure_the_simulator() -> None:
    parser = argparse.ArgumentParser()
    AzureSimulator.add_arguments(parser)
    args = parser.parse_args(
        ["--token", "t", "--read-only-token", "r", "--encoding-seconds", "0.5", "--latency", "0.1"]
    )
    sim = AzureSimulator.from_arguments(args)
    assert isinstance(sim, AzureSimulator)
    assert sim.token == "t"
    assert sim.config.read_only_tokens == frozenset({"r"})
    assert sim.config.encoding_duration_s == 0.5
    assert sim.latency_s == 0.1
    defaults = AzureSimulator.from_arguments(parser.parse_args([]))
    assert isinstance(defaults, AzureSimulator)
    assert defaults.token == DEFAULT_TOKEN
