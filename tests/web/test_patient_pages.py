"""Patient pages: today, logging a session, the morning check-in, questionnaires, progress,
reminder preferences and notifications."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from patients.models import CheckIn, Flag, Notification, QuestionnaireResponse, SessionLog
from tests.factories import NOW
from tests.web.conftest import session_form

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
    base = {"morning_pain_nrs": "2", "stiffness_minutes": "10", "swelling": "no"}
    return data | base | overrides


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
    assert "Get medical help today" in page  # sudden_pop is same-day (F13)
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


def test_the_visa_a_form_says_not_to_try_a_movement_and_answer_from_memory(
    patient_client: Client, programme: Any
) -> None:
    """F9"""
    page = patient_client.get(reverse("questionnaire_new")).content.decode()
    assert "Do not try a movement your clinician has told you to avoid" in page
    assert page.count("Answer from what you remember; do not try it now") == 3
    assert "let the heel sink" not in page


def test_the_visa_a_form_explains_the_scale_beside_every_pain_question(
    patient_client: Client, programme: Any
) -> None:
    """F34, walk-through 16."""
    page = patient_client.get(reverse("questionnaire_new")).content.decode()
    assert page.count("Careful: on this question 10 = no pain and 0 = the worst pain.") == 4
    assert "score out of 100: higher is better, and 100 means no symptoms" in page
    assert page.count("If you do no sport that loads your Achilles") == 2  # F27


def test_the_visa_a_result_says_out_of_100_the_change_and_the_next_due_date(
    patient_client: Client, patient: Any, programme: Any
) -> None:
    """Walk-through 17: "47 out of 100 (100 = no symptoms)", the change, the due date."""
    from datetime import timedelta

    _record_visa_a(patient, NOW.date() - timedelta(days=7), q1=5)  # 58
    response = patient_client.post(
        reverse("questionnaire_new"), _visa_a(patient_client), follow=True
    )
    page = response.content.decode()
    assert "Your VISA-A score: 63 out of 100 (100 = no symptoms)." in page
    assert "5 points higher than last time." in page
    assert "next one is due on Friday 27 November" in page


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


def _faam_form(client: Client, **overrides: str) -> dict[str, str]:
    uuid = _form_uuid(client, reverse("questionnaire_new"))
    answers = {f"adl{n}": "4" for n in range(1, 22)} | {f"sport{n}": "2" for n in range(1, 9)}
    return {"client_uuid": uuid} | answers | overrides


def test_a_faam_with_too_few_adl_answers_is_kept_and_shows_two_separate_scores(
    patient_client: Client, patient: Any
) -> None:
    """F15, F36: never refused; ADL marked not scorable; Sports shown as its own score; no
    "FAAM score" anywhere."""
    from tests import factories

    factories.prescribe(patient, factories.answered_intake("ankle_sprain", side="left"))
    data = _faam_form(patient_client, adl1="na", adl2="na", adl3="na")
    response = patient_client.post(reverse("questionnaire_new"), data, follow=True)
    page = response.content.decode()
    stored = QuestionnaireResponse.objects.get(patient=patient)
    assert stored.score is None
    assert stored.subscales == {"adl": None, "sports": 50}
    assert "Daily activities (ADL): not scorable" in page
    assert "Sports: 50%" in page
    assert "FAAM score" not in page
    assert "Ability Measure (FAAM) score" not in page


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


def _record_visa_a(patient: Any, day: Any, q1: int) -> None:
    """A VISA-A response of 63 - 10 + q1 points (see VISA_A) on `day`."""
    import uuid

    from patients.questionnaires.services import record_questionnaire

    answers: dict[str, object] = {**VISA_A, "q1": q1, "q8_minutes_band": 2}
    record_questionnaire(
        patient=patient,
        client_uuid=uuid.uuid4(),
        questionnaire="visa_a",
        local_date=day,
        answers=answers,
        logged_at=NOW,
        now=timezone.now(),
    )


def test_progress_states_the_change_since_the_first_score_against_the_mcid(
    patient_client: Client, therapist_client: Client, patient: Any, programme: Any
) -> None:
    """Requirement 9: plain words for the patient; the MCID and its source for the therapist."""
    from datetime import timedelta

    _record_visa_a(patient, programme.started_on, q1=0)  # 53
    _record_visa_a(patient, programme.started_on + timedelta(days=14), q1=10)  # 63
    page = patient_client.get(reverse("progress")).content.decode()
    expected = "+10 since your first score on 2 Nov 2026 — less than the 14 points"
    assert expected in page
    assert "R14" not in page
    assert "MCID" not in page
    detail = therapist_client.get(reverse("patient_detail", args=[patient.pk])).content.decode()
    assert expected.replace("your", "the patient&#x27;s") in detail  # HTML-escaped
    assert "MCID 14 until 24 weeks after the first score, 7 from then; R14" in detail


# --- A red flag pauses the programme (F3, walk-through 3) ---------------------------------


def _report_red_flag(client: Client, slug: str = "sudden_pop") -> None:
    client.post(reverse("check_in"), _check_in_data(client, **{f"flag_{slug}": "yes"}))


def test_after_a_red_flag_today_offers_no_sessions_or_ice_heat_and_shows_the_advice(
    patient_client: Client, patient: Any, programme: Any
) -> None:
    """F3: the advice says stop, so Today must not offer the sessions or ice/heat."""
    _report_red_flag(patient_client)
    page = patient_client.get(reverse("today")).content.decode()
    assert "Programme paused" in page
    assert "Stop all of your exercises" in page  # the flag's own advice
    assert "Log session" not in page
    assert "Ice and heat" not in page
    assert "Change today" in page  # the check-in goes on


def test_a_paused_programme_refuses_a_session_log_with_a_message(
    patient_client: Client, patient: Any, programme: Any
) -> None:
    """F3: the log form is not offered, and a post (an old tab) is refused, not stored."""
    data = session_form(patient_client)
    _report_red_flag(patient_client)
    response = patient_client.post(reverse("log_session", args=[1]), data, follow=True)
    assert "Your programme is paused" in response.content.decode()
    assert not SessionLog.objects.filter(patient=patient).exists()


def test_the_questionnaire_page_says_paused_instead_of_up_to_date(
    patient_client: Client, patient: Any, programme: Any
) -> None:
    """F3: no "you are up to date" nor a link to answer while the programme is paused."""
    _report_red_flag(patient_client)
    page = patient_client.get(reverse("questionnaires")).content.decode()
    assert "Your programme is paused" in page
    assert "up to date" not in page
    assert reverse("questionnaire_new") not in page


def test_the_programme_restarts_once_the_clinician_resolves_the_flag(
    patient_client: Client, patient: Any, programme: Any
) -> None:
    """F3: acknowledging keeps the pause; only resolving lifts it."""
    _report_red_flag(patient_client)
    flag = Flag.objects.get(patient=patient, kind=Flag.Kind.RED_FLAG)
    flag.status = Flag.Status.ACKNOWLEDGED
    flag.save()
    assert "Programme paused" in patient_client.get(reverse("today")).content.decode()
    flag.status = Flag.Status.RESOLVED
    flag.save()
    page = patient_client.get(reverse("today")).content.decode()
    assert "Programme paused" not in page
    assert "Log session 1" in page


@pytest.mark.parametrize(
    ("slug", "heading"),
    [
        ("sudden_pop", "Get medical help today"),
        ("skin_changes_after_ice_heat", "See a doctor or clinician within the next few days"),
        ("numbness_tingling", "Book an appointment with your doctor or clinician"),
    ],
)
def test_the_check_in_result_heading_follows_the_flags_own_urgency(
    patient_client: Client, patient: Any, programme: Any, slug: str, heading: str
) -> None:
    """F13: not "Seek care now" for a flag whose advice is to book an appointment."""
    data = _check_in_data(patient_client, **{f"flag_{slug}": "yes"})
    page = patient_client.post(reverse("check_in"), data, follow=True).content.decode()
    assert f"<h1>{heading}</h1>" in page
    assert "Seek care now" not in page


# --- The check-in asks the condition's own red flags and about swelling (F14, req. 7) -----


def test_the_check_in_adds_the_conditions_own_red_flags(
    patient_client: Client, programme: Any
) -> None:
    """F14: a mid-portion Achilles patient is also asked about a swollen calf (DVT) and
    breathlessness (F23), and the general questions stay."""
    page = patient_client.get(reverse("check_in")).content.decode()
    assert "Are you unable to put weight on the foot" in page
    assert "swollen and tender" in page  # dvt_signs, the condition's own
    assert "short of breath" in page  # pe_signs
    assert "Did the examination find" not in page  # exam findings stay at intake


def test_a_check_in_without_a_programme_asks_only_the_general_questions(
    patient_client: Client,
) -> None:
    page = patient_client.get(reverse("check_in")).content.decode()
    assert "Are you unable to put weight on the foot" in page
    assert "swollen and tender" not in page


def test_the_swelling_answer_is_stored_and_yes_pauses_heat_not_ice(
    patient_client: Client, patient: Any, programme: Any
) -> None:
    """Requirement 7 / F22: heat only while there is no swelling (SEED-002)."""
    assert "Heat: up to" in patient_client.get(reverse("today")).content.decode()
    patient_client.post(reverse("check_in"), _check_in_data(patient_client, swelling="yes"))
    assert CheckIn.objects.get(patient=patient).swelling is True
    page = patient_client.get(reverse("today")).content.decode()
    assert "Heat: up to" not in page
    assert "Log session 1" in page  # swelling alone does not pause the exercises


def test_the_swelling_question_must_be_answered(
    patient_client: Client, patient: Any, programme: Any
) -> None:
    data = _check_in_data(patient_client)
    del data["swelling"]
    response = patient_client.post(reverse("check_in"), data)
    assert "Answer yes or no." in response.content.decode()
    assert not CheckIn.objects.filter(patient=patient).exists()


@pytest.mark.parametrize(
    ("slug", "words"),
    [
        # F24: a bursitis patient's bursa is red every day; ask about a change.
        ("redness_warmth_fever", ["new or spreading redness", "fever", "unwell"]),
        # F23: name the risk factors instead of "with no clear reason".
        ("dvt_signs", ["boot or cast", "long journey"]),
        # F25: specific cues for a stress fracture, not typical heel pain.
        ("heel_pain_no_swelling_impact", ["squeeze", "at night", "big increase"]),
    ],
)
def test_red_flag_questions_use_the_reviewed_wording(slug: str, words: list[str]) -> None:
    from programmes.models import RedFlag

    question = RedFlag.objects.get(slug=slug).question
    for word in words:
        assert word in question
    assert "no clear reason" not in question


def test_ice_and_heat_leave_at_least_three_hours_between_applications(
    patient_client: Client, programme: Any
) -> None:
    """F21: SEED-002's "a few hours", as the acute schedule's 3 h, not 2."""
    page = patient_client.get(reverse("today")).content.decode()
    assert "At least 3 hours between applications." in page
    assert "Leave at least 3 hours between applications." in page
    assert "at least 2 hours" not in page.lower()


def test_an_emergency_answer_is_headed_with_the_number_to_call(
    patient_client: Client, patient: Any, programme: Any, settings: Any
) -> None:
    """F13, F44, F23: breathlessness or chest pain is an emergency, with the number."""
    settings.REHAB_EMERGENCY_NUMBER = "999"
    data = _check_in_data(patient_client, flag_pe_signs="yes", flag_dvt_signs="yes")
    page = patient_client.post(reverse("check_in"), data, follow=True).content.decode()
    assert "<h1>Emergency: call 999 now</h1>" in page
    assert page.index("Call emergency services now") < page.index("Contact a doctor today")
    today = patient_client.get(reverse("today")).content.decode()
    assert "Programme paused: Emergency: call 999 now" in today
