"""Experiments: create, list, get, duplicate and bad names."""

import time

import pytest

from support import (HEX32, ZERO_ID, assert_error, assert_live, expect, list_all,
                     make_experiment, q, uniq)


def test_create_returns_201_with_the_experiment(server, roles):
    name = uniq("exp")
    t0 = int(time.time() * 1000)
    body = expect(server.request("POST", "/api/v1/experiments",
                                 {"name": name, "tags": {"team": "forecast", "q": "3"}},
                                 token=roles["scientist"].secret), 201)
    assert HEX32.match(body["id"]), body
    assert body["name"] == name
    assert body["tags"] == {"team": "forecast", "q": "3"}
    assert isinstance(body["created_ms"], int) and abs(body["created_ms"] - t0) < 60_000
    assert body["created_by"] == roles["scientist"].name


def test_get_returns_what_create_returned(server):
    exp = make_experiment(server, tags={"k": "v"})
    assert expect(server.request("GET", f"/api/v1/experiments/{exp['id']}"), 200) == exp


def test_list_contains_created_experiments_and_filters_by_name(server):
    a, b = make_experiment(server), make_experiment(server)
    items, _ = list_all(server, "/api/v1/experiments", limit=1000)
    ids = [e["id"] for e in items]
    assert a["id"] in ids and b["id"] in ids
    assert len(ids) == len(set(ids)), "an experiment listed twice"
    only = expect(server.request("GET", f"/api/v1/experiments?name={a['name']}"), 200)
    assert [e["id"] for e in only["items"]] == [a["id"]]


def test_list_pages_with_limit(server):
    for _ in range(3):
        make_experiment(server)
    everything, _ = list_all(server, "/api/v1/experiments", limit=1000)
    paged, pages = list_all(server, "/api/v1/experiments", limit=1)
    assert pages >= len(everything)
    assert sorted(e["id"] for e in paged) == sorted(e["id"] for e in everything)


def test_duplicate_name_is_409_already_exists(server):
    exp = make_experiment(server)
    assert_error(server.request("POST", "/api/v1/experiments", {"name": exp["name"]}),
                 409, "already_exists")
    only = expect(server.request("GET", f"/api/v1/experiments?name={exp['name']}"), 200)
    assert len(only["items"]) == 1
    assert_live(server)


@pytest.mark.parametrize("name", [
    "", "x" * 10_000, "x" * 129, "../x", "a/b", "with space", " lead", "-lead", ".hidden",
    "_under", "tab\tname", "semi;colon", "uni\u00e9", "new\nline",
])
def test_bad_name_is_400(server, name):
    assert_error(server.request("POST", "/api/v1/experiments", {"name": name}),
                 400, "invalid_argument")
    assert_live(server)


def test_names_up_to_128_characters_of_the_allowed_set_are_accepted(server):
    for name in ("a" * 120 + uniq("")[:8], "7" + uniq("x.y_z-")):
        exp = make_experiment(server, name=name[:128])
        assert exp["name"] == name[:128]


def test_missing_name_is_400(server):
    assert_error(server.request("POST", "/api/v1/experiments", {"tags": {}}), 400,
                 "invalid_argument", mentions="name")


def test_unknown_experiment_is_404(server):
    assert_error(server.request("GET", f"/api/v1/experiments/{ZERO_ID}"), 404, "not_found")
    assert_error(server.request("GET", f"/api/v1/experiments/{q('no-such-id')}"), 404,
                 "not_found")
    assert_live(server)
