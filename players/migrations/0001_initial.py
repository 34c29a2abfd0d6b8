# Player moved from the match app to its own: the table (match_player) stays as it is,
# only Django's idea of which app owns the model changes.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import players.models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("match", "0001_initial"),  # which created the table
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Player",
                    fields=[
                        (
                            "id",
                            models.CharField(
                                default=players.models.new_id,
                                editable=False,
                                max_length=16,
                                primary_key=True,
                                serialize=False,
                            ),
                        ),
                        ("name", models.CharField(max_length=40)),
                        ("created", models.DateTimeField(auto_now_add=True)),
                        (
                            "user",
                            models.OneToOneField(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "match_player",
                        "indexes": [
                            models.Index(fields=["name"], name="match_playe_name_2e23ba_idx")
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
