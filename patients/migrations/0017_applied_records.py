from django.db import migrations, models


class Migration(migrations.Migration):
    """Each session log and check-in remembers the client records applied to it (its own and
    each edit of the same slot or day), so a batch holding an edit replays cleanly."""

    dependencies = [
        ("patients", "0015_patient_phone"),
    ]

    operations = [
        migrations.AddField(
            model_name="checkin",
            name="applied",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text="client_uuid → content digest of every record applied to this row.",
            ),
        ),
        migrations.AddField(
            model_name="sessionlog",
            name="applied",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text="client_uuid → content digest of every record applied to this row.",
            ),
        ),
    ]
