"""Flex's asset writes as HAL-FORMS templates, each proven by a write built from it alone."""

from __future__ import annotations

from xml.etree.ElementTree import canonicalize

from tests.support.flex.fixtures import NEWS
from tests.support.flex.navigator import Navigator
from tests.support.forms import properties, required, submit, template, with_forms


async def test_assets_are_created_and_updated_from_their_templates(nav: Navigator) -> None:
    backend = await nav.backend()
    create, _ = await template(nav, nav.href(backend, "flex:assets"))
    assert (create["method"], create["contentType"]) == ("POST", "application/json")
    assert create["target"] == nav.href(backend, "flex:assets").split("?")[0]
    assert required(create) == {"name"}
    assert properties(create)["isGroup"]["type"] == "checkbox"
    response, made = await submit(nav, create, {"name": "Rushes", "isGroup": False})
    assert response.status == 201, made
    assert made["name"] == "Rushes"

    update, asset = await template(nav, response.headers["Location"])
    assert (update["method"], update["target"]) == ("PUT", asset["_links"]["self"]["href"])
    assert properties(update)["name"]["value"] == "Rushes"
    response, updated = await submit(nav, update, {"displayName": "Day 1 rushes"})
    assert response.status == 200, updated
    assert updated["displayName"] == "Day 1 rushes"


async def test_metadata_is_replaced_from_its_prefilled_template(nav: Navigator) -> None:
    news = await nav.asset(NEWS)
    form, shown = await template(nav, nav.href(news, "flex:metadata"))
    assert (form["method"], form["target"]) == ("PUT", shown["_links"]["self"]["href"])
    assert required(form) == {"instance"}
    current = properties(form)["instance"]
    assert current["type"] == "textarea"
    assert "<title>Evening News</title>" in current["value"]  # the metadata as XML

    edited = current["value"].replace("Evening News", "Late News")
    response, stored = await submit(nav, form, {"instance": edited})
    assert response.status == 200, stored
    assert stored["instance"]["metadata"]["title"] == "Late News"
    response, xml = await nav.request("GET", shown["_links"]["alternate"]["href"])
    assert canonicalize(xml.decode()) == canonicalize(edited.split("?>", 1)[-1])

    response, problem = await submit(nav, form, {"instance": "<unclosed>"})
    assert response.status == 400, problem


async def test_an_action_is_chosen_from_the_templates_options(nav: Navigator) -> None:
    news = await nav.asset(NEWS)
    form, _ = await template(nav, nav.href(news, "flex:actions"))
    action = properties(form)["action"]
    assert action["options"]["inline"] == [
        "enable",
        "disable",
        "delete",
        "approve",
        "unapprove",
        "destroy",
    ]
    response, done = await submit(nav, form, {"action": "disable"})
    assert response.status in (200, 204), done
    assert (await nav.follow(news, "self"))["enabled"] is False
    response, problem = await nav.request(
        form["method"], form["target"], json={"action": "explode"}
    )
    assert response.status == 400
    assert problem["invalid_params"][0]["name"] == "action"


async def test_embedded_assets_carry_no_templates(nav: Navigator) -> None:
    listing = await with_forms(nav, nav.href(await nav.backend(), "flex:assets"))
    assert set(listing["_templates"]) == {"default"}
    assert all("_templates" not in a for a in listing["_embedded"]["flex:asset"])
