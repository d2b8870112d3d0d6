"""Reminders and notifications get time-ordered keys (`rehab.models.uuid7`) for the rows
written from now on: a Python default only, so nothing changes in the database (Django would
rebuild both tables on SQLite for it). Rows already there keep their random ids."""

import rehab.models
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0025_reminder_partial_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name=model,
                    name="id",
                    field=models.UUIDField(
                        default=rehab.models.uuid7,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                )
                for model in ("notification", "reminder")
            ]
        ),
    ]
