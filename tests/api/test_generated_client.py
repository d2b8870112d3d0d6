"""The generated client is the test: a Python client generated from the live schema with
openapi-python-client (as a mobile team would) runs the phone's whole journey against a live
server, and the therapist's after it (logging in with the second step, a code from their
authenticator app). No request here is written by hand, and no output field
the server always sends is checked for `Unset`: if one came back `Unset`, or a status came
back that the schema does not list (the client raises), the schema would be lying.

The generator runs with its default configuration, as a mobile team starts with it, and
must give no warning: an operation or response it cannot read is one a client loses."""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
import uuid
import zipfile
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from http import HTTPStatus
from pathlib import Path
from types import ModuleType
from typing import Any

import attrs
import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from patients.models import Device
from rehab.api_schema import OPTIONAL_OUTPUT_FIELDS
from tests.factories import PASSWORD, STARTED, code_for, give_authenticator, make_worsening

pytestmark = pytest.mark.django_db(transaction=True)

PACKAGE = "rehab_client"
CSV_FILES = {"patient.csv", "session_logs.csv", "check_ins.csv", "flags.csv"}


@pytest.fixture
def generated(live_server: Any, tmp_path: Path) -> Iterator[tuple[ModuleType, list[str]]]:
    """The client package generated from the live server's schema, imported, and the
    generator's warnings (one line each: operation and reason)."""
    bin_dir = Path(sys.executable).parent  # the venv's: the generator runs ruff from PATH
    run = subprocess.run(
        [
            str(bin_dir / "openapi-python-client"),
            "generate",
            "--url",
            f"{live_server.url}/api/v1/schema/",
            "--meta",
            "none",
            "--output-path",
            str(tmp_path / PACKAGE),
        ],
        capture_output=True,
        text=True,
        env=os.environ | {"PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"},
        timeout=120,
        check=False,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    warnings = [
        f"{operation}: {reason}"
        for operation, reason in re.findall(
            r"^WARNING parsing (\S+ \S+) within \S+\.\n\n(.+)$", output, flags=re.MULTILINE
        )
    ]
    assert output.count("WARNING") == len(warnings), output  # every warning was read
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module(PACKAGE), warnings
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


class Phone:
    """The generated package, with one helper: call an operation, check its status and the
    type of its parsed body. The client raises on any status the schema does not list."""

    def __init__(self, package: ModuleType, base_url: str) -> None:
        self.package = package
        self.base_url = base_url
        self.client: Any = package.Client(base_url=base_url, raise_on_unexpected_status=True)

    def api(self, name: str) -> Any:
        return importlib.import_module(f"{PACKAGE}.api.{name}")

    def model(self, name: str) -> Any:
        return getattr(importlib.import_module(f"{PACKAGE}.models"), name)

    def call(self, operation: str, expected: int, /, *args: Any, **kwargs: Any) -> Any:
        response = self.api(operation).sync_detailed(*args, client=self.client, **kwargs)
        assert response.status_code == HTTPStatus(expected), (operation, response.content[:500])
        return response

    def ok(self, operation: str, expected: int, parsed: str, /, *args: Any, **kwargs: Any) -> Any:
        response = self.call(operation, expected, *args, **kwargs)
        assert isinstance(response.parsed, self.model(parsed)), (operation, response.parsed)
        assert not self.unset_in(response.parsed), (operation, self.unset_in(response.parsed))
        return response.parsed

    def unset_in(self, value: Any, path: str = "") -> list[str]:
        """Where a parsed body makes a typed app check for `Unset`: a field typed `X | Unset`
        (the schema calls it optional) or that came back missing. Only OPTIONAL_OUTPUT_FIELDS
        may: every other output field is always sent, and the schema must say so."""
        if isinstance(value, list):
            return [p for i, item in enumerate(value) for p in self.unset_in(item, f"{path}[{i}]")]
        if not attrs.has(type(value)):
            return []
        optional = OPTIONAL_OUTPUT_FIELDS.get(type(value).__name__, set())
        found = []
        for field in attrs.fields(type(value)):
            where, field_value = f"{path}.{field.name}", getattr(value, field.name)
            if field.name.rstrip("_") in optional:
                continue
            if "Unset" in str(field.type) or isinstance(field_value, self.package.types.Unset):
                found.append(where)
            else:
                found += self.unset_in(field_value, where)
        return found

    def log_in(self, username: str, app: TOTPDevice | None = None) -> None:
        """Log in; with the person's authenticator `app`, in two steps (the password gets a
        challenge, the challenge and the app's code get the token)."""
        body = self.model("LoginInputRequest")(
            username=username, password=PASSWORD, device_name="generated client"
        )
        if app is None:
            login = self.ok("auth.auth_login_create", 200, "LoginOutput", body=body)
        else:
            second = self.ok("auth.auth_login_create", 202, "SecondStepOutput", body=body)
            code = self.model("LoginCodeInputRequest")(
                challenge=second.challenge, code=code_for(app), device_name="generated client"
            )
            login = self.ok("auth.auth_login_code_create", 200, "LoginOutput", body=code)
        self.client = self.package.AuthenticatedClient(
            base_url=self.base_url, token=login.token, prefix="Token",
            raise_on_unexpected_status=True,
        )  # fmt: skip


def test_a_phone_app_built_on_the_generated_client_alone_does_the_whole_journey(
    live_server: Any,
    loaded_catalogue: None,
    generated: tuple[ModuleType, list[str]],
    therapist: Any,
    patient: Any,
    programme: Any,
) -> None:
    package, warnings = generated
    assert warnings == []
    phone = Phone(package, live_server.url)
    M = phone.model
    logged_at = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)

    # 1. Log in: a device token. Register the phone for push, as on every app start: the
    #    same token again is the same device, updated.
    phone.log_in(patient.user.username)
    android = M("DeviceInputRequest")(
        platform=M("PlatformEnum").FCM, token="dQw4w9WgXcQ:APA91bH" + "x" * 140,
        app_version="2.3.1", name="Pixel 8",
    )  # fmt: skip
    device = phone.ok("devices.devices_create", 201, "DeviceOutput", body=android)
    android.app_version = "2.4.0"
    again_registered = phone.ok("devices.devices_create", 200, "DeviceOutput", body=android)
    assert (again_registered.id, again_registered.app_version) == (device.id, "2.4.0")
    listed = phone.ok("devices.devices_list", 200, "PaginatedDeviceOutputList")
    assert [d.id for d in listed.results] == [device.id]

    # 2. Today, in the patient's own zone: two sessions due, nothing paused.
    today = phone.ok("patient.today_retrieve", 200, "TodayOutput")
    assert today.local_date == date(2026, 11, 20)
    assert today.paused is None
    assert [s.slot for s in today.sessions] == [1, 2]
    item_key = today.sessions[0].items[0].key

    # 3. The programme, with its phases and items.
    mine = phone.ok("patient.programme_retrieve", 200, "MyProgrammeOutput")
    assert (mine.id, mine.started_on) == (programme.pk, STARTED)
    assert item_key in {item.key for phase in mine.phases for item in phase.items}

    # 4. Log a session, then replay it (a retry after a lost answer): the same row comes back.
    exercise = M("ExerciseDoneInputRequest")(item_key=item_key, sets_done=3, pain_during_nrs=2)
    session = M("SessionLogInputRequest")(
        client_uuid=uuid.uuid4(), local_date=today.local_date, slot=1,
        pain_after_nrs=3, exercises=[exercise], logged_at=logged_at,
    )  # fmt: skip
    created = phone.call("patient.sessions_create", 201, body=session)
    replayed = phone.call("patient.sessions_create", 200, body=session)
    assert replayed.headers["Idempotent-Replayed"] == "true"
    assert replayed.parsed.id == created.parsed.id
    assert created.parsed.status == M("SessionStatusEnum").DONE

    # 5. A skipped session; changing only its pain leaves it skipped, with its reason.
    skipped = M("SessionLogInputRequest")(
        client_uuid=uuid.uuid4(), local_date=today.local_date, slot=2,
        status=M("SessionStatusEnum").SKIPPED, skip_reason="Calf too sore", logged_at=logged_at,
    )  # fmt: skip
    log = phone.ok("patient.sessions_create", 201, "SessionLogOutput", body=skipped)
    change = M("PatchedSessionChangeInputRequest")(pain_after_nrs=4)
    assert change.to_dict() == {"pain_after_nrs": 4}  # the client sends only what was set
    edited = phone.ok(
        "patient.sessions_partial_update", 200, "SessionLogOutput", log.id, body=change
    )
    assert (edited.status, edited.skip_reason) == (M("SessionStatusEnum").SKIPPED, "Calf too sore")
    assert edited.pain_after_nrs == 4

    # 6. The offline batch: new records, a duplicate, bad records and an edit (the same slot
    #    again under another client_uuid); then the whole batch again.
    yesterday = today.local_date - timedelta(days=1)

    def session_record(**fields: Any) -> Any:
        return M("SyncSessionRecordRequest")(**{
            "type_": M("SyncSessionRecordTypeEnum").SESSION, "client_uuid": uuid.uuid4(),
            "local_date": yesterday, "slot": 1, "pain_after_nrs": 2, "exercises": [exercise],
            "logged_at": logged_at - timedelta(days=1),
        } | fields)  # fmt: skip

    first = session_record()
    edit = session_record(pain_after_nrs=5)
    check_in = M("SyncCheckInRecordRequest")(
        type_=M("SyncCheckInRecordTypeEnum").CHECK_IN, client_uuid=uuid.uuid4(),
        local_date=yesterday, morning_pain_nrs=2, stiffness_minutes=5, red_flags=[],
        swelling=False, logged_at=logged_at - timedelta(days=1),
    )  # fmt: skip
    too_painful = session_record(slot=2, pain_after_nrs=42)
    before_the_programme = session_record(local_date=STARTED - timedelta(days=1))
    batch = M("SyncInputRequest")(
        records=[first, first, edit, check_in, too_painful, before_the_programme]
    )
    statuses = ["created", "already_present", "updated", "created", "rejected", "rejected"]
    sent = phone.ok("sync.sync_create", 200, "SyncOutput", body=batch)
    assert [r.status.value for r in sent.results] == statuses
    assert (sent.created, sent.updated, sent.already_present, sent.rejected) == (2, 1, 1, 2)
    assert not any(r.reported_late for r in sent.results)
    bad_pain, bad_date = sent.results[4:]
    assert (bad_pain.code, list(bad_pain.fields.additional_properties)) == (
        "invalid", ["pain_after_nrs"],
    )  # fmt: skip
    assert "local_date" in bad_date.fields.additional_properties
    again = phone.ok("sync.sync_create", 200, "SyncOutput", body=batch)
    assert [r.status.value for r in again.results] == ["already_present"] * 4 + ["rejected"] * 2
    assert [r.id for r in again.results[:4]] == [r.id for r in sent.results[:4]]
    stored = phone.ok("patient.sessions_list", 200, "PaginatedSessionLogOutputList")
    assert stored.count == 3
    assert [s.pain_after_nrs for s in stored.results if s.local_date == yesterday] == [5]

    # 7. The morning check-in, asked from the API's own questions; a yes to a red flag.
    asked = phone.ok("patient.check_in_questions_retrieve", 200, "CheckInQuestionsOutput")
    flag_question = asked.questions[0]
    assert all((flag_question.heading, flag_question.advice, asked.answered_yes))
    morning = M("CheckInInputRequest")(
        client_uuid=uuid.uuid4(), local_date=today.local_date, morning_pain_nrs=3,
        stiffness_minutes=10, red_flags=[M("RedFlagsEnum")(flag_question.slug)],
        swelling=False, logged_at=logged_at,
    )  # fmt: skip
    reported = phone.ok("patient.check_ins_create", 201, "CheckInOutput", body=morning)
    assert reported.red_flags == [flag_question.slug]
    paused = phone.ok("patient.today_retrieve", 200, "TodayOutput").paused
    assert (paused.urgency, paused.advice) == (flag_question.urgency, [flag_question.advice])

    # 8. My data: the JSON export, typed, and the CSV zip, a file.
    export = phone.ok("patient.me_export_retrieve", 200, "ExportOutput")
    assert (len(export.session_logs), len(export.check_ins)) == (3, 2)
    assert f"red_flag:{flag_question.slug}" in {f.rule for f in export.flags}
    zipped = phone.call("patient.me_export_csv_retrieve", 200)
    assert isinstance(zipped.parsed, package.types.File)
    assert zipped.headers["Content-Type"] == "application/zip"
    assert set(zipfile.ZipFile(zipped.parsed.payload).namelist()) >= CSV_FILES

    # 9. The therapist: the caseload shows the open flag; resolve it (replayed by its key).
    desk = Phone(package, live_server.url)
    desk.log_in(therapist.user.username, app=give_authenticator(therapist.user))
    caseload = desk.ok("therapist.caseload_list", 200, "PaginatedCaseloadRowOutputList")
    (row,) = caseload.results
    assert row.patient.id == patient.pk
    assert row.latest_pain_nrs == 3
    record = desk.call("therapist.patients_export_csv_retrieve", 200, patient.pk)
    assert set(zipfile.ZipFile(record.parsed.payload).namelist()) >= CSV_FILES
    open_red_flags = {
        "status": [M("FlagsListStatusItem").OPEN], "kind": [M("FlagsListKindItem").RED_FLAG]
    }  # fmt: skip
    flags = desk.ok("therapist.flags_list", 200, "PaginatedFlagOutputList", **open_red_flags)
    (flag,) = flags.results
    assert (flag.patient.id, flag.rule) == (patient.pk, f"red_flag:{flag_question.slug}")
    assert flag.id in {summary.id for summary in row.open_flags}
    resolve = M("ResolveFlagInputRequest")(note="Phoned: seen in clinic, cleared to go on.")
    key = str(uuid.uuid4())
    resolved = desk.call("therapist.flags_resolve_create", 200, flag.id, body=resolve,
                         idempotency_key=key)  # fmt: skip
    assert resolved.parsed.status == M("FlagStatusEnum").RESOLVED
    again_resolved = desk.call(
        "therapist.flags_resolve_create", 200, flag.id, body=resolve, idempotency_key=key
    )
    assert again_resolved.headers["Idempotent-Replayed"] == "true"
    assert again_resolved.parsed.resolved_at == resolved.parsed.resolved_at
    assert not desk.ok("therapist.flags_list", 200, "PaginatedFlagOutputList",
                       **open_red_flags).results  # fmt: skip

    # The flag resolved, the phone's programme goes on.
    assert phone.ok("patient.today_retrieve", 200, "TodayOutput").paused is None

    # 10. The therapist corrects the phone number, then applies a worsening's suggestion: one
    #     card of three findings, applied with the reason the web offers.
    contact = M("PatchedPatientContactInputRequest")(phone=" +44 7700 900123 ")
    record = desk.ok("therapist.patients_partial_update", 200, "PatientDetailOutput", patient.pk,
                     body=contact)  # fmt: skip
    assert record.phone == "+44 7700 900123"
    worsening = make_worsening(programme)
    card = desk.ok("therapist.flags_retrieve", 200, "FlagOutput", worsening[0].pk).group
    assert len(card.findings) == 3
    assert card.can_apply_suggestion
    reason = M("ApplySuggestionInputRequest")(reason=card.suggested_reason)
    applied = desk.ok("therapist.flags_apply_suggestion_create", 201, "ApplySuggestionOutput",
                      card.lead, body=reason)  # fmt: skip
    assert applied.revisions
    assert applied.revisions[-1].reason == card.suggested_reason
    assert applied.flag.group.status == M("FlagStatusEnum").RESOLVED

    # 11. Log out of the phone, and stop its pushes in the same call.
    bye = M("LogoutInputRequest")(device_id=device.id)
    phone.call("auth.auth_logout_create", 204, body=bye)
    assert not Device.objects.filter(pk=device.id).exists()
    phone.call("patient.today_retrieve", 401)
