"""The mobile apps' devices (issue 16, requirement 3): register (idempotent on the token),
list, remove; logging out removes this device too; patients only, another's device a 404."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from patients.models import Device
from tests.factories import api_client_for

pytestmark = pytest.mark.django_db

DEVICES = "/api/v1/devices/"
ANDROID = {"platform": "fcm", "token": "dQw4w9WgXcQ:APA91bH" + "x" * 140, "app_version": "2.3.1"}
IPHONE = {"platform": "apns", "token": "AB" * 32, "name": "Pat's iPhone"}


def test_a_patient_registers_lists_and_removes_their_devices(as_patient: APIClient) -> None:
    created = as_patient.post(DEVICES, ANDROID)
    assert created.status_code == 201
    body = created.json()
    assert body["platform"] == "fcm"
    assert body["app_version"] == "2.3.1"
    assert "token" not in body  # a credential of the app's: never sent back
    assert as_patient.post(DEVICES, IPHONE).status_code == 201
    assert Device.objects.get(platform="apns").token == "ab" * 32  # hex, lower case

    listed = as_patient.get(DEVICES).json()["results"]
    assert [d["name"] for d in listed] == ["", "Pat's iPhone"]

    assert as_patient.delete(f"{DEVICES}{body['id']}/").status_code == 204
    assert as_patient.delete(f"{DEVICES}{body['id']}/").status_code == 404
    assert list(Device.objects.values_list("platform", flat=True)) == ["apns"]


def test_registering_the_same_token_again_updates_it_and_gives_it_to_whoever_signs_in(
    as_patient: APIClient, patient: Any, stranger: Any
) -> None:
    first = as_patient.post(DEVICES, ANDROID).json()
    again = as_patient.post(DEVICES, {**ANDROID, "app_version": "2.4.0"})
    assert again.status_code == 200
    assert again.json()["id"] == first["id"]
    assert again.json()["app_version"] == "2.4.0"
    assert Device.objects.count() == 1

    # The phone changes hands: the same app install, another patient signed in. It becomes
    # a new device of theirs: nothing of the first patient's (id, name) reaches them.
    as_patient.post(DEVICES, {**ANDROID, "name": "Pat's phone"})
    moved = api_client_for(stranger.user).post(DEVICES, ANDROID)
    assert moved.status_code == 201
    assert moved.json()["id"] != first["id"]
    assert moved.json()["name"] == ""
    assert Device.objects.get().patient == stranger
    assert as_patient.get(DEVICES).json()["results"] == []


def test_another_patients_device_is_a_404_and_stays(
    as_patient: APIClient, as_stranger: APIClient
) -> None:
    device = as_patient.post(DEVICES, ANDROID).json()
    assert as_stranger.delete(f"{DEVICES}{device['id']}/").status_code == 404
    assert as_stranger.get(DEVICES).json()["results"] == []
    assert Device.objects.count() == 1


def test_devices_are_for_patients(as_therapist: APIClient, as_patient: APIClient) -> None:
    device = as_patient.post(DEVICES, ANDROID).json()
    assert as_therapist.get(DEVICES).status_code == 403
    assert as_therapist.post(DEVICES, IPHONE).status_code == 403
    assert as_therapist.delete(f"{DEVICES}{device['id']}/").status_code == 404
    assert APIClient().get(DEVICES).status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**ANDROID, "platform": "gcm"}, "platform"),
        ({**ANDROID, "token": "short"}, "token"),
        ({**ANDROID, "token": "x" * 513}, "token"),
        ({**ANDROID, "token": "has spaces and / slashes " * 2}, "token"),
        ({**ANDROID, "token": 12345678901234567890}, "token"),
        ({**IPHONE, "token": "zz" * 32}, "token"),  # APNs tokens are hex
        ({**IPHONE, "token": "ab" * 20}, "token"),  # and at least 32 bytes
        ({**ANDROID, "app_version": "2.3\tbeta"}, "app_version"),
        ({**ANDROID, "name": "x" * 101}, "name"),
        ({"platform": "fcm"}, "token"),
    ],
)
def test_a_device_we_cannot_push_to_is_refused_by_field(
    as_patient: APIClient, body: dict[str, Any], field: str
) -> None:
    response = as_patient.post(DEVICES, body, format="json")
    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert not Device.objects.exists()


def test_a_patient_keeps_at_most_ten_devices_the_least_recently_seen_going(
    as_patient: APIClient, frozen_clock: Any
) -> None:
    for n in range(11):
        as_patient.post(DEVICES, {"platform": "fcm", "token": f"token-{n:02d}-" + "x" * 30})
        frozen_clock.shift(60)
    tokens = set(Device.objects.values_list("token", flat=True))
    assert len(tokens) == 10
    assert "token-00-" + "x" * 30 not in tokens
    assert "token-10-" + "x" * 30 in tokens


def test_logging_out_with_the_device_removes_it_and_revokes_the_token(
    patient: Any, programme: Any, stranger: Any
) -> None:
    phone, tablet = api_client_for(patient.user), api_client_for(patient.user)
    mine = phone.post(DEVICES, ANDROID).json()
    tablet.post(DEVICES, IPHONE)
    theirs = api_client_for(stranger.user).post(DEVICES, {**ANDROID, "token": "t" * 40}).json()

    # Someone else's device is not touched by naming it.
    other = api_client_for(patient.user)
    assert other.post("/api/v1/auth/logout/", {"device_id": theirs["id"]}).status_code == 204
    assert Device.objects.filter(pk=theirs["id"]).exists()

    response = phone.post("/api/v1/auth/logout/", {"device_id": mine["id"]}, format="json")
    assert response.status_code == 204
    assert phone.get("/api/v1/today/").status_code == 401
    assert not Device.objects.filter(pk=mine["id"]).exists()
    assert tablet.get(DEVICES).status_code == 200  # the tablet stays logged in, and pushed to

    assert tablet.post("/api/v1/auth/logout/", {"device_token": "ab" * 32}).status_code == 204
    assert [str(pk) for pk in Device.objects.values_list("pk", flat=True)] == [theirs["id"]]


def test_logging_out_with_a_malformed_device_id_is_a_400_that_keeps_the_session(
    as_patient: APIClient,
) -> None:
    response = as_patient.post("/api/v1/auth/logout/", {"device_id": "nope"}, format="json")
    assert response.status_code == 400
    assert "device_id" in response.json()["fields"]
    assert as_patient.get(DEVICES).status_code == 200


def test_a_patient_chooses_the_channels_through_me(as_patient: APIClient, patient: Any) -> None:
    me = as_patient.get("/api/v1/me/").json()["patient"]
    assert (me["email_reminders"], me["push_reminders"], me["mobile_reminders"]) == (
        True,
        True,
        True,
    )
    response = as_patient.patch(
        "/api/v1/me/", {"push_reminders": False, "mobile_reminders": False}, format="json"
    )
    assert response.status_code == 200
    me = response.json()["patient"]
    assert (me["email_reminders"], me["push_reminders"], me["mobile_reminders"]) == (
        True,
        False,
        False,
    )
    patient.refresh_from_db()
    assert patient.mobile_reminders is False
    bad = as_patient.patch("/api/v1/me/", {"mobile_reminders": "no"}, format="json")
    assert bad.status_code == 400
    assert "mobile_reminders" in bad.json()["fields"]
