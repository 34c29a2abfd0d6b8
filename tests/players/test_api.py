"""The players' HTTP API: guest identities."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = [pytest.mark.django_db]


def test_guest_gets_a_player_and_a_token(client: Client):
    answer = client.post("/api/guest", {"name": " alice "}, content_type="application/json")
    assert answer.status_code == 201
    body = answer.json()
    assert body["player"]["name"] == "alice" and body["player"]["id"]
    assert isinstance(body["token"], str)
    for bad in ({"name": ""}, {"name": 5}, {}, {"name": "x" * 41}):
        assert client.post("/api/guest", bad, content_type="application/json").status_code == 400
    assert client.post("/api/guest", "nope", content_type="application/json").status_code == 400
    assert client.get("/api/guest").status_code == 405
