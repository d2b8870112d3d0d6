"""The patient's endpoints: happy paths and bad input (400 with field errors)."""

from __future__ import annotations

import html
import shutil
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.utils import timezone

from patients.models import CheckIn, Notification, QuestionnaireResponse, SessionLog
from programmes import catalogue_files
from programmes.models import Condition, Programme, RedFlag
from programmes.services import load_catalogue
from tests.api.conftest import local_today, session_body
from tests.factories import current_items

VISA_A_ANSWERS = {
    "q1": 7, "q2": 7, "q3": 7, "q4": 7, "q5": 7, "q6": 7, "q7": 7,
    "q8_group": 1, "q8_minutes_band": 2,
}  # fmt: skip


def check_in_body(patient: Any, **overrides: Any) -> dict[str, Any]:
    body = {
        "client_uuid": str(uuid.uuid4()),
        "local_date": local_today(patient).isoformat(),
        "morning_pain_nrs": 3,
        "stiffness_minutes": 10,
        "red_flags": [],
        "logged_at": "2026-11-21T07:40:00+00:00",
    }
    return body | overrides


# --- Me -----------------------------------------------------------------------------------


def test_me_shows_the_profile_and_reminder_preferences(as_patient: Any, patient: Any) -> None:
    body = as_patient.get("/api/v1/me/").json()
    assert body["role"] == "patient"
    assert body["patient"]["time_zone"] == "Europe/London"
    assert body["patient"]["session_times"] == ["08:00", "18:00"]


def test_me_changes_time_zone_and_session_times(as_patient: Any, patient: Any) -> None:
    response = as_patient.patch(
        "/api/v1/me/", {"time_zone": "America/New_York", "session_times": ["19:30", "07:00"]}
    )
    assert response.status_code == 200
    patient.refresh_from_db()
    assert (patient.time_zone, patient.session_times) == ("America/New_York", ["07:00", "19:30"])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"session_times": ["25:00"]}, "session_times"),
        ({"session_times": []}, "session_times"),
        ({"email_reminders": "perhaps"}, "email_reminders"),
    ],
)
def test_me_rejects_bad_preferences(as_patient: Any, body: dict, field: str) -> None:
    response = as_patient.patch("/api/v1/me/", body)
    assert response.status_code == 400
    assert field in response.json()["fields"]


def test_a_therapist_cannot_set_patient_preferences(as_therapist: Any) -> None:
    assert as_therapist.get("/api/v1/me/").json()["patient"] is None
    assert as_therapist.patch("/api/v1/me/", {"email_reminders": False}).status_code == 403


# --- Programme and today ------------------------------------------------------------------


def test_the_current_programme_has_phases_items_and_instructions(
    as_patient: Any, programme: Any
) -> None:
    body = as_patient.get("/api/v1/programme/").json()
    assert body["id"] == str(programme.pk)
    item = body["phases"][0]["items"][0]
    assert item["exercise"]["instructions"]
    assert item["key"]


def test_no_active_programme_is_a_404(as_patient: Any, programme: Any) -> None:
    programme.status = "ended"
    programme.save()
    response = as_patient.get("/api/v1/programme/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_today_lists_due_sessions_and_what_is_logged(
    as_patient: Any, patient: Any, programme: Any
) -> None:
    as_patient.post("/api/v1/sessions/", session_body(patient, programme))
    body = as_patient.get("/api/v1/today/").json()
    assert body["local_date"] == local_today(patient).isoformat()
    assert body["sessions"][0]["log"]["slot"] == 1
    assert body["sessions"][0]["items"]
    assert body["check_in"] is None


# --- Session logs -------------------------------------------------------------------------


def test_a_session_log_is_created_with_targets_beside_what_was_done(
    as_patient: Any, patient: Any, programme: Any
) -> None:
    item = current_items(programme)[0]  # the exercise session_body logs
    assert item.sets is not None  # the prescription has a target to copy
    response = as_patient.post("/api/v1/sessions/", session_body(patient, programme))
    assert response.status_code == 201
    entry = response.json()["exercises"][0]
    assert entry["item_key"] == str(item.key)
    assert (entry["target_sets"], entry["target_reps"], entry["target_hold_s"]) == (
        item.sets,
        item.reps,
        item.hold_s,
    )
    assert entry["sets_done"] == 3
    assert SessionLog.objects.get().patient == patient


def test_logged_at_keeps_the_instant_and_is_returned_in_the_patients_zone(
    as_patient: Any, patient: Any, programme: Any
) -> None:
    body = session_body(patient, programme, logged_at="2026-11-20T19:02:00-05:00")
    response = as_patient.post("/api/v1/sessions/", body)
    assert response.json()["logged_at"] == "2026-11-21T00:02:00+00:00"  # London, GMT


def test_a_timestamp_without_an_offset_is_refused(
    as_patient: Any, patient: Any, programme: Any
) -> None:
    body = session_body(patient, programme, logged_at="2026-11-20T19:02:00")
    response = as_patient.post("/api/v1/sessions/", body)
    assert response.status_code == 400
    assert "UTC offset" in response.json()["fields"]["logged_at"][0]


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"client_uuid": "not-a-uuid"}, "client_uuid"),
        ({"slot": 0}, "slot"),
        ({"pain_after_nrs": 11}, "pain_after_nrs"),
        ({"local_date": "21/11/2026"}, "local_date"),
        ({"status": "maybe"}, "status"),
        ({"exercises": [{"item_key": "x"}]}, "exercises.0.item_key"),
        ({"exercises": [{"item_key": str(uuid.uuid4()), "pain_during_nrs": -1}]},
         "exercises.0.pain_during_nrs"),
    ],
)  # fmt: skip
def test_a_bad_session_log_is_a_400_naming_the_field(
    as_patient: Any, patient: Any, programme: Any, override: dict, field: str
) -> None:
    response = as_patient.post("/api/v1/sessions/", session_body(patient, programme, **override))
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert field in response.json()["fields"]
    assert not SessionLog.objects.exists()


def test_an_exercise_not_in_the_programme_is_a_400(
    as_patient: Any, patient: Any, programme: Any
) -> None:
    body = session_body(patient, programme, exercises=[{"item_key": str(uuid.uuid4())}])
    response = as_patient.post("/api/v1/sessions/", body)
    assert response.status_code == 400
    assert "exercises" in response.json()["fields"]


def test_the_same_item_twice_in_one_log_is_a_400(
    as_patient: Any, patient: Any, programme: Any
) -> None:
    key = str(current_items(programme)[0].key)
    body = session_body(patient, programme, exercises=[{"item_key": key}, {"item_key": key}])
    assert as_patient.post("/api/v1/sessions/", body).status_code == 400


def test_a_skip_needs_a_reason(as_patient: Any, patient: Any, programme: Any) -> None:
    body = session_body(patient, programme, status="skipped", skip_reason="")
    response = as_patient.post("/api/v1/sessions/", body)
    assert response.status_code == 400
    assert "skip_reason" in response.json()["fields"]


def test_session_logs_are_listed_newest_first_and_filtered_by_date(
    as_patient: Any, patient: Any, programme: Any
) -> None:
    today = local_today(patient)
    for days_ago in (0, 1, 2):
        day = (today - timedelta(days=days_ago)).isoformat()
        as_patient.post(
            "/api/v1/sessions/",
            session_body(patient, programme, client_uuid=str(uuid.uuid4()), local_date=day),
        )
    body = as_patient.get("/api/v1/sessions/").json()
    assert body["count"] == 3
    assert body["results"][0]["local_date"] == today.isoformat()
    since = (today - timedelta(days=1)).isoformat()
    filtered = as_patient.get(f"/api/v1/sessions/?local_date_after={since}").json()
    assert filtered["count"] == 2
    assert as_patient.get("/api/v1/sessions/?local_date_after=soon").status_code == 400
    assert as_patient.get("/api/v1/sessions/?status=skipped").json()["count"] == 0


def test_a_page_beyond_the_end_is_a_404_and_page_size_is_capped(
    as_patient: Any, patient: Any, programme: Any
) -> None:
    assert as_patient.get("/api/v1/sessions/?page=9").status_code == 404
    assert as_patient.get("/api/v1/sessions/?page_size=100000").status_code == 200


@pytest.mark.parametrize("page", ["", "0", "two", "-1"])
def test_a_page_that_is_not_a_whole_number_is_a_400(as_patient: Any, page: str) -> None:
    response = as_patient.get(f"/api/v1/sessions/?page={page}")
    assert response.status_code == 400
    assert "page" in response.json()["fields"]


def test_put_replaces_a_logs_contents_and_keeps_its_slot(
    as_patient: Any, patient: Any, programme: Any
) -> None:
    log_id = as_patient.post("/api/v1/sessions/", session_body(patient, programme)).json()["id"]
    response = as_patient.put(
        f"/api/v1/sessions/{log_id}/", {"status": "skipped", "skip_reason": "Sore calf."}
    )
    assert response.status_code == 200
    assert response.json()["status"] == "skipped"
    assert response.json()["exercises"] == []
    assert SessionLog.objects.get().slot == 1


def test_patch_changes_only_what_is_sent(as_patient: Any, patient: Any, programme: Any) -> None:
    log_id = as_patient.post("/api/v1/sessions/", session_body(patient, programme)).json()["id"]
    response = as_patient.patch(f"/api/v1/sessions/{log_id}/", {"pain_after_nrs": 6})
    assert response.status_code == 200
    assert response.json()["pain_after_nrs"] == 6
    assert response.json()["exercises"][0]["sets_done"] == 3
    bad = as_patient.patch(f"/api/v1/sessions/{log_id}/", {"pain_after_nrs": 60})
    assert bad.status_code == 400


def test_patching_the_pain_of_a_skipped_session_leaves_it_skipped(
    as_patient: Any, patient: Any, programme: Any
) -> None:
    body = session_body(patient, programme, status="skipped", skip_reason="Sore calf.")
    log_id = as_patient.post("/api/v1/sessions/", body).json()["id"]
    response = as_patient.patch(f"/api/v1/sessions/{log_id}/", {"pain_after_nrs": 4})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["skip_reason"]) == ("skipped", "Sore calf.")
    assert response.json()["pain_after_nrs"] == 4


def test_the_client_cannot_set_whose_log_it_is(
    as_patient: Any, patient: Any, programme: Any, stranger: Any
) -> None:
    body = session_body(patient, programme) | {
        "patient": str(stranger.pk),
        "programme": str(uuid.uuid4()),
    }
    as_patient.post("/api/v1/sessions/", body)
    log = SessionLog.objects.get()
    assert (log.patient, log.programme) == (patient, programme)


def test_a_patient_deletes_a_recent_log(as_patient: Any, patient: Any, programme: Any) -> None:
    log_id = as_patient.post("/api/v1/sessions/", session_body(patient, programme)).json()["id"]
    assert as_patient.delete(f"/api/v1/sessions/{log_id}/").status_code == 204
    assert as_patient.get(f"/api/v1/sessions/{log_id}/").status_code == 404
    assert not SessionLog.objects.exists()


def test_an_old_log_cannot_be_deleted(as_patient: Any, patient: Any, programme: Any) -> None:
    old = (local_today(patient) - timedelta(days=8)).isoformat()
    log_id = as_patient.post(
        "/api/v1/sessions/", session_body(patient, programme, local_date=old)
    ).json()["id"]
    response = as_patient.delete(f"/api/v1/sessions/{log_id}/")
    assert response.status_code == 400
    assert response.json()["code"] == "too_old_to_delete"


# --- Check-ins ----------------------------------------------------------------------------


def test_a_check_in_is_created_listed_and_read(as_patient: Any, patient: Any) -> None:
    response = as_patient.post("/api/v1/check-ins/", check_in_body(patient))
    assert response.status_code == 201
    check_in_id = response.json()["id"]
    assert as_patient.get("/api/v1/check-ins/").json()["count"] == 1
    assert as_patient.get(f"/api/v1/check-ins/{check_in_id}/").json()["morning_pain_nrs"] == 3
    assert as_patient.get("/api/v1/today/").json()["check_in"]["id"] == check_in_id


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"morning_pain_nrs": 11}, "morning_pain_nrs"),
        ({"stiffness_minutes": -1}, "stiffness_minutes"),
        ({"red_flags": ["no_such_flag"]}, "red_flags"),
        ({"local_date": None}, "local_date"),
    ],
)
def test_a_bad_check_in_is_a_400(as_patient: Any, patient: Any, override: dict, field: str) -> None:
    response = as_patient.post("/api/v1/check-ins/", check_in_body(patient, **override))
    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert not CheckIn.objects.exists()


def test_the_api_refuses_a_red_flag_the_check_in_does_not_ask(
    as_patient: Any, patient: Any
) -> None:
    """The web asks the patient's own questions (5 of the 22 catalogue flags for this
    condition); the API accepts exactly those, so both record the same answers."""
    asked = [q["slug"] for q in as_patient.get("/api/v1/today/").json()["check_in_questions"]]
    assert "cauda_equina_signs" not in asked
    response = as_patient.post(
        "/api/v1/check-ins/",
        check_in_body(patient, red_flags=["cauda_equina_signs"]),
        format="json",
    )
    assert response.status_code == 400
    assert "red_flags" in response.json()["fields"]
    assert not CheckIn.objects.exists()
    ok = as_patient.post(
        "/api/v1/check-ins/", check_in_body(patient, red_flags=asked[:1]), format="json"
    )
    assert ok.status_code == 201


def test_the_check_in_questions_are_the_web_pages_with_their_advice(
    as_patient: Any, patient: Any, client: Any
) -> None:
    body = as_patient.get("/api/v1/check-in/questions/").json()
    client.force_login(patient.user)
    page = client.get("/check-in/").content.decode()
    slugs = [q["slug"] for q in body["questions"]]
    assert len(slugs) == page.count('type="radio" name="flag_') // 2  # yes and no each
    for question in body["questions"]:
        assert f'name="flag_{question["slug"]}"' in page
        flag = RedFlag.objects.get(slug=question["slug"])
        assert (question["question"], question["advice"]) == (flag.question, flag.advice)
        assert question["urgency"] == flag.urgency
    assert body["swelling_question"] in page
    # After a yes the web shows the same words the API gives.
    urgent = next(q for q in body["questions"] if q["slug"] == "cannot_bear_weight")
    assert (urgent["urgency_rank"], urgent["urgency_label"]) == (2, "Same day")
    client.post(
        "/check-in/",
        {"client_uuid": str(uuid.uuid4()), "morning_pain_nrs": 2, "stiffness_minutes": 0,
         "swelling": "no", **{f"flag_{s}": "no" for s in slugs}, "flag_cannot_bear_weight": "yes"},
    )  # fmt: skip
    result = client.get("/check-in/done/").content.decode()
    for text in (body["answered_yes"], urgent["heading"], urgent["advice"]):
        assert html.escape(text, quote=False) in result


def test_the_check_in_questions_follow_a_dvt_risk(as_patient: Any, patient: Any) -> None:
    diagnosis = patient.programmes.get().diagnosis
    diagnosis.intake = {**diagnosis.intake, "dvt_risks": ["immobilised"]}
    diagnosis.save()
    body = as_patient.get("/api/v1/check-in/questions/").json()
    assert {"dvt_signs", "pe_signs"} <= {q["slug"] for q in body["questions"]}
    response = as_patient.post(
        "/api/v1/check-ins/", check_in_body(patient, red_flags=["dvt_signs"]), format="json"
    )
    assert response.status_code == 201


def schema_red_flags(client: Any) -> list[str]:
    """The red-flag answers the served schema allows (the enum of a check-in's red_flags)."""
    schema = yaml.safe_load(client.get("/api/v1/schema/").content)
    return schema["components"]["schemas"]["RedFlagsEnum"]["enum"]


def test_the_schemas_red_flags_are_every_question_a_check_in_can_ask(
    as_patient: Any, patient: Any, programme: Any
) -> None:
    """One home: the enum is the check-in's questions over every condition (with a DVT risk),
    not every catalogue flag (an examination finding is never asked of a patient)."""
    served: set[str] = set()
    diagnosis = programme.diagnosis
    diagnosis.intake = {**diagnosis.intake, "dvt_risks": ["immobilised"]}
    diagnosis.save()
    for condition in Condition.objects.all():
        Programme.objects.filter(pk=programme.pk).update(condition=condition)
        body = as_patient.get("/api/v1/check-in/questions/").json()
        served |= {q["slug"] for q in body["questions"]}
    enum = schema_red_flags(as_patient)
    assert enum == [f.slug for f in RedFlag.objects.order_by("id") if f.slug in served]
    assert "rupture_exam_signs" not in enum
    assert {"sudden_pop", "dvt_signs", "pe_signs"} <= set(enum)


NEW_FLAG = """
- slug: new_morning_question
  question: Is there something new this morning?
  meaning: A question added to the catalogue (test).
  urgency: soon
  advice: Arrange to see your clinician within the next few days.
  check_in: true
  sources: [SEED-001]
"""


def test_a_red_flag_added_to_the_catalogue_is_in_the_schema_and_accepted(
    as_patient: Any, patient: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "new_morning_question" not in schema_red_flags(as_patient)
    shutil.copytree(catalogue_files.CATALOGUE_DIR, tmp_path / "catalogue")
    with (tmp_path / "catalogue" / "red_flags.yaml").open("a", encoding="utf-8") as handle:
        handle.write(NEW_FLAG)
    load_catalogue(directory=tmp_path / "catalogue")
    monkeypatch.setattr(catalogue_files, "CATALOGUE_DIR", tmp_path / "catalogue")

    assert "new_morning_question" in schema_red_flags(as_patient)
    asked = as_patient.get("/api/v1/check-in/questions/").json()["questions"]
    assert "new_morning_question" in {q["slug"] for q in asked}
    response = as_patient.post(
        "/api/v1/check-ins/",
        check_in_body(patient, red_flags=["new_morning_question"]),
        format="json",
    )
    assert response.status_code == 201, response.json()


def test_the_check_in_questions_are_for_patients(as_therapist: Any, anonymous: Any) -> None:
    assert as_therapist.get("/api/v1/check-in/questions/").status_code == 403
    assert anonymous.get("/api/v1/check-in/questions/").status_code == 401


# --- Questionnaires -----------------------------------------------------------------------


def test_questionnaire_definitions_list_items_and_choices(as_patient: Any) -> None:
    body = as_patient.get("/api/v1/questionnaires/").json()
    assert {q["slug"] for q in body["results"]} == {"visa_a", "lefs", "faam"}
    visa_a = as_patient.get("/api/v1/questionnaires/visa_a/").json()
    assert visa_a["items"][0]["choices"]
    # F9: the plain instructions and per-question notes reach the app too.
    assert "Do not try a movement your clinician has told you to avoid" in visa_a["instructions"][0]
    assert "do not try it now" in visa_a["items"][1]["note"]
    assert as_patient.get("/api/v1/questionnaires/nope/").status_code == 404


def test_a_questionnaire_response_is_scored(as_patient: Any, patient: Any) -> None:
    body = {
        "client_uuid": str(uuid.uuid4()),
        "questionnaire": "visa_a",
        "local_date": local_today(patient).isoformat(),
        "answers": VISA_A_ANSWERS,
    }
    response = as_patient.post("/api/v1/questionnaire-responses/", body)
    assert response.status_code == 201
    assert response.json()["score"] == 63.0
    response_id = response.json()["id"]
    assert as_patient.get(f"/api/v1/questionnaire-responses/{response_id}/").status_code == 200
    listed = as_patient.get("/api/v1/questionnaire-responses/?questionnaire=visa_a").json()
    assert listed["count"] == 1


def test_a_faam_response_with_adl_not_scorable_is_a_201_with_no_total(
    as_patient: Any, patient: Any
) -> None:
    """F15, F36: stored, ADL null (not scorable), Sports scored, and no single score."""
    answers = {f"adl{n}": 4 for n in range(1, 22)} | {f"sport{n}": 4 for n in range(1, 9)}
    body = {
        "client_uuid": str(uuid.uuid4()),
        "questionnaire": "faam",
        "local_date": local_today(patient).isoformat(),
        "answers": answers | {"adl1": "na", "adl2": None, "adl3": "na"},
    }
    response = as_patient.post("/api/v1/questionnaire-responses/", body)
    assert response.status_code == 201
    assert response.json()["score"] is None
    assert response.json()["subscales"] == {"adl": None, "sports": 100.0}


def test_missing_answers_are_a_400_per_question(as_patient: Any, patient: Any) -> None:
    body = {
        "client_uuid": str(uuid.uuid4()),
        "questionnaire": "visa_a",
        "local_date": local_today(patient).isoformat(),
        "answers": {"q1": 99},
    }
    response = as_patient.post("/api/v1/questionnaire-responses/", body)
    assert response.status_code == 400
    assert {"q1", "q2"} <= set(response.json()["fields"])
    assert not QuestionnaireResponse.objects.exists()


# --- Notifications and catalogue ----------------------------------------------------------


def test_notifications_are_listed_and_marked_read(as_patient: Any, patient: Any) -> None:
    first = Notification.objects.create(user=patient.user, kind="session", title="Exercise")
    Notification.objects.create(user=patient.user, kind="session", title="Again")
    assert as_patient.get("/api/v1/notifications/?unread=true").json()["count"] == 2
    response = as_patient.post("/api/v1/notifications/mark-read/", {"ids": [str(first.pk)]})
    assert response.json() == {"marked": 1}
    assert as_patient.post("/api/v1/notifications/mark-read/", {}).json() == {"marked": 1}
    assert as_patient.get("/api/v1/notifications/?unread=true").json()["count"] == 0
    bad = as_patient.post("/api/v1/notifications/mark-read/", {"ids": ["x"]})
    assert bad.status_code == 400


def test_a_reminder_links_to_today_and_is_about_no_flag(as_patient: Any, patient: Any) -> None:
    Notification.objects.create(user=patient.user, kind="reminder:session", title="Session 1")
    [note] = as_patient.get("/api/v1/notifications/").json()["results"]
    assert (note["link"], note["flag_status"]) == ("/today/", None)


def test_another_users_notifications_are_neither_listed_nor_marked(
    as_patient: Any, stranger: Any
) -> None:
    theirs = Notification.objects.create(user=stranger.user, kind="session", title="Theirs")
    assert as_patient.get("/api/v1/notifications/").json()["count"] == 0
    response = as_patient.post("/api/v1/notifications/mark-read/", {"ids": [str(theirs.pk)]})
    assert response.json() == {"marked": 0}


def test_the_catalogue_is_readable_and_filterable(as_patient: Any) -> None:
    conditions = as_patient.get("/api/v1/conditions/?home_status=home").json()
    assert conditions["count"] > 0
    assert all(c["home_status"] == "home" for c in conditions["results"])
    slug = conditions["results"][0]["slug"]
    assert as_patient.get(f"/api/v1/conditions/{slug}/").json()["slug"] == slug
    exercises = as_patient.get("/api/v1/exercises/?category=eccentric").json()
    assert exercises["count"] > 0
    exercise = exercises["results"][0]
    assert exercise["instructions"]
    assert as_patient.get(f"/api/v1/exercises/{exercise['slug']}/").status_code == 200
    assert as_patient.get("/api/v1/exercises/?category=jogging").status_code == 400
    assert as_patient.get("/api/v1/exercises/no-such-thing/").status_code == 404


def test_the_catalogue_is_read_only(as_patient: Any) -> None:
    response = as_patient.post("/api/v1/exercises/", {"slug": "x"})
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


# --- A red flag pauses the programme (F3) ---------------------------------------------------


def _red_flag_check_in(as_patient: Any, patient: Any) -> None:
    body = {
        "client_uuid": str(uuid.uuid4()),
        "local_date": local_today(patient).isoformat(),
        "morning_pain_nrs": 3,
        "stiffness_minutes": 10,
        "red_flags": ["cannot_bear_weight"],
    }
    assert as_patient.post("/api/v1/check-ins/", body, format="json").status_code == 201


def test_today_is_not_paused_without_a_red_flag(as_patient: Any, programme: Any) -> None:
    assert as_patient.get("/api/v1/today/").json()["paused"] is None


def test_after_a_red_flag_today_is_paused_with_the_flags_advice(
    as_patient: Any, patient: Any, programme: Any
) -> None:
    """F3: no sessions and no ice/heat, and a `paused` object carrying the advice."""
    _red_flag_check_in(as_patient, patient)
    body = as_patient.get("/api/v1/today/").json()
    assert body["sessions"] == []
    assert body["ice_heat"] == []
    paused = body["paused"]
    assert paused["since"] == local_today(patient).isoformat()
    assert paused["urgency"] == "urgent"
    assert any("Keep weight off the foot" in text for text in paused["advice"])
    assert "today" in paused["heading"]


def test_a_session_log_for_a_paused_programme_is_a_409(
    as_patient: Any, patient: Any, programme: Any
) -> None:
    """F3: 409, not 400: the body is valid, the programme's state refuses it for now."""
    _red_flag_check_in(as_patient, patient)
    body = session_body(patient, programme, logged_at=timezone.now().isoformat())
    response = as_patient.post("/api/v1/sessions/", body, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "programme_paused"
    assert not SessionLog.objects.filter(patient=patient).exists()


def test_my_programme_says_it_is_paused_so_an_offline_app_stops_offering_it(
    as_patient: Any, patient: Any, programme: Any
) -> None:
    """F3: an app working offline from GET /programme/ learns of the pause there too."""
    assert as_patient.get("/api/v1/programme/").json()["paused"] is None
    _red_flag_check_in(as_patient, patient)
    paused = as_patient.get("/api/v1/programme/").json()["paused"]
    assert paused["urgency"] == "urgent"
    assert paused["advice"]


def test_a_session_done_before_the_red_flag_and_synced_later_is_kept(
    as_patient: Any, patient: Any, programme: Any
) -> None:
    """F3 without losing data: a session the phone logged before the patient reported the
    red flag (the same morning, offline) is history, and stored."""
    before = timezone.now() - timedelta(minutes=30)
    _red_flag_check_in(as_patient, patient)
    body = session_body(patient, programme, logged_at=before.isoformat())
    response = as_patient.post("/api/v1/sessions/", body, format="json")
    assert response.status_code == 201
    assert SessionLog.objects.filter(patient=patient).count() == 1


def test_today_lists_the_check_in_questions_for_the_patients_condition(
    as_patient: Any, programme: Any
) -> None:
    """F14: the phone learns the questions from Today: the general ones plus the
    condition's own (mid-portion Achilles: DVT and breathlessness), and the swelling one."""
    body = as_patient.get("/api/v1/today/").json()
    slugs = [q["slug"] for q in body["check_in_questions"]]
    assert {"sudden_pop", "cannot_bear_weight", "dvt_signs", "pe_signs"} <= set(slugs)
    assert "rupture_exam_signs" not in slugs
    assert all(q["question"] for q in body["check_in_questions"])
    assert body["swelling_question"]


def test_a_check_in_stores_the_swelling_answer_and_heat_stops(
    as_patient: Any, patient: Any, programme: Any
) -> None:
    body = {
        "client_uuid": str(uuid.uuid4()),
        "local_date": local_today(patient).isoformat(),
        "morning_pain_nrs": 3,
        "stiffness_minutes": 10,
        "swelling": True,
    }
    response = as_patient.post("/api/v1/check-ins/", body, format="json")
    assert response.status_code == 201
    assert response.json()["swelling"] is True
    today = as_patient.get("/api/v1/today/").json()
    assert "heat" not in {slot["modality"] for slot in today["ice_heat"]}
