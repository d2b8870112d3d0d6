"""The two hot reads beside their SQL floors, in-process: a patient's "today" and a
therapist's caseload (100 patients, and one page of a caseload of 1,000).

    python -m bench.reads --database postgres://…/bench [--patients 200] [--repeat 5]

For each read, three figures over the same people, each repeated and reported as median and
p95 in milliseconds with the queries it issued:

- `app`: the selector and the output serializer (`today_for` + `TodayOutput`; the caseload's
  first page of 100 as the API's paginator reads it (`caseload_pages`) + `caseload` +
  `CaseloadRowOutput`): the server's own work, no HTTP;
- `api`: `GET /api/v1/today/` or `/api/v1/caseload/?page_size=100` through Django's test
  client in this process (authentication, permissions, rendering included);
- `floor`: ONE SQL statement (PostgreSQL) returning the same facts as rows and JSON
  (`TODAY_SQL`, `CASELOAD_SQL` below), the simplest SQL that could answer the read.

`same_facts` checks, for every person measured, that the floor and the app agree: for today
the programme, phase, each logged slot and its exercise entries, the latest check-in, the
questionnaire due date and the pause; the items and ice/heat slots the app offers are among
the floor's (the app then keeps those due on the day). For the caseload, each patient in order
(most urgent first, then name), their programme, phase, latest morning pain and its date, and
their open flags in order. Ratio = app median ÷ floor median.

The caseload of 1,000 is made inside a transaction that is rolled back (ten therapists'
patients moved to one), so the data is left as generated.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable, Sequence
from datetime import date
from functools import partial
from typing import Any

from bench.common import emit, setup_django

# Today: the active programme with its revision and condition; the current phase's items
# (with their exercise); the revision's ice/heat slots; today's logs with their entries; the
# latest check-in on or before today; the last response to the condition's questionnaire; and
# whether an unresolved red flag pauses the programme. One statement.
TODAY_SQL = """
SELECT p.id, p.started_on, ph.id AS phase_id, ph.position, ph.name,
  (SELECT json_agg(json_build_object('id', i.id, 'key', i.key, 'position', i.position,
          'sets', i.sets, 'reps', i.reps, 'reps_max', i.reps_max, 'hold_s', i.hold_s,
          'times_per_day', i.times_per_day, 'days_per_week', i.days_per_week, 'load', i.load,
          'tempo', i.tempo, 'rest_s', i.rest_s, 'dose_notes', i.dose_notes,
          'override_reason', i.override_reason, 'sources', i.sources, 'slug', e.slug,
          'name', e.name, 'category', e.category, 'movement_tags', e.movement_tags,
          'instructions', e.instructions, 'cautions', e.cautions) ORDER BY i.position)
     FROM programmes_programmeitem i JOIN programmes_exercise e ON e.id = i.exercise_id
    WHERE i.phase_id = ph.id) AS items,
  (SELECT json_agg(s ORDER BY s.id) FROM programmes_iceheatslot s
    WHERE s.revision_id = r.id) AS slots,
  (SELECT json_agg(json_build_object('id', l.id, 'slot', l.slot, 'status', l.status,
          'client_uuid', l.client_uuid, 'skip_reason', l.skip_reason,
          'pain_after_nrs', l.pain_after_nrs, 'logged_at', l.logged_at,
          'created_at', l.created_at, 'updated_at', l.updated_at,
          'entries', (SELECT json_agg(json_build_object('id', x.id, 'item_key', x.item_key,
                             'exercise', xe.slug, 'target_sets', x.target_sets,
                             'target_reps', x.target_reps, 'target_hold_s', x.target_hold_s,
                             'sets_done', x.sets_done, 'reps_done', x.reps_done,
                             'hold_s_done', x.hold_s_done, 'load', x.load,
                             'pain_during_nrs', x.pain_during_nrs) ORDER BY x.id)
                        FROM patients_exerciselog x
                        JOIN programmes_exercise xe ON xe.id = x.exercise_id
                       WHERE x.session_id = l.id)) ORDER BY l.slot)
     FROM patients_sessionlog l
    WHERE l.programme_id = p.id AND l.local_date = %(today)s) AS logs,
  (SELECT row_to_json(c) FROM patients_checkin c
    WHERE c.patient_id = p.patient_id AND c.local_date <= %(today)s
    ORDER BY c.local_date DESC LIMIT 1) AS check_in,
  (SELECT max(q.local_date) FROM patients_questionnaireresponse q
    WHERE q.patient_id = p.patient_id AND q.questionnaire = cd.questionnaire) AS last_response,
  EXISTS (SELECT 1 FROM patients_flag f WHERE f.patient_id = p.patient_id
           AND f.kind = 'red_flag' AND f.status <> 'resolved') AS paused
FROM programmes_programme p
JOIN programmes_programmerevision r ON r.id = p.current_revision_id
JOIN programmes_condition cd ON cd.id = p.condition_id
LEFT JOIN programmes_programmephase ph
  ON ph.revision_id = r.id AND ph.position = r.current_phase
WHERE p.patient_id = %(patient)s AND p.status = 'active'
LIMIT 1
"""

# The caseload's first page: each patient of the therapist with their active programme,
# condition and current phase (with the phase's items' doses, for adherence), sessions done
# per day over the last 8 days, the latest morning check-in and the open flags, most urgent
# first then by name. One statement.
CASELOAD_SQL = """
SELECT pt.id, u.username, u.first_name, u.last_name, p.id AS programme, p.started_on,
       cd.name AS condition, ph.position, ph.name AS phase,
  (SELECT json_agg(json_build_object('times_per_day', i.times_per_day,
                                     'days_per_week', i.days_per_week))
     FROM programmes_programmeitem i WHERE i.phase_id = ph.id) AS items,
  (SELECT json_object_agg(d.local_date, d.n) FROM (
      SELECT l.local_date, count(*) AS n FROM patients_sessionlog l
       WHERE l.programme_id = p.id AND l.status = 'done' AND l.local_date >= %(since)s
       GROUP BY l.local_date) d) AS done,
  c.morning_pain_nrs, c.local_date AS pain_on,
  (SELECT json_agg(json_build_object('id', f.id, 'kind', f.kind, 'severity', f.severity,
          'status', f.status, 'message', f.message, 'created_at', f.created_at)
          ORDER BY f.severity DESC, f.created_at DESC)
     FROM patients_flag f WHERE f.patient_id = pt.id AND f.status <> 'resolved') AS flags
FROM patients_patient pt
JOIN auth_user u ON u.id = pt.user_id
LEFT JOIN programmes_programme p ON p.patient_id = pt.id AND p.status = 'active'
LEFT JOIN programmes_condition cd ON cd.id = p.condition_id
LEFT JOIN programmes_programmerevision r ON r.id = p.current_revision_id
LEFT JOIN programmes_programmephase ph
  ON ph.revision_id = r.id AND ph.position = r.current_phase
LEFT JOIN LATERAL (SELECT c.morning_pain_nrs, c.local_date FROM patients_checkin c
                    WHERE c.patient_id = pt.id ORDER BY c.local_date DESC LIMIT 1) c ON true
WHERE pt.therapist_id = %(therapist)s
ORDER BY COALESCE((SELECT max(f.severity) FROM patients_flag f
                    WHERE f.patient_id = pt.id AND f.status <> 'resolved'), 0) DESC,
         u.last_name, u.first_name, u.username
LIMIT %(limit)s
"""


def timed(fn: Callable[[], Any], repeat: int) -> tuple[list[float], int, Any]:
    """Milliseconds of each of `repeat` calls, the queries of the last call, its result."""
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    times = []
    result = None
    queries = 0
    for _ in range(repeat):
        reset_queries()  # the log is capped (9,000): once full it would count nothing
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            result = fn()
            times.append((time.perf_counter() - start) * 1000)
        queries = len(captured.captured_queries)
    return times, queries, result


def summary(samples: list[float], queries: list[int]) -> dict[str, Any]:
    ordered = sorted(samples)
    return {
        "median_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 2),
        "samples": len(ordered),
        "queries": sorted(set(queries)),
    }


def floor_rows(sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def today_facts_agree(day: Any, row: tuple[Any, ...] | None) -> bool:
    from patients.schedule import questionnaire_due_on

    if row is None:
        return day.programme is None
    programme, started_on, _phase_id, position, _, items, slots, logs, check_in, last, paused = row
    offered = {str(i.pk) for s in day.sessions for i in s.items}
    logged = {
        s.slot: (str(s.log.pk), [str(e.pk) for e in s.log.exercises.all()])
        for s in day.sessions
        if s.log is not None
    }
    floor_logs = {
        log["slot"]: (str(log["id"]), [str(e["id"]) for e in log["entries"] or []])
        for log in logs or []
    }
    if not paused:  # paused: the app offers no sessions, so no logs to compare
        # The floor's logs of slots the app still offers (a slot above today's count is not
        # shown), which must be the app's.
        floor_logs = {k: v for k, v in floor_logs.items() if k <= len(day.sessions)}
        if logged != floor_logs:
            return False
    latest = check_in or {}
    app_check_in = str(day.check_in.pk) if day.check_in else None
    floor_check_in = (
        str(latest["id"]) if latest and latest["local_date"] == day.local_date.isoformat() else None
    )
    return (
        str(day.programme.pk) == str(programme)
        and (day.phase.position if day.phase else None) == position
        and offered <= {str(i["id"]) for i in items or []}
        and {s.pk for s in day.ice_heat} <= {s["id"] for s in slots or []}
        and app_check_in == floor_check_in
        and day.questionnaire_due_on
        == max(day.local_date, questionnaire_due_on(last_on=last, started_on=started_on))
        and (day.paused is not None) == paused
    )


def caseload_facts_agree(rows: list[Any], floor: list[tuple[Any, ...]]) -> bool:
    app = [
        (
            str(r.patient.pk),
            str(r.programme.pk) if r.programme else None,
            r.phase.position if r.phase else None,
            r.latest_pain_nrs,
            r.latest_pain_on,
            [str(f.pk) for f in r.open_flags],
        )
        for r in rows
    ]
    sql = [
        (
            str(f[0]),
            str(f[4]) if f[4] else None,
            f[7],
            f[11],
            f[12],
            [str(x["id"]) for x in f[13] or []],
        )
        for f in floor
    ]
    return app == sql


def caseload_page(therapist: Any, now: Any, size: int) -> list[Any]:
    """The caseload's first page of `size` as the API builds it (before issue 14: the whole
    caseload, then its first `size` rows)."""
    from patients.people import selectors

    # The code of an earlier commit (a "before" run) may have older signatures: call through Any.
    people: Any = selectors
    if hasattr(people, "caseload_pages"):  # the API's paginator reads this one
        try:
            pages = people.caseload_pages(therapist, now)
        except TypeError:  # before the page read the week's sessions too: no `now`
            pages = people.caseload_pages(therapist)
        page = pages[:size]
        return people.caseload(therapist, now, patients=page)
    if hasattr(people, "caseload_patients"):
        page = list(people.caseload_patients(therapist)[:size])
        return people.caseload(therapist, now, patients=page)
    return people.caseload(therapist, now)[:size]


def measure(patients: int, repeat: int) -> dict[str, Any]:
    from django.apps import apps
    from django.db import transaction
    from django.test import Client
    from django.utils import timezone

    from patients.activity.selectors import today_for
    from patients.activity.serializers import TodayOutput
    from patients.models import Patient, Therapist
    from patients.people.serializers import CaseloadRowOutput

    AuthToken = apps.get_model("knox", "AuthToken")
    now = timezone.now()
    people = list(
        Patient.objects.filter(user__username__startswith="bench-p", programmes__status="active")
        .select_related("user")
        .order_by("user__username")[:patients]
    )
    therapists = [
        t
        for t in Therapist.objects.filter(user__username__startswith="bench-t")
        .select_related("user")
        .order_by("user__username")[:20]
        if t.patients.count() == 100
    ][:10]

    # Warm the process: the catalogue, the database's JSON probe, the first connection.
    today_for(people[0], now)
    client = Client()

    result: dict[str, Any] = {"patients": len(people), "therapists": len(therapists)}
    runs: dict[str, tuple[list[float], list[int]]] = {k: ([], []) for k in ("app", "api", "floor")}
    agree = 0
    for patient in people:

        def app(patient: Any = patient) -> Any:
            day = today_for(patient, now)
            TodayOutput(day, context={"for_patient": True}).data  # noqa: B018
            return day

        times, queries, day = timed(app, repeat)
        runs["app"][0].extend(times)
        runs["app"][1].append(queries)
        params = {"patient": patient.pk, "today": day.local_date}
        times, queries, rows = timed(partial(floor_rows, TODAY_SQL, params), repeat)
        runs["floor"][0].extend(times)
        runs["floor"][1].append(queries)
        agree += today_facts_agree(day, rows[0] if rows else None)
    token = AuthToken.objects.create(people[0].user)[1]
    headers = {"Authorization": f"Token {token}"}
    client.get("/api/v1/today/", headers=headers)
    for _ in range(max(20, len(people) // 5)):
        times, queries, response = timed(lambda: client.get("/api/v1/today/", headers=headers), 1)
        assert response.status_code == 200, response.content
        runs["api"][0].extend(times)
        runs["api"][1].append(queries)
    result["today"] = {k: summary(*v) for k, v in runs.items()}
    result["today"]["ratio_app_to_floor"] = round(
        result["today"]["app"]["median_ms"] / result["today"]["floor"]["median_ms"], 2
    )
    result["today"]["same_facts"] = f"{agree}/{len(people)}"

    def caseload_runs(people_of: list[Any], label: str) -> dict[str, Any]:
        runs: dict[str, tuple[list[float], list[int]]] = {
            k: ([], []) for k in ("app", "api", "floor")
        }
        agree = 0
        for therapist in people_of:
            since = now.date().toordinal() - 8

            def app(therapist: Any = therapist) -> Any:
                rows = caseload_page(therapist, now, 100)
                CaseloadRowOutput(rows, many=True).data  # noqa: B018
                return rows

            times, queries, rows = timed(app, repeat)
            runs["app"][0].extend(times)
            runs["app"][1].append(queries)
            params = {"therapist": therapist.pk, "since": date.fromordinal(since), "limit": 100}
            times, queries, floor = timed(partial(floor_rows, CASELOAD_SQL, params), repeat)
            runs["floor"][0].extend(times)
            runs["floor"][1].append(queries)
            agree += caseload_facts_agree(rows, floor)
            token = AuthToken.objects.create(therapist.user)[1]
            headers = {"Authorization": f"Token {token}"}
            client.get("/api/v1/caseload/?page_size=100", headers=headers)
            times, queries, response = timed(
                partial(client.get, "/api/v1/caseload/?page_size=100", headers=headers), repeat
            )
            assert response.status_code == 200, response.content
            assert len(response.json()["results"]) == 100
            runs["api"][0].extend(times)
            runs["api"][1].append(queries)
        out: dict[str, Any] = {k: summary(*v) for k, v in runs.items()}
        out["ratio_app_to_floor"] = round(out["app"]["median_ms"] / out["floor"]["median_ms"], 2)
        out["same_facts"] = f"{agree}/{len(people_of)}"
        out["patients_per_therapist"] = label
        return out

    result["caseload_100"] = caseload_runs(therapists, "100")
    with transaction.atomic():
        # One therapist with the patients of ten: a caseload of 1,000, rolled back after.
        one = therapists[0]
        Patient.objects.filter(therapist__in=therapists[1:10]).update(therapist=one)
        assert one.patients.count() == 1000
        result["caseload_1000_first_page"] = caseload_runs([one] * 3, "1000")
        transaction.set_rollback(True)
    return result


def vacuum_patients() -> None:
    """Clear the dead rows each run's caseload of 1,000 leaves (900 patients moved and moved
    back), as autovacuum would. Where it is off, they pile up run after run and PostgreSQL
    scales its estimates by the table's growing size: after a few dozen runs it expected 3,400
    patients a therapist instead of 100, and planned the floor's joins as scans of whole tables."""
    from django.db import connection

    from patients.models import Patient

    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {Patient._meta.db_table}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="today and caseload beside their SQL floors")
    parser.add_argument("--database", required=True)
    parser.add_argument("--patients", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", help="also write the JSON here")
    args = parser.parse_args(argv)
    setup_django(args.database)
    from django.db import connection

    if connection.vendor != "postgresql":
        raise SystemExit("the floors are PostgreSQL SQL: pass a postgres:// database")
    vacuum_patients()
    result = {"database": "postgresql", **measure(args.patients, args.repeat)}
    if args.out:
        with open(args.out, "w") as f:
            json.dump(result, f, indent=2, default=str)
    emit(result)


if __name__ == "__main__":
    main()
