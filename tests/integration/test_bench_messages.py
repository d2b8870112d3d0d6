"""The benchmarks of the message tables (issue 14): bench.age, which gives a planned clinic the
days of delivered reminders and notifications a running clinic holds, with the keys of the
code being measured; bench.delivery, which must neither count nor delete that history; and
bench.retention, whose job and floor must delete the same rows. Their SQL is PostgreSQL's."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from bench import age, delivery, retention
from patients.models import Notification, Reminder
from patients.reminders.services import plan_reminders
from tests import factories
from tests.integration.conftest import needs_postgresql

TODAY = date(2026, 11, 10)
# 00:30 London on TODAY: each patient's local days planned through tomorrow, as bench.delivery
# plans them.
NIGHT = datetime(2026, 11, 10, 0, 30, tzinfo=UTC)


def _planned_clinic(patients: int = 3) -> None:
    for _ in range(patients):
        factories.prescribe(factories.PatientFactory(), started_on=date(2026, 11, 2))
    plan_reminders(now=NIGHT)


@pytest.mark.django_db(transaction=True)  # it vacuums, which no transaction may wrap
@pytest.mark.parametrize("keys", ["time-ordered", "random"])
def test_an_aged_clinic_holds_each_earlier_day_delivered_with_the_codes_keys(
    keys: str, loaded_catalogue: None
) -> None:
    needs_postgresql()
    _planned_clinic()
    today = Reminder.objects.filter(local_date=TODAY)
    slots = sorted(today.values_list("patient_id", "slot", "kind"))
    assert slots

    report = age.age(TODAY, days=3, keys=keys)

    for back in (1, 2, 3):
        day = Reminder.objects.filter(local_date=TODAY - timedelta(days=back))
        assert sorted(day.values_list("patient_id", "slot", "kind")) == slots
        assert set(day.values_list("status", flat=True)) == {"sent"}
    history = Notification.objects.all()
    assert history.count() == 3 * len(slots) == report["rows"]["notifications"]
    midnight = datetime(2026, 11, 10, tzinfo=UTC)
    assert all(made < midnight for made in history.values_list("created_at", flat=True))
    assert not history.filter(email_to="").exists()
    assert not history.filter(emailed_at__isnull=True).exists()  # nothing owed: all e-mailed
    # The keys of the code measured: version 7, in creation order; or version 4 throughout.
    version = 7 if keys == "time-ordered" else 4
    for model in (Reminder, Notification):
        assert {key.version for key in model.objects.values_list("pk", flat=True)} == {version}
    if keys == "time-ordered":
        by_key = list(history.order_by("pk").values_list("pk", "created_at"))
        assert [made for _, made in by_key] == sorted(made for _, made in by_key)
        for key, made in by_key:  # the first 48 bits: the creation time in ms
            assert int.from_bytes(key.bytes[:6]) == int(made.timestamp() * 1000)

    with pytest.raises(age.NotReady, match="aged already"):
        age.age(TODAY, days=3, keys=keys)


@pytest.mark.django_db
def test_a_clinic_with_nothing_planned_is_refused() -> None:
    needs_postgresql()
    with pytest.raises(age.NotReady, match="plan the reminders first"):
        age.age(TODAY, days=3, keys="random")


@pytest.mark.django_db
def test_the_delivery_benchmark_counts_only_the_notifications_of_its_runs() -> None:
    """Its runs deliver TODAY + 1 on the real clock; an aged clinic's history is older, and
    neither counted as delivered nor deleted between runs."""
    user = factories.PatientFactory().user
    made = {
        "history": datetime(2026, 11, 9, 23, 59, 59, tzinfo=UTC),
        "run": datetime(2026, 11, 10, 0, 0, tzinfo=UTC),
        "later run": timezone.now(),
    }
    for title, at in made.items():
        note = Notification.objects.create(user=user, kind="reminder:session", title=title)
        Notification.objects.filter(pk=note.pk).update(created_at=at)
    runs = delivery.made_by_runs(Notification.objects.all(), TODAY + timedelta(days=1))
    assert sorted(runs.values_list("title", flat=True)) == ["later run", "run"]


@pytest.mark.django_db
def test_the_retention_benchmark_deletes_what_the_job_would_and_spares_what_it_must() -> None:
    needs_postgresql()
    _planned_clinic(patients=2)
    patient = factories.PatientFactory()
    flag = factories.make_flag(patient)
    therapist = patient.therapist.user
    for title, about in (("about an open flag", flag), ("a resolved matter", None)):
        Notification.objects.create(user=therapist, kind="red_flag", title=title, flag=about)
    reminders = Reminder.objects.count()

    report = retention.measure()

    assert report["rows"] == {"reminders": reminders, "notifications": 2}
    # The floor deletes every row made before the cut-off; the job the same rows, but the
    # notification about a flag not yet resolved, which it keeps until the flag is.
    assert report["floor"]["reminders"]["deleted"] == reminders
    assert report["job"]["reminders"]["deleted"] == reminders
    assert report["floor"]["notifications"]["deleted"] == 2
    assert report["job"]["notifications"]["deleted"] == 1
    assert report["left"] == {"reminders": 0, "notifications": 1}
    assert report["time_ordered_keys"] == {"reminders": reminders, "notifications": 2}


def test_the_destructive_benchmarks_refuse_a_database_that_is_not_a_copy(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for main in (retention.main, age.main):
        with pytest.raises(SystemExit) as exit_:
            main(["--database", "postgres://postgres@127.0.0.1:5432/bench_100k",
                  "--today", "2026-12-06"][: 2 if main is retention.main else 4])  # fmt: skip
        assert exit_.value.code == 2
        assert "copy" in capsys.readouterr().err
