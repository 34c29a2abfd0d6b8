from __future__ import annotations

import pytest
from channels.layers import channel_layers

from gameserver import delivery

TEST_LAYERS = {"default": {"BACKEND": "tests.layers.MsgpackInMemoryChannelLayer"}}


@pytest.fixture(autouse=True)
def fresh_server(settings):
    """Each test gets its own channel layer, hosts and lobby: no state leaks between loops."""
    from lobby import party_service, service
    from lobby.matchmaker import MemoryMatchmaker
    from lobby.parties import MemoryParties
    from match.runtime.hosting import hosts
    from players.enforcement import enforcer

    settings.CHANNEL_LAYERS = TEST_LAYERS
    settings.GAMESERVER_JOIN_TIMEOUT = 30
    settings.GAMESERVER_RECONNECT_GRACE = 30
    channel_layers.backends.clear()
    hosts.__init__()
    service.lobby.__init__(MemoryMatchmaker())
    party_service.parties.__init__(MemoryParties())
    delivery._local.clear()
    enforcer.stop()
    yield
    enforcer.stop()
    channel_layers.backends.clear()


@pytest.fixture
def via_layer(monkeypatch, settings):
    """Make every delivery go through the channel layer, as between processes."""
    settings.GAMESERVER_CROSS_PROCESS = True
    monkeypatch.setattr(delivery, "_local", {})
    monkeypatch.setattr(delivery, "register", lambda consumer: None)


@pytest.fixture(autouse=True, scope="session")
def close_thread_connections(django_db_setup, django_db_blocker):
    """Close the connection ``database_sync_to_async`` opened in asgiref's worker thread,
    so that the test database can be dropped (PostgreSQL refuses while one is open).
    """
    yield
    from asgiref.sync import SyncToAsync
    from django.db import connections

    from gameserver import dbthread

    with django_db_blocker.unblock():
        SyncToAsync.single_thread_executor.submit(connections.close_all).result()
        dbthread.close_connections()  # the match runtime's own thread
