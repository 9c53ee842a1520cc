"""HAL-FORMS: forms that check bodies, templates negotiated by Accept, shown to writers only."""

from __future__ import annotations

import pytest

from gateway.spi import BadRequest, Form, Property
from gateway.web import halforms
from tests.support.fixtures import GatewayFactory
from tests.support.flex.navigator import Navigator
from tests.support.forms import with_forms
from tests.support.navigator import HAL, HAL_FORMS

TITLE = Property("title", required=True, at=("fields", "title"))
FORM = Form(
    "PUT",
    (
        TITLE,
        Property("count", "number"),
        Property("public", "checkbox"),
        Property("kind", options=("a", "b")),
        Property("code", regex="[A-Z]{3}"),
    ),
)


def test_a_form_moves_bare_values_to_their_place_and_keeps_the_rest() -> None:
    body = {"title": "T", "fields": {"date": "2024"}, "files": [1], "count": 2, "public": True}
    assert FORM.accept(body) == {
        "fields": {"date": "2024", "title": "T"},
        "files": [1],
        "count": 2,
        "public": True,
    }
    assert body == {
        "title": "T",
        "fields": {"date": "2024"},
        "files": [1],
        "count": 2,
        "public": True,
    }
    assert FORM.accept({"fields": {"title": "Nested"}}) == {"fields": {"title": "Nested"}}


T = {"title": "T"}


@pytest.mark.parametrize(
    ("body", "reasons"),
    [
        pytest.param({}, {"title": "title is required"}, id="missing"),
        pytest.param({"title": "  "}, {"title": "title is required"}, id="blank"),
        pytest.param({"title": 1}, {"title": "title must be a string"}, id="not-a-string"),
        pytest.param({**T, "count": "2"}, {"count": "count must be a number"}, id="number"),
        pytest.param({**T, "count": True}, {"count": "count must be a number"}, id="bool"),
        pytest.param({**T, "public": "y"}, {"public": "public must be true or false"}, id="check"),
        pytest.param({**T, "kind": "c"}, {"kind": "kind must be one of a, b"}, id="option"),
        pytest.param({**T, "code": "ABCD"}, {"code": "code must match [A-Z]{3}"}, id="regex"),
        pytest.param({**T, "fields": "x"}, {"fields": "fields must be an object"}, id="place"),
    ],
)
def test_a_form_refuses_bodies_naming_every_property_at_fault(
    body: dict[str, object], reasons: dict[str, str]
) -> None:
    with pytest.raises(BadRequest) as refused:
        FORM.accept(body)
    found = {p["name"]: p["reason"] for p in refused.value.extra["invalid_params"]}
    assert found == reasons


def test_missing_properties_may_be_left_to_the_upstream() -> None:
    assert FORM.accept({"count": 1}, require=False) == {"count": 1}
    with pytest.raises(BadRequest):
        FORM.accept({"count": "1"}, require=False)  # what is sent is checked still


def test_a_template_says_method_type_target_and_prefilled_properties() -> None:
    bound = FORM.bound("http://gw/x", {"fields": {"title": "Now"}, "count": 3, "public": False})
    shown = bound.to_dict()
    assert (shown["method"], shown["contentType"], shown["target"]) == (
        "PUT",
        "application/json",
        "http://gw/x",
    )
    by_name = {p["name"]: p for p in shown["properties"]}
    assert by_name["title"] == {"name": "title", "type": "text", "required": True, "value": "Now"}
    assert by_name["count"]["value"] == "3"
    assert by_name["public"]["value"] == "false"
    assert by_name["kind"]["options"] == {"inline": ["a", "b"], "minItems": 0, "maxItems": 1}
    assert by_name["code"]["regex"] == "[A-Z]{3}"


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        pytest.param(None, HAL, id="none"),
        pytest.param("*/*", HAL, id="anything"),
        pytest.param(HAL, HAL, id="hal"),
        pytest.param(HAL_FORMS, HAL_FORMS, id="hal-forms"),
        pytest.param(f"{HAL_FORMS}, {HAL};q=0.9, application/json;q=0.8", HAL_FORMS, id="ketting"),
        pytest.param(f"{HAL}, {HAL_FORMS};q=0.5", HAL, id="hal-preferred"),
    ],
)
async def test_templates_go_out_only_as_hal_forms(
    gateway: GatewayFactory, accept: str | None, media_type: str
) -> None:
    nav = Navigator(await gateway())
    href = nav.href(await nav.backend("flex"), "flex:assets")
    headers = {"Accept": accept} if accept else {}
    response, doc = await nav.request("GET", href, headers=headers)
    assert response.status == 200
    assert response.content_type == media_type
    assert "Accept" in response.headers["Vary"]
    assert ("_templates" in doc) is (media_type == HAL_FORMS)
    assert halforms.offered() is None  # nothing of the request stays bound


@pytest.mark.parametrize(
    ("user", "shown"),
    [
        pytest.param("admin", True, id="admin"),
        pytest.param("editor", True, id="editor"),
        pytest.param("reader", False, id="reader"),
    ],
)
async def test_templates_go_only_to_callers_who_may_write(
    gateway: GatewayFactory, user: str, shown: bool
) -> None:
    nav = Navigator(await gateway(user=user))
    doc = await with_forms(nav, nav.href(await nav.backend("flex"), "flex:assets"))
    assert ("_templates" in doc) is shown


@pytest.mark.parametrize(
    ("read_as", "write_as"),
    [
        pytest.param(HAL_FORMS, HAL, id="read-as-forms-write-as-hal"),
        pytest.param(HAL, HAL_FORMS, id="read-as-hal-write-as-forms"),
    ],
)
async def test_if_match_holds_for_the_tag_of_either_answer(
    gateway: GatewayFactory, read_as: str, write_as: str
) -> None:
    nav = Navigator(await gateway())
    listing = await nav.follow(await nav.backend("flex"), "flex:assets")
    href = listing["_embedded"]["flex:asset"][0]["_links"]["self"]["href"]
    response, read = await nav.request("GET", href, headers={"Accept": read_as})
    assert ("_templates" in read) is (read_as == HAL_FORMS)
    tag = response.headers["ETag"]
    headers = {"Accept": write_as, "If-Match": tag}
    response, written = await nav.request(
        "PUT", href, json={"displayName": "Tagged"}, headers=headers
    )
    assert response.status == 200, written
    response, refused = await nav.request(
        "PUT", href, json={"displayName": "Late"}, headers={"Accept": write_as, "If-Match": tag}
    )
    assert response.status == 412, refused  # the first write changed it
