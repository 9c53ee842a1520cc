"""The HAL toolkit: links, arrays, embedding, CURIEs, templates and paging."""

from __future__ import annotations

import pytest

from gateway.web import hal


def test_link_keeps_only_the_members_that_are_set() -> None:
    link = hal.Link(
        "/x{?q}",
        templated=True,
        name="n",
        title="T",
        type="text/html",
        profile="/p",
        deprecation="/d",
        hreflang="en",
    )
    assert link.to_dict() == {
        "href": "/x{?q}",
        "templated": True,
        "name": "n",
        "title": "T",
        "type": "text/html",
        "profile": "/p",
        "deprecation": "/d",
        "hreflang": "en",
    }
    assert hal.Link("/y").to_dict() == {"href": "/y"}


def test_resource_links_arrays_embedded_and_curies() -> None:
    child = hal.Resource({"id": 1}).link("self", "/items/1")
    doc = (
        hal.Resource({"count": 1})
        .link("self", "/items")
        .curie("gw", "/rels/{rel}")
        .add_link("gw:item", "/items/1", name="1")
        .embed("gw:item", [child])
        .links_array("gw:empty")
    )
    assert doc.to_dict() == {
        "_links": {
            "self": {"href": "/items"},
            "curies": [{"href": "/rels/{rel}", "templated": True, "name": "gw"}],
            "gw:item": [{"href": "/items/1", "name": "1"}],
            "gw:empty": [],
        },
        "count": 1,
        "_embedded": {"gw:item": [{"_links": {"self": {"href": "/items/1"}}, "id": 1}]},
    }


def test_a_single_embedded_resource_stays_an_object() -> None:
    doc = hal.Resource().embed("gw:one", hal.Resource({"a": 1}))
    assert doc.to_dict()["_embedded"]["gw:one"] == {"a": 1}


def test_add_link_turns_a_single_link_into_an_array() -> None:
    doc = hal.Resource().link("alternate", "/a").add_link("alternate", "/b")
    assert doc.to_dict()["_links"]["alternate"] == [{"href": "/a"}, {"href": "/b"}]


@pytest.mark.parametrize(
    ("template", "values", "expected"),
    [
        pytest.param("/a{?page,per_page}", {"page": 2}, "/a?page=2", id="unset-vanishes"),
        pytest.param("/a/{id}", {"id": "x y/z"}, "/a/x%20y%2Fz", id="simple-escapes"),
        pytest.param("/s{?q}", {"q": "a&b"}, "/s?q=a%26b", id="query-escapes"),
        pytest.param("/a{?page,per_page}", {}, "/a", id="nothing-set"),
    ],
)
def test_expand_follows_rfc_6570(template: str, values: dict[str, object], expected: str) -> None:
    assert hal.expand(template, **values) == expected


def test_variables_of_a_template() -> None:
    assert hal.variables("/a/{id}{?page,per_page}") == {"id", "page", "per_page"}


def paging_links(number: int, size: int, total: int) -> dict[str, str]:
    doc = hal.add_paging(hal.Resource(), "/m{?page,per_page}", hal.Page(number, size, total))
    return {rel: link["href"] for rel, link in doc.to_dict()["_links"].items()}


def test_paging_in_the_middle_links_all_four_ways() -> None:
    assert paging_links(2, 10, 35) == {
        "self": "/m?page=2&per_page=10",
        "first": "/m?page=1&per_page=10",
        "prev": "/m?page=1&per_page=10",
        "next": "/m?page=3&per_page=10",
        "last": "/m?page=4&per_page=10",
    }


def test_first_and_last_pages_have_no_prev_or_next() -> None:
    assert "prev" not in paging_links(1, 10, 35)
    assert "next" not in paging_links(4, 10, 35)


def test_a_page_past_the_end_points_back_to_the_last() -> None:
    links = paging_links(9, 10, 35)
    assert links["prev"] == "/m?page=4&per_page=10"
    assert "next" not in links


def test_page_object_counts() -> None:
    doc = hal.add_paging(hal.Resource(), "/m{?page,per_page}", hal.Page(1, 10, 35)).to_dict()
    assert doc["page"] == {"size": 10, "totalElements": 35, "totalPages": 4, "number": 1}
    empty = hal.add_paging(hal.Resource(), "/m{?page,per_page}", hal.Page(1, 10, 0)).to_dict()
    assert empty["page"]["totalPages"] == 0
    assert empty["_links"]["last"]["href"] == "/m?page=1&per_page=10"


def test_paging_keeps_fixed_query_values() -> None:
    doc = hal.add_paging(
        hal.Resource(), "/m{?q,page,per_page}", hal.Page(1, 5, 6), q="news"
    ).to_dict()
    assert doc["_links"]["next"]["href"] == "/m?q=news&page=2&per_page=5"
