"""The demo clinic `make run` starts with: a therapist and a caseload of five patients, each
with weeks of history that tells one story (improving, stalling, not adhering, a red flag,
ready to progress), so every page, chart and flag has something to show on first sign-in.

Everything goes through the services the app itself uses (start_programme, record_check_in,
record_session, record_questionnaire, evaluate_patient, accept_progression, resolve_flag),
each day's at that day's time (`now=` in the past), as the patients and the hourly
monitoring would have written it. Idempotent: a patient who already has a programme is left
as they are, so a second run changes nothing. The day-to-day numbers are fixed (a seeded
pseudo-random sequence per patient), so every fresh database gets the same demo."""

from __future__ import annotations

import hashlib
import os
import random
import time as clock
import uuid
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from time import monotonic, sleep
from typing import Any
from urllib.error import HTTPError
from urllib.request import urlopen

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from patients.activity.selectors import today_for
from patients.activity.services import ExerciseDone, record_check_in, record_session
from patients.models import Flag, Patient, Therapist
from patients.monitoring.services import (
    accept_progression,
    evaluate_patient,
    notify_flag,
    resolve_flag,
)
from patients.people.services import create_patient, create_therapist
from patients.prescribing.services import start_programme
from patients.questionnaires.services import record_questionnaire
from patients.reminders.services import replan_reminders, update_reminder_preferences
from patients.schedule import local_today
from programmes.planner import Intake
from programmes.vocab import Category
from rehab.two_factor import APP_DEVICE_NAME, secret_text

DEMO_PASSWORD = "rehab-demo-2026"
THERAPIST = "demo.therapist"
# Therapists sign in in two steps (rehab/two_factor.py). The demo therapist's authenticator
# app has this secret, public like the password, the same in every demo database: add it to
# an app once (the banner prints it), or ask `seed_demo --code` (DEBUG only) for the code.
DEMO_APP_KEY = hashlib.sha1(b"rehab-demo-2026 two-step sign-in").hexdigest()
# Demo identifiers only: numbers from the UK's and the US's ranges reserved for drama
# (Ofcom 07700 900xxx, NANP 555-01xx); e-mail at example.com (RFC 2606).
NAMESPACE = uuid.UUID("6f1d2f0e-6a8c-4d0b-9a57-0d3c5f7e9b11")

Curve = Callable[[int], float]  # day of the programme (0 = first day) → a value


@dataclass(frozen=True)
class Story:
    """One demo patient and how their programme has gone, day by day since it started."""

    username: str
    first_name: str
    last_name: str
    time_zone: str
    phone: str
    intake: Intake
    notes: str
    days: int  # how many days ago the programme started
    story: str  # what the therapist should find (printed with the accounts)
    morning_pain: Curve  # 0-10 at the morning check-in
    stiffness: Curve  # minutes
    session_pain: Curve  # 0-10 during (loading work) and after a session
    adherence: Curve  # the share of each day's sessions done (0-1)
    visa_a: dict[int, int] = field(default_factory=dict)  # day → VISA-A pain/function level
    red_flag: tuple[int, str] | None = None  # (day, slug) a red flag is reported
    skip_reason: str = "Busy at work"
    progress_every_days: int = 0  # accept "ready to progress" at most this often (0: never)


def _line(start: float, end: float, over: int) -> Curve:
    return lambda day: start + (end - start) * min(day, over) / over


STORIES = (
    Story(
        username="pat.achilles",
        first_name="Alex",
        last_name="Morgan",
        time_zone="Europe/London",
        phone="+44 7700 900123",
        intake=Intake(
            condition="achilles_midportion",
            side="right",
            onset="chronic",
            irritability="moderate",
            activity="runner",
            swelling="no",
            recent_injury="no",
            age=44,
        ),
        notes="Club runner, 4 months of morning stiffness. Keen to return to parkrun.",
        days=42,
        story="improving: pain 6 → 2, moved on twice",
        morning_pain=_line(6, 1.5, 38),
        stiffness=_line(35, 5, 38),
        session_pain=_line(5, 2, 38),
        # Most sessions; fewer in the last week (a holiday), so no new "ready" flag is due.
        adherence=lambda day: 0.86 if day < 35 else 0.7,
        visa_a={2: 5, 16: 6, 30: 7, 41: 8},
        progress_every_days=14,
    ),
    Story(
        username="pat.insertional",
        first_name="Sam",
        last_name="Rivera",
        time_zone="America/New_York",
        phone="+1 202 555 0143",
        intake=Intake(
            condition="achilles_insertional",
            side="left",
            onset="chronic",
            irritability="moderate",
            activity="general",
            swelling="yes",
            recent_injury="no",
            age=52,
        ),
        notes="Pain at the heel bone for a year; stands all day at work. Tried heel lifts.",
        days=88,
        story="stalling: doing it, VISA-A barely changed at the 12-week review",
        morning_pain=lambda day: 4,
        stiffness=lambda day: 20,
        session_pain=lambda day: 4,
        adherence=lambda day: 0.65,
        visa_a={3: 4, 30: 4, 58: 4, 85: 5},
    ),
    Story(
        username="pat.busy",
        first_name="Jordan",
        last_name="Baker",
        time_zone="Europe/London",
        phone="07700 900456",
        intake=Intake(
            condition="achilles_midportion",
            side="left",
            onset="chronic",
            irritability="low",
            activity="general",
            swelling="no",
            recent_injury="no",
            age=38,
        ),
        notes="Shift worker; finds evening sessions hard. Discussed fitting them in at lunch.",
        days=24,
        story="not adhering: a good first week, then almost nothing",
        morning_pain=lambda day: 4 if day < 8 else 5,
        stiffness=lambda day: 15,
        session_pain=lambda day: 3,
        adherence=lambda day: 0.9 if day < 8 else 0.15,
        visa_a={1: 5},
        skip_reason="No time after my shift",
    ),
    Story(
        username="pat.redflag",
        first_name="Dana",
        last_name="Okafor",
        time_zone="Europe/London",
        phone="+44 7700 900789",
        intake=Intake(
            condition="achilles_midportion",
            side="left",
            onset="chronic",
            irritability="moderate",
            activity="jumping_sport",
            swelling="no",
            recent_injury="no",
            age=47,
        ),
        notes="Plays badminton twice a week. Father had an Achilles rupture at 50.",
        days=18,
        story="red flag: reported a sudden pop 2 days ago, programme paused",
        morning_pain=_line(5, 4, 14),
        stiffness=lambda day: 20,
        session_pain=lambda day: 4,
        adherence=lambda day: 0.7,
        visa_a={1: 5},
        red_flag=(16, "sudden_pop"),
    ),
    Story(
        username="pat.ready",
        first_name="Priya",
        last_name="Shah",
        time_zone="Europe/London",
        phone="+44 7700 900321",
        intake=Intake(
            condition="achilles_midportion",
            side="right",
            onset="chronic",
            irritability="low",
            activity="runner",
            swelling="no",
            recent_injury="no",
            age=36,
        ),
        notes="Marathon training block stopped in October. Wants to run again by spring.",
        days=13,
        story="ready to progress: a week of every session with pain ≤ 3/10",
        morning_pain=_line(4, 2, 7),
        stiffness=_line(15, 5, 7),
        session_pain=_line(3, 2, 7),
        adherence=lambda day: 0.7 if day < 7 else 1.0,
        visa_a={1: 6, 12: 7},
    ),
)


class Command(BaseCommand):
    help = (
        "Create the demo therapist and a caseload of five patients with weeks of history "
        "(idempotent); --banner prints only the accounts and the URL."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--banner", action="store_true", help="Print the accounts and the URL only."
        )
        parser.add_argument(
            "--wait",
            type=int,
            default=0,
            metavar="SECONDS",
            help="With --banner: first wait (up to SECONDS) until the web server answers, "
            "then a few seconds more for the workers' banners (the Procfile's last word).",
        )
        parser.add_argument(
            "--code",
            action="store_true",
            help="Print the code the demo therapist's authenticator app would show now "
            "(a development machine only: DEBUG on).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["code"]:
            self.stdout.write(_demo_code())
            return
        if options["banner"] and options["wait"]:
            _wait_for_web(_url(), seconds=options["wait"])
        if not options["banner"]:
            now = timezone.now()
            therapist = _therapist()
            for story in STORIES:
                if not Patient.objects.filter(
                    user__username=story.username, programmes__isnull=False
                ).exists():
                    _tell(story, therapist=therapist, now=now)
        self._banner()

    def _banner(self) -> None:
        url = _url()
        out = self.stdout.write
        out("")
        out("  " + "=" * 70)
        out(f"  Rehab planner is running: {url}")
        out(f"  Demo accounts (password for all: {DEMO_PASSWORD}):")
        caseload = f"caseload of {len(STORIES)} patients; signs in with a code too:"
        out(f"    therapist  {THERAPIST:<16} {caseload}")
        out(f"               add the key {secret_text(_demo_app())} to an")
        out("               authenticator app (time-based), or run `make demo-code` for the code")
        for story in STORIES:
            out(f"    patient    {story.username:<16} {story.story}")
        out(f"  Clinic admin: {url}admin/ (createsuperuser first)")
        out("  " + "=" * 70)
        out("")


def _url() -> str:
    return f"http://127.0.0.1:{os.environ.get('REHAB_PORT') or '8000'}/"


# After the web server answers, the Celery worker and beat print their banners and beat's
# first round of tasks (measured: within about 8 s of the web server on a busy laptop).
BANNER_SETTLE_SECONDS = 8


def _wait_for_web(url: str, *, seconds: int) -> None:
    """Poll `url` until it answers (any HTTP status) or `seconds` pass, then settle."""
    deadline = monotonic() + seconds
    while monotonic() < deadline:
        try:
            with urlopen(url + "accounts/login/", timeout=2):
                break
        except HTTPError:
            break  # it answered
        except OSError:
            sleep(0.5)
    sleep(BANNER_SETTLE_SECONDS)


def _therapist() -> Therapist:
    therapist = Therapist.objects.filter(user__username=THERAPIST).first()
    if therapist is None:
        therapist = create_therapist(
            username=THERAPIST,
            password=DEMO_PASSWORD,
            first_name="Jo",
            last_name="Demo",
            email="jo.demo@example.com",
        )
    if not TOTPDevice.objects.filter(user=therapist.user).exists():
        TOTPDevice.objects.create(
            user=therapist.user, name=APP_DEVICE_NAME, key=DEMO_APP_KEY, confirmed=True
        )
    return therapist


def _demo_app() -> TOTPDevice:
    """The demo therapist's app as the banner shows it (unsaved before the first seed)."""
    device = TOTPDevice.objects.filter(user__username=THERAPIST, confirmed=True).first()
    return device or TOTPDevice(name=APP_DEVICE_NAME, key=DEMO_APP_KEY)


def _demo_code() -> str:
    """The demo app's code now, or the next one when this one was used (a code works once).
    Only with DEBUG on: on a real server, nobody's code is printed."""
    if not settings.DEBUG:
        raise CommandError("--code is for a development machine (DEBUG on) only.")
    device = _demo_app()
    now_t = (int(clock.time()) - device.t0) // device.step + device.drift
    ahead = max(0, device.last_t + 1 - now_t)
    return str(totp(device.bin_key, drift=device.drift + ahead)).zfill(device.digits)


def _clock(at: datetime) -> AbstractContextManager[Any]:
    """The wall clock stopped at `at` while the services run, so the rows' own timestamps
    (when a flag was raised, a revision made, an audit entry written) read as that day too,
    not as the moment the demo was loaded. time-machine is a development requirement: where
    it is missing (a production install), the history keeps today's timestamps."""
    try:
        import time_machine
    except ImportError:  # pragma: no cover - dev requirements are installed by `make run`
        return nullcontext()
    return time_machine.travel(at, tick=False)


def _at(patient: Patient, day: date, hour: int, minute: int = 0) -> datetime:
    """The patient's own wall-clock time on `day`, as an aware datetime."""
    return datetime.combine(day, time(hour, minute), tzinfo=patient.zone)


def _level(value: float, rng: random.Random, spread: int = 1) -> int:
    """A 0-10 value around `value`, a step up or down now and then (real logs wobble)."""
    return max(0, min(10, round(value) + rng.choice([0, 0, 0, -spread, spread])))


@transaction.atomic
def _tell(story: Story, *, therapist: Therapist, now: datetime) -> None:
    """Create the patient (if needed) and replay their programme from its first day to
    yesterday, then let the monitoring look at today as the hourly sweep would."""
    rng = random.Random(story.username)
    patient = Patient.objects.filter(user__username=story.username).first()
    if patient is None:
        patient = create_patient(
            therapist=therapist,
            username=story.username,
            password=DEMO_PASSWORD,
            first_name=story.first_name,
            last_name=story.last_name,
            email=f"{story.username.replace('pat.', '')}@example.com",
            time_zone=story.time_zone,
            date_of_birth=date(now.year - (story.intake.age or 40), 5, 17),
            phone=story.phone,
            now=now,
        )
        # The demo e-mails nobody: reminders stay in the app (the bell and Today).
        update_reminder_preferences(patient=patient, email_reminders=False, now=now)
    today = local_today(patient, now)
    first = today - timedelta(days=story.days)
    start = _at(patient, first, 9)
    with _clock(start):
        start_programme(
            patient=patient,
            therapist=therapist,
            intake=story.intake,
            made_on=first,
            started_on=first,
            notes=story.notes,
            now=start,
        )
    done: Counter[str] = Counter()
    last_progress = first
    for offset in range(story.days):
        day = first + timedelta(days=offset)
        _day(story, patient, offset, day, rng, done)
        evening = _at(patient, day, 21)
        with _clock(evening):  # the monitoring sweep that evening, and the therapist's round
            flags = evaluate_patient(patient=patient, now=evening)
            for flag in flags:
                if flag.kind == Flag.Kind.READY_TO_PROGRESS and flag.status == Flag.Status.OPEN:
                    last_progress = _triage_ready(story, flag, therapist, day, last_progress)
            _review_old_flags(patient, therapist, evening)
    # The hourly sweep at the real time, and reminders planned from now on.
    for flag in evaluate_patient(patient=patient, now=now):
        if flag.severity == Flag.Severity.URGENT:
            notify_flag(flag=flag, now=now)
    replan_reminders(patient_ids=[patient.pk], now=now)


# What the demo therapist wrote when they dealt with a flag at their weekly review.
REVIEW_NOTES: dict[str, str] = {
    Flag.Kind.STEP_BACK: "Reviewed by phone: a flare after a long day on the feet; same dose.",
    Flag.Kind.NOT_ADHERING: "Called: agreed to fit the sessions in at lunchtime.",
    Flag.Kind.READY_TO_PROGRESS: "Reviewed with the patient: one more week at this phase first.",
}
REVIEW_AFTER = timedelta(days=7)


def _review_old_flags(patient: Patient, therapist: Therapist, now: datetime) -> None:
    """The therapist deals with a routine flag within a week of it being raised (a red flag
    is the clinic's same-day business, and the demo leaves it open)."""
    stale = Flag.objects.filter(
        patient=patient, created_at__lte=now - REVIEW_AFTER, status=Flag.Status.OPEN
    ).exclude(kind=Flag.Kind.RED_FLAG)
    for flag in stale:
        note = REVIEW_NOTES.get(flag.kind, "Reviewed at the weekly check.")
        resolve_flag(flag=flag, by=therapist.user, note=note, now=now)


def _triage_ready(story: Story, flag: Flag, therapist: Therapist, day: date, last: date) -> date:
    """What the demo therapist did with a 'ready to progress' flag: moved on when the last
    move was long enough ago (and a phase is left), else kept the phase a little longer."""
    programme = flag.patient.programmes.get(status="active")
    phases = programme.current_revision.phases.count()  # type: ignore[union-attr]
    current = programme.current_revision.current_phase  # type: ignore[union-attr]
    due = story.progress_every_days and (day - last).days >= story.progress_every_days
    if due and current < phases:
        accept_progression(flag=flag, by=therapist.user, now=timezone.now())
        return day
    if story.progress_every_days:
        note = REVIEW_NOTES[Flag.Kind.READY_TO_PROGRESS]
        resolve_flag(flag=flag, by=therapist.user, note=note, now=timezone.now())
    return last


def _day(
    story: Story, patient: Patient, offset: int, day: date, rng: random.Random, done: Counter[str]
) -> None:
    """One day of the patient's life with the programme: the morning check-in (most days),
    the sessions due, and a VISA-A on the story's days. Sessions are done at the story's
    rate exactly (every n-th missed), so a week's adherence is what the story says."""
    key = f"{story.username}:{day.isoformat()}"
    morning = _at(patient, day, 7, 30)
    red = story.red_flag is not None and story.red_flag[0] == offset
    if red or rng.random() < max(story.adherence(offset), 0.4) + 0.05:
        with _clock(morning):
            record_check_in(
                patient=patient,
                client_uuid=uuid.uuid5(NAMESPACE, f"{key}:check-in"),
                local_date=day,
                morning_pain_nrs=_level(story.morning_pain(offset) + (2 if red else 0), rng),
                stiffness_minutes=max(0, round(story.stiffness(offset)) + rng.choice([-5, 0, 5])),
                red_flags=[story.red_flag[1]] if red and story.red_flag else [],
                logged_at=morning,
                now=morning,
            )
    if story.red_flag is not None and offset >= story.red_flag[0]:
        return  # paused: nothing more until the therapist resolves the flag
    if offset in story.visa_a:
        noon = _at(patient, day, 12)
        with _clock(noon):
            _visa_a(patient, key, day, story.visa_a[offset], noon)
    for session in today_for(patient, morning).sessions:
        logged_at = _at(patient, day, 8 if session.slot == 1 else 18, 30)
        rate = story.adherence(offset)
        done["due"] += 1
        did = int(done["due"] * rate) > int((done["due"] - 1) * rate)
        if not did and rng.random() < 0.6:
            continue  # missed, and not logged at all
        pain = _level(story.session_pain(offset), rng)
        with _clock(logged_at):
            record_session(
                patient=patient,
                client_uuid=uuid.uuid5(NAMESPACE, f"{key}:session-{session.slot}"),
                local_date=day,
                slot=session.slot,
                logged_at=logged_at,
                exercises=[_done(item, pain) for item in session.items] if did else [],
                pain_after_nrs=_level(story.session_pain(offset), rng) if did else None,
                now=logged_at,
                skipped=not did,
                skip_reason="" if did else story.skip_reason,
            )


def _done(item: Any, pain: int) -> ExerciseDone:
    """The prescribed dose, done; pain noted for the loading work the pain rules read."""
    loading = item.exercise.category in {Category.ISOMETRIC, Category.ECCENTRIC, Category.STRENGTH}
    return ExerciseDone(
        item_key=item.key,
        sets_done=item.sets,
        reps_done=item.reps,
        hold_s_done=item.hold_s,
        pain_during_nrs=pain if loading else None,
    )


def _visa_a(patient: Patient, key: str, day: date, level: int, at: datetime) -> None:
    """A VISA-A with every pain and function item at `level` (0-10, 10 = no symptoms):
    6 × level + the sport items, a total out of 100."""
    answers = {f"q{n}": level for n in range(1, 7)}
    answers |= {"q7": 4 if level < 7 else 7, "q8_group": 2, "q8_minutes_band": min(4, level // 2)}
    record_questionnaire(
        patient=patient,
        client_uuid=uuid.uuid5(NAMESPACE, f"{key}:visa-a"),
        questionnaire="visa_a",
        local_date=day,
        answers=answers,
        logged_at=at,
        now=at + timedelta(minutes=1),
    )
