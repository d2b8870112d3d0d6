import django.db.models.deletion
from django.db import migrations, models

from rehab.migration_operations import (
    AddIndexWithoutLocking,
    DropFieldIndexWithoutLocking,
    RemoveIndexWithoutLocking,
)


class Migration(migrations.Migration):
    """Fewer index entries written for each reminder sent and nudged and each notification
    (issue 14): the new partial indexes are built before the ones they replace are dropped,
    so the per-minute job always has one. None of it locks the tables on PostgreSQL."""

    # CREATE and DROP INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [
        ("patients", "0024_session_patient_day"),
    ]

    operations = [
        AddIndexWithoutLocking(
            model_name="reminder",
            index=models.Index(
                condition=models.Q(("status", "pending")),
                fields=["due_at"],
                name="reminder_pending_due",
            ),
        ),
        AddIndexWithoutLocking(
            model_name="reminder",
            index=models.Index(
                condition=models.Q(
                    ("kind", "session"), ("nudged_at__isnull", True), ("status", "sent")
                ),
                fields=["due_at"],
                name="reminder_nudge_owed",
            ),
        ),
        AddIndexWithoutLocking(
            model_name="notification",
            index=models.Index(
                condition=models.Q(("flag__isnull", False)),
                fields=["flag"],
                name="notification_flag",
            ),
        ),
        RemoveIndexWithoutLocking(
            model_name="reminder",
            name="patients_re_status_31cb58_idx",
        ),
        DropFieldIndexWithoutLocking(
            model_name="reminder",
            name="patient",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="reminders",
                to="patients.patient",
            ),
        ),
        DropFieldIndexWithoutLocking(
            model_name="notification",
            name="flag",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="patients.flag",
            ),
        ),
    ]
