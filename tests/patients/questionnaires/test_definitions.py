"""Questionnaire scoring (clinical-reference.md §6), table-driven and pure; storing a
response at the end (database)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from django.utils import timezone

from patients.questionnaires.definitions import (
    QUESTIONNAIRES,
    Choice,
    Item,
    Questionnaire,
    QuestionnaireError,
    clean_answers,
    describe_change,
    describe_score,
    score,
)
from patients.questionnaires.services import record_questionnaire
from tests import factories

VISA_A_KEYS = ("q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8_group", "q8_minutes_band")
LEFS_KEYS = tuple(f"a{n}" for n in range(1, 21))
ADL_KEYS = tuple(f"adl{n}" for n in range(1, 22))
SPORT_KEYS = tuple(f"sport{n}" for n in range(1, 9))

VISA_A_BEST = {
    **dict.fromkeys(("q1", "q2", "q3", "q4", "q5", "q6", "q7"), 10),
    "q8_group": 1,
    "q8_minutes_band": 4,
}
VISA_A_WORST = {
    **dict.fromkeys(("q1", "q2", "q3", "q4", "q5", "q6", "q7"), 0),
    "q8_group": 3,
    "q8_minutes_band": 0,
}


def visa_a(**changes: object) -> dict[str, object]:
    return {**VISA_A_BEST, **changes}


def faam(adl: object = 4, sports: object = 4, **changes: object) -> dict[str, object]:
    return {**dict.fromkeys(ADL_KEYS, adl), **dict.fromkeys(SPORT_KEYS, sports), **changes}


def problems(slug: str, answers: dict[str, object]) -> dict[str, list[str]]:
    with pytest.raises(QuestionnaireError) as caught:
        score(slug, answers)
    return caught.value.fields


# --- The questionnaires as data -----------------------------------------------------------


@pytest.mark.parametrize(
    ("slug", "keys"),
    [
        ("visa_a", VISA_A_KEYS),
        ("lefs", LEFS_KEYS),
        ("faam", ADL_KEYS + SPORT_KEYS),
    ],
)
def test_it_lists_the_items_of_each_questionnaire_in_order(
    slug: str, keys: tuple[str, ...]
) -> None:
    assert tuple(item.key for item in QUESTIONNAIRES[slug].items) == keys


@pytest.mark.parametrize("questionnaire", QUESTIONNAIRES.values(), ids=QUESTIONNAIRES.keys())
def test_it_gives_every_item_a_unique_key(questionnaire: Questionnaire) -> None:
    keys = [item.key for item in questionnaire.items]
    assert len(keys) == len(set(keys))


def test_it_has_eight_scored_visa_a_questions_with_q8_in_two_parts() -> None:
    questions = {item.key.split("_")[0] for item in QUESTIONNAIRES["visa_a"].items}
    assert questions == {f"q{n}" for n in range(1, 9)}


def test_it_has_20_lefs_items_and_21_adl_plus_8_sports_faam_items() -> None:
    faam_sections = [item.section for item in QUESTIONNAIRES["faam"].items]
    assert len(QUESTIONNAIRES["lefs"].items) == 20
    assert faam_sections.count("adl") == 21
    assert faam_sections.count("sports") == 8


@pytest.mark.parametrize(
    ("slug", "sources", "max_score"),
    [("visa_a", ("R13", "R13b"), 100), ("lefs", ("R17",), 80), ("faam", ("R16",), 100)],
)
def test_it_cites_its_sources_and_maximum(
    slug: str, sources: tuple[str, ...], max_score: float
) -> None:
    questionnaire = QUESTIONNAIRES[slug]
    assert questionnaire.sources == sources
    assert questionnaire.max_score == max_score
    assert questionnaire.higher_is_better


def test_it_scales_visa_a_stiffness_in_ten_minute_steps_from_100_minutes_to_none() -> None:
    q1 = QUESTIONNAIRES["visa_a"].items[0]
    assert [choice.value for choice in q1.choices] == list(range(11))
    assert q1.choices[0].label == "100 minutes or more"
    assert q1.choices[1].label == "90 minutes"
    assert q1.choices[9].label == "10 minutes"
    assert q1.choices[10].label == "none"


def test_it_offers_only_the_four_visa_a_q7_levels() -> None:
    q7 = QUESTIONNAIRES["visa_a"].items[6]
    assert [choice.value for choice in q7.choices] == [0, 4, 7, 10]


def test_it_allows_not_applicable_only_on_faam() -> None:
    for slug, questionnaire in QUESTIONNAIRES.items():
        assert all(item.allow_not_applicable == (slug == "faam") for item in questionnaire.items)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"choices": (Choice(0, "no"),), "minimum": 0, "maximum": 1},
        {"choices": (Choice(0, "no"), Choice(0, "also no"))},
    ],
    ids=["neither", "both", "repeated_value"],
)
def test_it_refuses_an_item_that_is_not_exactly_one_kind(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="x"):
        Item("x", "Text", **kwargs)


# --- VISA-A -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "total"),
    [
        (VISA_A_BEST, 100),
        (VISA_A_WORST, 0),
        # Worked by hand: q1 6 (40 minutes of stiffness) + q2 5 + q3 7 + q4 8 + q5 4
        # + q6 3 hops + q7 4 (modified training) = 37; q8 group B, 11–20 minutes = 10.
        # 37 + 10 = 47.
        (
            {
                "q1": 6,
                "q2": 5,
                "q3": 7,
                "q4": 8,
                "q5": 4,
                "q6": 3,
                "q7": 4,
                "q8_group": 2,
                "q8_minutes_band": 2,
            },
            47,
        ),
    ],
    ids=["best", "worst", "mixed"],
)
def test_it_sums_visa_a_to_a_score_out_of_100(answers: dict[str, object], total: float) -> None:
    result = score("visa_a", answers)
    assert result.total == total
    assert result.percent == total
    assert result.subscales == {}
    assert result.answered == 8  # F44: Q8's two parts are one question


@pytest.mark.parametrize(
    ("group", "band", "points"),
    [
        (1, 0, 0),
        (1, 1, 7),
        (1, 2, 14),
        (1, 3, 21),
        (1, 4, 30),
        (2, 0, 0),
        (2, 1, 4),
        (2, 2, 10),
        (2, 3, 14),
        (2, 4, 20),
        (3, 0, 0),
        (3, 1, 2),
        (3, 2, 5),
        (3, 3, 7),
        (3, 4, 10),
    ],
)
def test_it_scores_visa_a_q8_by_group_and_training_time(group: int, band: int, points: int) -> None:
    answers = {**VISA_A_WORST, "q8_group": group, "q8_minutes_band": band}
    assert score("visa_a", answers).total == points


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("q7", 5),
        ("q1", 11),
        ("q2", -1),
        ("q8_group", 0),
        ("q8_group", 4),
        ("q8_minutes_band", 5),
    ],
)
def test_it_rejects_a_visa_a_value_that_is_not_a_choice(key: str, value: int) -> None:
    fields = problems("visa_a", visa_a(**{key: value}))
    assert list(fields) == [key]
    assert "Choose one of" in fields[key][0]


def test_it_names_every_missing_visa_a_answer() -> None:
    answers = {k: v for k, v in VISA_A_BEST.items() if k not in {"q3", "q8_group"}}
    fields = problems("visa_a", answers)
    assert set(fields) == {"q3", "q8_group"}
    assert fields["q3"] == ["An answer is required."]


def test_it_names_every_item_when_nothing_is_answered() -> None:
    assert set(problems("visa_a", {})) == set(VISA_A_KEYS)


@pytest.mark.parametrize("value", ["7", 7.0, 7.5, True, [7]])
def test_it_rejects_an_answer_that_is_not_a_whole_number(value: object) -> None:
    fields = problems("visa_a", visa_a(q2=value))
    assert fields == {"q2": ["The answer must be a whole number."]}


@pytest.mark.parametrize("value", [None, "na"])
def test_it_refuses_not_applicable_or_none_on_visa_a(value: object) -> None:
    assert list(problems("visa_a", visa_a(q5=value))) == ["q5"]


def test_it_reports_a_missing_and_a_bad_answer_together() -> None:
    answers = visa_a(q7=5)
    del answers["q1"]
    with pytest.raises(QuestionnaireError) as caught:
        score("visa_a", answers)
    assert caught.value.code == "invalid_answers"
    assert set(caught.value.fields) == {"q1", "q7"}


# --- LEFS ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "total", "percent"),
    [
        (dict.fromkeys(LEFS_KEYS, 0), 0, 0),
        (dict.fromkeys(LEFS_KEYS, 4), 80, 100),
        # 18 items at 3 (a little difficulty) + a1 at 0 + a20 at 4 = 58; 58 / 80 = 72.5%.
        ({**dict.fromkeys(LEFS_KEYS, 3), "a1": 0, "a20": 4}, 58, 72.5),
    ],
    ids=["worst", "best", "mixed"],
)
def test_it_sums_lefs_out_of_80(answers: dict[str, object], total: float, percent: float) -> None:
    result = score("lefs", answers)
    assert result.total == total
    assert result.percent == percent
    assert result.answered == 20


@pytest.mark.parametrize("value", [-1, 5])
def test_it_rejects_an_out_of_range_lefs_answer(value: int) -> None:
    fields = problems("lefs", {**dict.fromkeys(LEFS_KEYS, 2), "a7": value})
    assert fields == {"a7": ["Choose one of 0, 1, 2, 3, 4."]}


def test_it_requires_all_20_lefs_items() -> None:
    answers = dict.fromkeys(LEFS_KEYS[:-1], 2)
    assert list(problems("lefs", answers)) == ["a20"]


# --- FAAM ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "adl", "sports"),
    [
        (faam(4, 4), 100, 100),
        (faam(0, 0), 0, 0),
        (faam(3, 2), 75, 50),
    ],
    ids=["best", "worst", "mixed"],
)
def test_it_scores_full_faam_answers_as_two_percentages_and_no_total(
    answers: dict[str, object], adl: float, sports: float
) -> None:
    """F15: FAAM has two separately scored subscales and no total (Martin 2005, R16)."""
    result = score("faam", answers)
    assert result.subscales == {"adl": adl, "sports": sports}
    assert result.total is None
    assert result.percent is None
    assert result.answered == 29


def test_it_still_scores_adl_with_two_items_not_applicable() -> None:
    # 19 items answered: 18 at 3 and adl3 at 4 = 58 of a possible 19 × 4 = 76 → 76.3%.
    answers = faam(3, adl1="na", adl2=None, adl3=4)
    result = score("faam", answers)
    assert result.subscales["adl"] == pytest.approx(58 / 76 * 100)
    assert result.subscales["adl"] == pytest.approx(76.315789, abs=1e-6)
    assert result.total is None
    assert result.answered == 27


@pytest.mark.parametrize(
    ("adl_not_applicable", "adl"),
    [(0, 100), (1, 100), (2, 100), (3, None), (21, None)],
)
def test_it_keeps_a_faam_response_and_marks_adl_not_scorable_below_19_of_21(
    adl_not_applicable: int, adl: float | None
) -> None:
    """F36: the 90% rule (19 of 21, R16) decides whether ADL is reported, never whether the
    response is accepted; the Sports answers are kept and scored."""
    answers = faam(4, 4, **dict.fromkeys(ADL_KEYS[:adl_not_applicable], "na"))
    result = score("faam", answers)
    assert result.subscales == {"adl": adl, "sports": 100}
    assert result.total is None


def test_it_accepts_a_faam_response_with_every_item_not_applicable() -> None:
    """F36: nothing scorable, but the response is still a valid record."""
    result = score("faam", faam("na", "na"))
    assert result.subscales == {"adl": None, "sports": None}
    assert result.answered == 0


@pytest.mark.parametrize(
    ("not_applicable", "sports"),
    [
        (0, 100),
        (1, 100),
        (2, None),
        (8, None),
    ],
)
def test_it_scores_sports_only_with_seven_of_eight_answered(
    not_applicable: int, sports: float | None
) -> None:
    """F36: the Sports rule is 7 of 8 (87.5%), stated as such (R16)."""
    answers = faam(4, 4, **dict.fromkeys(SPORT_KEYS[:not_applicable], "na"))
    result = score("faam", answers)
    assert result.subscales == {"adl": 100, "sports": sports}


def test_the_faam_subscales_state_their_minimum_answers() -> None:
    """F36"""
    subscales = {s.key: s for s in QUESTIONNAIRES["faam"].subscales}
    assert (subscales["adl"].items, subscales["adl"].min_answered) == (21, 19)
    assert (subscales["sports"].items, subscales["sports"].min_answered) == (8, 7)
    assert "Sports" in subscales["sports"].name


def test_it_scores_sports_over_the_answered_items_only() -> None:
    # sport1 not applicable; 7 answered: 6 at 2 and sport8 at 4 = 16 of 28 → 57.1%.
    result = score("faam", faam(4, 2, sport1="na", sport8=4))
    assert result.subscales["sports"] == pytest.approx(16 / 28 * 100)


def test_it_requires_an_explicit_not_applicable_rather_than_a_missing_faam_item() -> None:
    answers = faam()
    del answers["sport4"]
    fields = problems("faam", answers)
    assert list(fields) == ["sport4"]
    assert "not applicable" in fields["sport4"][0]


def test_it_rejects_an_unknown_item_key() -> None:
    fields = problems("faam", faam(adl22=4))
    assert list(fields) == ["adl22"]
    assert "no question 'adl22'" in fields["adl22"][0]


def test_it_rejects_a_faam_value_above_no_difficulty() -> None:
    assert list(problems("faam", faam(adl5=5))) == ["adl5"]


# --- Anything else ------------------------------------------------------------------------


def test_it_rejects_an_unknown_questionnaire() -> None:
    with pytest.raises(QuestionnaireError) as caught:
        score("koos", {})
    assert caught.value.code == "unknown_questionnaire"
    assert list(caught.value.fields) == ["questionnaire"]


STIFFNESS = Questionnaire(
    slug="stiffness",
    name="Stiffness",
    items=(Item("minutes", "Minutes stiff", minimum=0, maximum=100, unit="minutes"),),
    sources=(),
    max_score=100,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, {"minutes": 0}),
        (100, {"minutes": 100}),
    ],
)
def test_it_accepts_a_number_item_within_its_range(value: int, expected: dict[str, int]) -> None:
    assert clean_answers(STIFFNESS, {"minutes": value}) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (-1, "Enter a whole number from 0 to 100 minutes."),
        (101, "Enter a whole number from 0 to 100 minutes."),
        (12.5, "The answer must be a whole number."),
        (None, "An answer is required."),
    ],
)
def test_it_rejects_a_number_item_outside_its_range(value: object, message: str) -> None:
    with pytest.raises(QuestionnaireError) as caught:
        clean_answers(STIFFNESS, {"minutes": value})
    assert caught.value.fields == {"minutes": [message]}


# --- VISA-A wording (F9, F27, F34) --------------------------------------------------------

# Phrases of the old wording that told the patient to perform a movement (F9).
PERFORM_INSTRUCTIONS = (
    "stand with",
    "let the heel sink",
    "rise up onto your toes on the painful leg 10 times",
)


@pytest.mark.parametrize("key", ["q2", "q3", "q4", "q5", "q6"])
def test_visa_a_movement_items_are_recall_questions_not_instructions(key: str) -> None:
    """F9: Robinson 2001 asks whether it hurts; it never tells the patient to do the test."""
    item = next(i for i in QUESTIONNAIRES["visa_a"].items if i.key == key)
    text = item.text.lower()
    assert text.split()[0] in {"when", "how", "after", "do", "did", "once", "in"}
    assert text.rstrip(" .)").endswith("?") or "?" in text
    assert not any(phrase in text for phrase in PERFORM_INSTRUCTIONS)


def test_visa_a_tells_the_patient_not_to_try_a_movement_they_were_told_to_avoid() -> None:
    """F9"""
    intro = " ".join(QUESTIONNAIRES["visa_a"].instructions)
    assert (
        "Do not try a movement your clinician has told you to avoid — answer from what you "
        "remember." in intro
    )


@pytest.mark.parametrize("key", ["q2", "q5", "q6"])
def test_visa_a_items_about_a_movement_say_answer_from_memory(key: str) -> None:
    """F9"""
    item = next(i for i in QUESTIONNAIRES["visa_a"].items if i.key == key)
    assert "do not try it" in item.note.lower()


# --- Storing a FAAM response (F15, F36) ---------------------------------------------------


@pytest.mark.django_db
def test_a_faam_response_with_adl_not_scorable_is_stored_with_its_sports_score(
    patient: Any,
) -> None:
    """F36: three ADL items not applicable → ADL not scorable, Sports kept; F15: no total."""
    factories.prescribe(patient, factories.answered_intake("ankle_sprain", side="left"))
    now = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    recorded = record_questionnaire(
        patient=patient,
        client_uuid=uuid.uuid4(),
        questionnaire="faam",
        local_date=now.date(),
        answers=faam(4, 2, adl1="na", adl2="na", adl3="na"),
        logged_at=now,
        now=timezone.now(),
    )
    recorded.obj.refresh_from_db()
    assert recorded.outcome == "created"
    assert recorded.obj.score is None
    assert recorded.obj.subscales == {"adl": None, "sports": 50}


# --- Explaining the scale in plain words (F34, walk-through 16–17) -------------------------


@pytest.mark.parametrize("key", ["q2", "q3", "q4", "q5"])
def test_every_visa_a_pain_item_says_10_means_no_pain_here(key: str) -> None:
    """F34: the VISA-A pain scale runs the other way from the app's daily 0–10 pain."""
    item = next(i for i in QUESTIONNAIRES["visa_a"].items if i.key == key)
    assert "10 = no pain" in item.note
    assert item.choices[-1].label == "10 – no pain"


@pytest.mark.parametrize(
    ("slug", "phrases"),
    [
        ("visa_a", ("score out of 100", "higher is better", "100 means no symptoms")),
        ("lefs", ("score out of 80", "higher is better")),
        ("faam", ("two scores", "percentage", "higher is better", "Not applicable")),
    ],
)
def test_each_questionnaire_explains_its_score_in_plain_words(
    slug: str, phrases: tuple[str, ...]
) -> None:
    intro = " ".join(QUESTIONNAIRES[slug].instructions)
    assert all(phrase in intro for phrase in phrases)


@pytest.mark.parametrize(
    ("slug", "total", "subscales", "expected"),
    [
        ("visa_a", 47, {}, "47 out of 100 (100 = no symptoms)"),
        ("lefs", 58, {}, "58 out of 80 (80 = no difficulty with any of the activities)"),
        (
            "faam",
            None,
            {"adl": 76.3, "sports": None},
            "Daily activities (ADL): 76%; Sports: not scorable (100% = no difficulty)",
        ),
    ],
)
def test_a_score_is_described_against_its_scale(
    slug: str, total: float | None, subscales: dict, expected: str
) -> None:
    assert describe_score(QUESTIONNAIRES[slug], total, subscales) == expected


@pytest.mark.parametrize(
    ("slug", "previous", "current", "expected"),
    [
        ("visa_a", (42, {}), (47, {}), "5 points higher than last time"),
        ("visa_a", (50, {}), (47, {}), "3 points lower than last time"),
        ("visa_a", (47, {}), (47, {}), "the same as last time"),
        (
            "faam",
            (None, {"adl": 70, "sports": None}),
            (None, {"adl": 75, "sports": 40}),
            "Daily activities (ADL) 5 points higher than last time",
        ),
    ],
)
def test_the_change_since_last_time_is_said_in_plain_words(
    slug: str, previous: tuple, current: tuple, expected: str
) -> None:
    assert expected.lower() in describe_change(QUESTIONNAIRES[slug], previous, current).lower()


def test_there_is_no_change_to_describe_for_a_first_response() -> None:
    assert describe_change(QUESTIONNAIRES["visa_a"], None, (47, {})) == ""


# --- VISA-A Q8 for people who do no Achilles-loading sport (F27) ---------------------------


@pytest.mark.parametrize("key", ["q8_group", "q8_minutes_band"])
def test_visa_a_q8_tells_someone_with_no_loading_sport_to_choose_not_at_all(key: str) -> None:
    """F27: without this a sedentary patient can pick "a" and "> 30 min" for walking (+30)."""
    item = next(i for i in QUESTIONNAIRES["visa_a"].items if i.key == key)
    assert "If you do no sport that loads your Achilles" in item.note
    assert "“Not at all” (0 minutes)" in item.note


@pytest.mark.parametrize("group", [1, 2, 3])
def test_not_at_all_scores_0_for_q8_whichever_group_is_chosen(group: int) -> None:
    """F27: the guidance is safe whatever the patient picks in the first part."""
    answers = {**VISA_A_WORST, "q8_group": group, "q8_minutes_band": 0}
    assert score("visa_a", answers).total == 0


def test_visa_a_counts_its_eight_questions_as_answered_not_nine() -> None:
    """F44: Q8 is one question in two parts (group and training time)."""
    assert score("visa_a", VISA_A_BEST).answered == 8
