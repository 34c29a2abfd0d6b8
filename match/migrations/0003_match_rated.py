# Whether a match's result moves ratings: a party's private match and any match with a
# bot are unrated. Matches recorded before this are unrated.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("match", "0002_player_moves_to_players"),
    ]

    operations = [
        migrations.AddField(
            model_name="match",
            name="rated",
            field=models.BooleanField(default=False),
        ),
    ]
