"""The bot players: one row per bot name, shared by every match that seats bots."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from players.bots import bot_players
from players.models import Player

pytestmark = [pytest.mark.django_db]


def test_bots_are_made_once_and_reused():
    first = bot_players(2)
    assert [name for _, name in first] == ["Bot 1", "Bot 2"]
    again = bot_players(3)
    assert again[:2] == first and again[2][1] == "Bot 3"
    assert Player.objects.filter(bot=True).count() == 3
    assert bot_players(0) == []


def test_a_bot_name_is_one_player_but_people_may_take_it():
    [(bot_id, _)] = bot_players(1)
    Player.objects.create(name="Bot 1")  # a guest may call themselves so: not a bot
    with pytest.raises(IntegrityError), transaction.atomic():
        Player.objects.create(name="Bot 1", bot=True)
    assert bot_players(1) == [(bot_id, "Bot 1")]
