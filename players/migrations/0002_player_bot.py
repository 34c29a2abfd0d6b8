# Server-side bots are players too ("Bot 1", "Bot 2"...): a flag, and one row per bot name.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("players", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="player",
            name="bot",
            field=models.BooleanField(default=False),
        ),
        migrations.AddConstraint(
            model_name="player",
            constraint=models.UniqueConstraint(
                condition=models.Q(("bot", True)), fields=("name",), name="one_bot_per_name"
            ),
        ),
    ]
