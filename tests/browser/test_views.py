"""The demo's two Django views, without a browser: the page and the MessagePack build."""

from __future__ import annotations

import json
import re

import pytest

from client_demo import views


def page_config(response) -> dict:
    match = re.search(
        rb'<script id="demo-config" type="application/json">(.*?)</script>', response.content
    )
    assert match, response.content[:500]
    return json.loads(match.group(1))


def test_the_demo_page_is_served_at_the_root(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b'src="/static/client_demo/demo/app.js"' in response.content
    assert page_config(response)["client"] == "/static/client_demo/gameserver-client.js"


def test_without_node_modules_the_page_speaks_json(client, monkeypatch, tmp_path):
    monkeypatch.setattr(views, "MSGPACK_DIR", tmp_path / "missing")
    assert page_config(client.get("/"))["msgpack"] is None
    assert client.get("/client/msgpack/index.mjs").status_code == 404


@pytest.mark.skipif(not views.msgpack_installed(), reason="npm ci has not run in client_demo/")
def test_the_installed_msgpack_build_is_served_as_javascript(client):
    assert page_config(client.get("/"))["msgpack"] == "/client/msgpack/index.mjs"
    response = client.get("/client/msgpack/index.mjs")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert b"export" in b"".join(response.streaming_content)


@pytest.mark.parametrize(
    "name",
    ["index.d.ts", "../package.json", "../../../views.mjs", "..%2F..%2Findex.mjs", "nope.mjs"],
)
def test_only_modules_inside_the_build_are_served(client, name):
    assert client.get(f"/client/msgpack/{name}").status_code == 404
