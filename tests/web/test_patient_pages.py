"""Patient pages: today, logging a session, the morning check-in, questionnaires, progress,
reminder preferences and notifications."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from patients.models import CheckIn, Flag, Notification, QuestionnaireResponse, SessionLog
from tests.web.conftest import NOW, session_form

pytestmark = pytest.mark.django_db


def _form_uuid(client: Client, url: str) -> str:
    return str(client.get(url).context["form"]["client_uuid"].value())


# --- Today --------------------------------------------------------------------------------


def test_today_shows_twice_daily_sessions_with_dose_and_steps(
    patient_client: Client, programme: Any
) -> None:
    page = patient_client.get(reverse("today")).content.decode()
    assert "Friday 20 November" in page
    assert "Session 1 · 08:00" in page
    assert "Session 2 · 18:00" in page
    assert '<ol class="steps">' in page
    assert "Morning check-in" in page
    assert "Do the check-in" in page


def test_today_follows_the_patients_own_time_zone(
    patient_client: Client, patient: Any, programme: Any
) -> None:
    patient.time_zone = "Pacific/Auckland"  # 09:00 UTC is 22:00 there, the same Friday
    patient.save()
    assert "Friday 20 November" in patient_client.get(reverse("today")).content.decode()
    patient.time_zone = "Pacific/Honolulu"  # UTC-10: still Thursday evening
    patient.save()
    assert "Thursday 19 November" in patient_client.get(reverse("today")).content.decode()


def test_today_without_a_programme_says_so(patient_client: Client) -> None:
    assert b"You have no programme yet" in patient_client.get(reverse("today")).content


# --- Logging a session ----------------------------------------------------------------------


def test_logging_a_session_stores_done_and_prescribed_per_exercise(
    patient_client: Client, patient: Any, programme: Any
) -> None:
    response = patient_client.post(reverse("log_session", args=[1]), session_form(patient_client))
    assert response.status_code == 302
    assert response["Location"] == reverse("today")
    log = SessionLog.objects.get(patient=patient, slot=1)
    assert log.status == "done"
    assert log.pain_after_nrs == 3
    entries = list(log.exercises.all())
    assert entries
    assert all(e.pain_during_nrs == 2 for e in entries)
    assert all(e.sets_done == e.target_sets for e in entries)
    assert "✓ Done" in patient_client.get(reverse("today")).content.decode()


def test_a_double_submitted_session_form_is_one_record(
    patient_client: Client, patient: Any, programme: Any
) -> None:
    data = session_form(patient_client)
    patient_client.post(reverse("log_session", args=[1]), data)
    second = patient_client.post(reverse("log_session", args=[1]), data)
    assert second.status_code == 302
    assert SessionLog.objects.filter(patient=patient).count() == 1


def test_logging_the_same_slot_again_updates_it(
    patient_client: Client, patient: Any, programme: Any
) -> None:
    patient_client.post(reverse("log_session", args=[1]), session_form(patient_client))
    again = session_form(patient_client, pain_after_nrs="5")
    assert again["client_uuid"] != ""
    patient_client.post(reverse("log_session", args=[1]), again)
    assert SessionLog.objects.get(patient=patient, slot=1).pain_after_nrs == 5


def test_a_changed_form_sent_again_with_the_same_uuid_updates_the_slot(
    patient_client: Client, patient: Any, programme: Any
) -> None:
    data = session_form(patient_client)
    patient_client.post(reverse("log_session", args=[1]), data)
    patient_client.post(reverse("log_session", args=[1]), data | {"pain_after_nrs": "6"})
    assert SessionLog.objects.get(patient=patient, slot=1).pain_after_nrs == 6


def test_skipping_a_session_needs_a_reason(
    patient_client: Client, patient: Any, programme: Any
) -> None:
    url = reverse("log_session", args=[2])
    data = session_form(patient_client, 2, skipped="on", skip_reason="")
    refused = patient_client.post(url, data)
    assert refused.status_code == 200
    assert "Say why the session was skipped." in refused.content.decode()
    patient_client.post(url, data | {"skip_reason": "Working late."})
    log = SessionLog.objects.get(patient=patient, slot=2)
    assert log.status == "skipped"
    assert log.skip_reason == "Working late."


def test_bad_session_input_is_shown_beside_the_field_and_kept(
    patient_client: Client, patient: Any, programme: Any
) -> None:
    data = session_form(patient_client, pain_after_nrs="11")
    first_load = next(name for name in data if name.endswith("-load"))
    data[first_load] = "5 kg backpack"
    response = patient_client.post(reverse("log_session", args=[1]), data)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Enter a whole number from 0 to 10." in page
    assert 'value="11"' in page
    assert 'value="5 kg backpack"' in page
    assert not SessionLog.objects.filter(patient=patient).exists()


def test_a_slot_not_due_today_is_404(patient_client: Client, programme: Any) -> None:
    assert patient_client.get(reverse("log_session", args=[3])).status_code == 404


# --- Morning check-in ------------------------------------------------------------------------


def _check_in_data(client: Client, **overrides: Any) -> dict[str, Any]:
    form = client.get(reverse("check_in")).context["form"]
    data = {"client_uuid": str(form["client_uuid"].value())}
    data |= {name: "no" for name in form.fields if name.startswith("flag_")}
    return data | {"morning_pain_nrs": "2", "stiffness_minutes": "10"} | overrides


def test_the_check_in_asks_the_catalogue_red_flag_questions(
    patient_client: Client, programme: Any
) -> None:
    page = patient_client.get(reverse("check_in")).content.decode()
    assert "Did you feel a sudden sharp pain, a pop" in page
    assert "Are you unable to put weight on the foot" in page
    assert "After using ice or heat, is the skin getting redder" in page


def test_a_quiet_check_in_is_saved_and_thanked(
    patient_client: Client, patient: Any, programme: Any
) -> None:
    response = patient_client.post(reverse("check_in"), _check_in_data(patient_client))
    assert response["Location"] == reverse("check_in_result")
    page = patient_client.get(response["Location"]).content.decode()
    assert "Thank you" in page
    assert "Seek care now" not in page
    check_in = CheckIn.objects.get(patient=patient)
    assert check_in.local_date == NOW.date()
    assert check_in.red_flags == []


def test_a_red_flag_answer_shows_the_advice_and_flags_the_therapist_at_once(
    patient_client: Client, patient: Any, programme: Any
) -> None:
    data = _check_in_data(patient_client, flag_sudden_pop="yes")
    response = patient_client.post(reverse("check_in"), data, follow=True)
    page = response.content.decode()
    assert "Seek care now" in page
    assert "Stop all of your exercises" in page  # the catalogue's own advice
    assert "Same day" in page
    flag = Flag.objects.get(patient=patient, kind=Flag.Kind.RED_FLAG)
    assert flag.rule == "red_flag:sudden_pop"
    assert flag.severity == Flag.Severity.URGENT


def test_a_double_submitted_check_in_is_one_record(
    patient_client: Client, patient: Any, programme: Any
) -> None:
    data = _check_in_data(patient_client)
    patient_client.post(reverse("check_in"), data)
    patient_client.post(reverse("check_in"), data)
    assert CheckIn.objects.filter(patient=patient).count() == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"morning_pain_nrs": "12"}, "Enter a whole number from 0 to 10."),
        ({"stiffness_minutes": "-5"}, "Enter the minutes, from 0 to 1440."),
        ({"flag_sudden_pop": ""}, "Answer yes or no."),
    ],
)
def test_bad_check_in_input_is_shown_beside_the_field_and_kept(
    patient_client: Client, patient: Any, programme: Any, overrides: dict[str, Any], message: str
) -> None:
    data = _check_in_data(patient_client, **overrides)
    response = patient_client.post(reverse("check_in"), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert response.context["form"]["stiffness_minutes"].value() == data["stiffness_minutes"]
    assert not CheckIn.objects.filter(patient=patient).exists()


# --- Questionnaires --------------------------------------------------------------------------

# VISA-A answers scoring 10+9+8+7+6+5+4 + Q8 group a, 11–20 min (14) = 63.
VISA_A = {"q1": 10, "q2": 9, "q3": 8, "q4": 7, "q5": 6, "q6": 5, "q7": 4, "q8_group": 1}


def _visa_a(client: Client, **overrides: Any) -> dict[str, Any]:
    uuid = _form_uuid(client, reverse("questionnaire_new"))
    answers = {k: str(v) for k, v in VISA_A.items()} | {"q8_minutes_band": "2"}
    return {"client_uuid": uuid} | answers | overrides


def test_an_achilles_patient_answers_visa_a_and_sees_the_score(
    patient_client: Client, patient: Any, programme: Any
) -> None:
    form_page = patient_client.get(reverse("questionnaire_new")).content.decode()
    assert "VISA-A" in form_page
    response = patient_client.post(reverse("questionnaire_new"), _visa_a(patient_client))
    assert response["Location"] == reverse("questionnaires")
    stored = QuestionnaireResponse.objects.get(patient=patient)
    assert stored.questionnaire == "visa_a"
    assert stored.score == 63
    history = patient_client.get(reverse("questionnaires")).content.decode()
    assert "63" in history
    assert "You are up to date" in history


def test_a_double_submitted_questionnaire_is_one_record(
    patient_client: Client, patient: Any, programme: Any
) -> None:
    data = _visa_a(patient_client)
    patient_client.post(reverse("questionnaire_new"), data)
    patient_client.post(reverse("questionnaire_new"), data)
    assert QuestionnaireResponse.objects.filter(patient=patient).count() == 1


def test_a_missing_answer_is_shown_beside_its_question_and_others_kept(
    patient_client: Client, patient: Any, programme: Any
) -> None:
    data = _visa_a(patient_client)
    del data["q3"]
    response = patient_client.post(reverse("questionnaire_new"), data)
    assert response.status_code == 200
    assert "q3" in response.context["form"].errors
    assert response.context["form"]["q2"].value() == "9"
    assert not QuestionnaireResponse.objects.exists()


def test_a_faam_condition_gets_the_faam(patient_client: Client, patient: Any) -> None:
    from tests import factories

    factories.prescribe(patient, factories.answered_intake("ankle_sprain", side="left"))
    page = patient_client.get(reverse("questionnaire_new")).content.decode()
    assert "Foot and Ankle Ability Measure" in page
    assert "Not applicable" in page


# --- Progress --------------------------------------------------------------------------------


def test_progress_draws_each_week_as_an_accessible_svg_with_a_data_table(
    patient_client: Client, patient: Any, programme: Any
) -> None:
    patient_client.post(reverse("check_in"), _check_in_data(patient_client, morning_pain_nrs="4"))
    page = patient_client.get(reverse("progress")).content.decode()
    assert page.count('role="img"') == 3
    assert "<title" in page
    assert "<desc" in page
    assert "<table>" in page
    assert "Pain next morning, Week 3: 4" in page
    assert "square markers" in page  # told apart by shape, not only colour


def test_progress_without_a_programme_explains(patient_client: Client) -> None:
    assert b"No progress to show yet" in patient_client.get(reverse("progress")).content


# --- Reminder preferences ------------------------------------------------------------------


def test_reminder_preferences_are_saved(patient_client: Client, patient: Any) -> None:
    data = {"session_times": "19:30, 07:15", "time_zone": "Europe/Paris"}
    response = patient_client.post(reverse("preferences"), data)
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.session_times == ["07:15", "19:30"]
    assert patient.time_zone == "Europe/Paris"
    assert patient.email_reminders is False


def test_a_bad_session_time_is_shown_beside_the_field_and_kept(
    patient_client: Client, patient: Any
) -> None:
    data = {"session_times": "08:00, 25:61", "time_zone": "Europe/London", "email_reminders": "on"}
    response = patient_client.post(reverse("preferences"), data)
    assert response.status_code == 200
    assert "is not a time like 08:00" in response.content.decode()
    assert 'value="08:00, 25:61"' in response.content.decode()
    patient.refresh_from_db()
    assert patient.session_times == ["08:00", "18:00"]


# --- Notifications ---------------------------------------------------------------------------


def test_notifications_are_counted_in_the_header_listed_and_marked_read(
    patient_client: Client, patient: Any
) -> None:
    Notification.objects.create(user=patient.user, kind="reminder", title="Time for session 1")
    page = patient_client.get(reverse("today")).content.decode()
    assert 'aria-label="1 unread"' in page
    assert b"Time for session 1" in patient_client.get(reverse("notifications")).content
    patient_client.post(reverse("notifications_read"))
    assert not Notification.objects.filter(read_at__isnull=True).exists()
    assert "unread" not in patient_client.get(reverse("today")).content.decode()


def test_a_patient_sees_only_their_own_notifications(patient_client: Client, stranger: Any) -> None:
    Notification.objects.create(user=stranger.user, kind="reminder", title="Not yours")
    assert b"Not yours" not in patient_client.get(reverse("notifications")).content
