from django.db import migrations, models

from rehab.migration_operations import AddIndexWithoutLocking


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [
        ("patients", "0023_device"),
    ]

    operations = [
        AddIndexWithoutLocking(
            model_name="sessionlog",
            index=models.Index(fields=["patient", "local_date"], name="session_patient_day"),
        ),
    ]
