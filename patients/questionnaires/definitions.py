"""Patient-reported outcome questionnaires (VISA-A, LEFS, FAAM) and their scoring.

PURE: no ORM, no clock. `score(slug, answers)` checks a mapping of item key → answer and
returns a `Score`, or raises `QuestionnaireError` with one message per bad item key.

Answers are whole numbers (the choice value, or the number for a number item). Where an item
allows it, `None` or the string "na" means "not applicable". Scoring follows
clinical-reference.md §6; the item wording is ours, not the licensed wording.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from rehab.exceptions import DomainError

NOT_APPLICABLE = "na"


class QuestionnaireError(DomainError):
    code = "invalid_answers"


# --- Description --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Choice:
    value: int
    label: str


@dataclass(frozen=True, slots=True)
class Item:
    """A choice item (`choices`) or a number item (`minimum`..`maximum` inclusive, in `unit`)."""

    key: str
    text: str
    choices: tuple[Choice, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    unit: str = ""
    allow_not_applicable: bool = False
    section: str = ""
    note: str = ""  # plain guidance shown under the question

    def __post_init__(self) -> None:
        is_number = self.minimum is not None and self.maximum is not None
        if bool(self.choices) == is_number:
            raise ValueError(f"Item {self.key!r} needs either choices or a minimum and maximum.")
        values = [choice.value for choice in self.choices]
        if len(set(values)) != len(values):
            raise ValueError(f"Item {self.key!r} repeats a choice value.")


@dataclass(frozen=True, slots=True)
class Subscale:
    """A separately scored part of a questionnaire: reported only when at least
    `min_answered` of its `items` have an answer other than "not applicable"."""

    key: str
    name: str
    items: int
    min_answered: int


@dataclass(frozen=True, slots=True)
class Questionnaire:
    slug: str
    name: str
    items: tuple[Item, ...]
    sources: tuple[str, ...]
    max_score: float
    higher_is_better: bool = True
    instructions: tuple[str, ...] = ()  # plain paragraphs shown before the first question
    # Separately scored parts with no total (FAAM); empty when the total is the score.
    subscales: tuple[Subscale, ...] = ()
    best_means: str = ""  # plain words for the best end of the scale, e.g. "no symptoms"


@dataclass(frozen=True, slots=True)
class Score:
    """`percent` is `total` as a share of the questionnaire's `max_score`; `answered` counts
    the items given a value (not "not applicable").

    A questionnaire with subscales (FAAM) has no total: `total` and `percent` are None and
    each subscale is a percentage, or None when too few of its items were answered to score
    it ("not scorable"). The response is still valid and is stored (F15, F36)."""

    total: float | None
    percent: float | None
    subscales: dict[str, float | None]
    answered: int


# --- Shared answer scales -----------------------------------------------------------------


def _scale(low: str, high: str, *, top: int = 10) -> tuple[Choice, ...]:
    """0..top, with only the two ends labelled by their anchors."""
    labels = {0: f"0 – {low}", top: f"{top} – {high}"}
    return tuple(Choice(value, labels.get(value, str(value))) for value in range(top + 1))


_PAIN = _scale("pain as bad as it gets", "no pain")
# F34: VISA-A pain runs the opposite way to the app's daily pain score (0 = no pain there).
_PAIN_NOTE = "Careful: on this question 10 = no pain and 0 = the worst pain."

_DIFFICULTY_LEFS = (
    Choice(0, "Unable, or extremely difficult"),
    Choice(1, "A lot of difficulty"),
    Choice(2, "Some difficulty"),
    Choice(3, "A little difficulty"),
    Choice(4, "No difficulty"),
)

_DIFFICULTY_FAAM = (
    Choice(4, "No difficulty"),
    Choice(3, "A little difficulty"),
    Choice(2, "Some difficulty"),
    Choice(1, "A great deal of difficulty"),
    Choice(0, "Cannot do it"),
)


# --- VISA-A [R13] [R13b] --------------------------------------------------------------------

# Q1 in 10-minute steps: 0 points for 100 minutes or more, 10 points for none.
_STIFFNESS_ENDS = {0: "100 minutes or more", 10: "none"}
_STIFFNESS = tuple(
    Choice(value, _STIFFNESS_ENDS.get(value, f"{100 - value * 10} minutes")) for value in range(11)
)

# Q8 points by group (1 = A, 2 = B, 3 = C) and training-time band
# (0 nil, 1 = 1–10, 2 = 11–20, 3 = 21–30, 4 = over 30 minutes). Sources: R13, R13b.
VISA_A_Q8_POINTS: dict[int, tuple[int, ...]] = {
    1: (0, 7, 14, 21, 30),
    2: (0, 4, 10, 14, 20),
    3: (0, 2, 5, 7, 10),
}

# F9: the items ask how things have been; they never ask the patient to perform a test
# movement (some are banned for some conditions, e.g. heel below step level when insertional).
_DO_NOT_TRY = (
    "Do not try a movement your clinician has told you to avoid — answer from what you remember."
)
_FROM_MEMORY = "Answer from what you remember; do not try it now just to answer."
# F27: "Not at all" scores 0 in every group, so a patient who does no such sport cannot add
# points for everyday walking (Robinson 2001 Q8 is about sport and training).
_NO_LOADING_SPORT = (
    "If you do no sport that loads your Achilles (such as running, jumping or court sports), "
    "choose “Not at all” (0 minutes) for how long; everyday walking does not count here."
)

VISA_A = Questionnaire(
    slug="visa_a",
    name="VISA-A",
    sources=("R13", "R13b"),
    max_score=100,
    best_means="no symptoms",
    instructions=(
        "These questions ask how your Achilles has been over the last week. " + _DO_NOT_TRY,
        "Your answers give a score out of 100: higher is better, and 100 means no symptoms. "
        "On the pain questions 10 means no pain, the other way round from your daily pain "
        "score.",
    ),
    items=(
        Item(
            "q1",
            "When you get up in the morning, for how many minutes is your Achilles stiff?",
            choices=_STIFFNESS,
        ),
        Item(
            "q2",
            "Once you are warmed up later in the day, how much does your Achilles hurt when "
            "your calf gets a full stretch with the knee straight, as when your heel drops "
            "below the edge of a step?",
            choices=_PAIN,
            note=f"{_PAIN_NOTE} {_FROM_MEMORY}",
        ),
        Item(
            "q3",
            "After you have walked on flat ground for 30 minutes, how much does your Achilles "
            "hurt in the 2 hours that follow? (If pain stops you walking for 30 minutes, "
            "choose 0.)",
            choices=_PAIN,
            note=_PAIN_NOTE,
        ),
        Item(
            "q4",
            "How much does your Achilles hurt when you walk down a flight of stairs at your "
            "usual pace?",
            choices=_PAIN,
            note=_PAIN_NOTE,
        ),
        Item(
            "q5",
            "When you rise up onto the toes of the painful leg 10 times from a flat floor, how "
            "much does your Achilles hurt while you do it or straight afterwards?",
            choices=_PAIN,
            note=f"{_PAIN_NOTE} {_FROM_MEMORY}",
        ),
        Item(
            "q6",
            "How many hops in a row on the painful leg can you do without pain?",
            choices=_scale("none", "10 or more"),
            # Safer: an untried or forbidden hop scores as none rather than as a guess.
            note=_FROM_MEMORY + " If you have not hopped on it lately, choose 0.",
        ),
        Item(
            "q7",
            "Which best describes the sport or exercise you do at the moment?",
            choices=(
                Choice(0, "I am not doing any sport or exercise"),
                Choice(4, "I train in a changed way, and may compete in a changed way"),
                Choice(
                    7,
                    "I train fully, and may compete, but below my level before the pain began",
                ),
                Choice(10, "I compete at the level I reached before the pain began, or higher"),
            ),
        ),
        Item(
            "q8_group",
            "Think about sport or exercise that loads your Achilles. Which is true for you?",
            choices=(
                Choice(1, "a – it does not hurt"),
                Choice(2, "b – it hurts, but I can carry on to the end"),
                Choice(3, "c – it hurts enough to make me stop"),
            ),
            note=_NO_LOADING_SPORT,
        ),
        Item(
            "q8_minutes_band",
            "And for how long at a time can you train or do that activity?",
            choices=(
                Choice(0, "Not at all"),
                Choice(1, "1 to 10 minutes"),
                Choice(2, "11 to 20 minutes"),
                Choice(3, "21 to 30 minutes"),
                Choice(4, "More than 30 minutes"),
            ),
            note=_NO_LOADING_SPORT,
        ),
    ),
)


# --- LEFS [R17] ---------------------------------------------------------------------------

_LEFS_ACTIVITIES = (
    "Your normal work, school or jobs around the home",
    "Your usual hobbies, leisure or sport",
    "Getting into or out of the bath",
    "Walking from one room to another",
    "Putting on your shoes or socks",
    "Squatting down",
    "Picking something up off the floor, such as a bag of shopping",
    "Light jobs around the home",
    "Heavy jobs around the home",
    "Getting into or out of a car",
    "Walking two blocks (a few hundred metres)",
    "Walking a mile (about 1.6 km)",
    "Going up or down 10 stairs (about one flight)",
    "Standing for an hour",
    "Sitting for an hour",
    "Running on flat, even ground",
    "Running on rough or uneven ground",
    "Turning sharply while running fast",
    "Hopping",
    "Turning over in bed",
)

LEFS = Questionnaire(
    slug="lefs",
    name="Lower Extremity Functional Scale (LEFS)",
    sources=("R17",),
    max_score=80,
    best_means="no difficulty with any of the activities",
    instructions=(
        "For each activity, choose how much difficulty your leg or foot gives you today. "
        "Your answers give a score out of 80: higher is better, and 80 means no difficulty "
        "with any of the activities.",
    ),
    items=tuple(
        Item(f"a{number}", text, choices=_DIFFICULTY_LEFS)
        for number, text in enumerate(_LEFS_ACTIVITIES, start=1)
    ),
)


# --- FAAM [R16] ---------------------------------------------------------------------------

_FAAM_ADL = (
    "Standing",
    "Walking on flat, even ground",
    "Walking on flat ground without shoes",
    "Walking up a slope or hill",
    "Walking down a slope or hill",
    "Going up stairs",
    "Going down stairs",
    "Walking on uneven ground",
    "Stepping up onto and down off a kerb",
    "Squatting down",
    "Rising up onto your toes",
    "The first few steps when you start walking",
    "Walking for 5 minutes or less",
    "Walking for about 10 minutes",
    "Walking for 15 minutes or longer",
    "Your jobs and responsibilities at home",
    "Your everyday activities",
    "Looking after yourself, such as washing and dressing",
    "Light to moderate work (standing and walking)",
    "Heavy work (pushing, pulling, climbing or carrying)",
    "Leisure and recreational activities",
)

_FAAM_SPORTS = (
    "Running",
    "Jumping",
    "Landing",
    "Starting and stopping quickly",
    "Side-to-side movements and quick changes of direction",
    "Low-impact activities",
    "Doing your activity with your usual technique",
    "Taking part in your chosen sport for as long as you want",
)

# A FAAM subscale is reported only when at least this many of its items are answered
# (the ≥90% rule: 19 of 21 ADL; 7 of 8 Sports, which is 87.5%). Source: R16. Below that the
# subscale is "not scorable", but the response is kept (F36).
FAAM_SUBSCALES = (
    Subscale("adl", "Daily activities (ADL)", items=len(_FAAM_ADL), min_answered=19),
    Subscale("sports", "Sports", items=len(_FAAM_SPORTS), min_answered=7),
)
FAAM_MIN_ANSWERED: dict[str, int] = {s.key: s.min_answered for s in FAAM_SUBSCALES}

FAAM = Questionnaire(
    slug="faam",
    name="Foot and Ankle Ability Measure (FAAM)",
    sources=("R16",),
    max_score=100,
    subscales=FAAM_SUBSCALES,
    best_means="no difficulty",
    instructions=(
        "For each activity, choose how much difficulty your foot or ankle gives you. If you "
        "are limited by something other than your foot or ankle, or an activity does not "
        "apply to you, choose “Not applicable”.",
        "Your answers give two scores, one for daily activities and one for sports, each as "
        "a percentage: higher is better, and 100% means no difficulty.",
    ),
    items=(
        *(
            Item(
                f"adl{number}",
                text,
                choices=_DIFFICULTY_FAAM,
                allow_not_applicable=True,
                section="adl",
            )
            for number, text in enumerate(_FAAM_ADL, start=1)
        ),
        *(
            Item(
                f"sport{number}",
                text,
                choices=_DIFFICULTY_FAAM,
                allow_not_applicable=True,
                section="sports",
            )
            for number, text in enumerate(_FAAM_SPORTS, start=1)
        ),
    ),
)

QUESTIONNAIRES: dict[str, Questionnaire] = {q.slug: q for q in (VISA_A, LEFS, FAAM)}


# --- Checking answers ---------------------------------------------------------------------


def clean_answers(
    questionnaire: Questionnaire, answers: Mapping[str, object]
) -> dict[str, int | None]:
    """Every item's answer as an int, or None for "not applicable"; all problems are raised
    together, one message per item key."""
    problems: dict[str, list[str]] = {}
    cleaned: dict[str, int | None] = {}
    for item in questionnaire.items:
        if item.key not in answers:
            problems[item.key] = [_required(item)]
            continue
        try:
            cleaned[item.key] = _clean_answer(item, answers[item.key])
        except ValueError as error:
            problems[item.key] = [str(error)]
    known = {item.key for item in questionnaire.items}
    for key in answers:
        if key not in known:
            problems[key] = [f"{questionnaire.name} has no question {key!r}."]
    if problems:
        raise QuestionnaireError(
            f"Some answers to {questionnaire.name} are missing or invalid.", fields=problems
        )
    return cleaned


def _clean_answer(item: Item, value: object) -> int | None:
    if value is None or value == NOT_APPLICABLE:
        if item.allow_not_applicable:
            return None
        raise ValueError(
            _required(item) if value is None else "This question has no “not applicable” answer."
        )
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("The answer must be a whole number.")
    if item.choices:
        values = [choice.value for choice in item.choices]
        if value not in values:
            raise ValueError(f"Choose one of {', '.join(map(str, values))}.")
        return value
    too_low = item.minimum is not None and value < item.minimum
    too_high = item.maximum is not None and value > item.maximum
    if too_low or too_high:
        unit = f" {item.unit}" if item.unit else ""
        raise ValueError(f"Enter a whole number from {item.minimum} to {item.maximum}{unit}.")
    return value


def _required(item: Item) -> str:
    if item.allow_not_applicable:
        return "An answer is required; choose “not applicable” if it does not apply."
    return "An answer is required."


# --- Scoring ------------------------------------------------------------------------------


def score(slug: str, answers: Mapping[str, object]) -> Score:
    questionnaire = QUESTIONNAIRES.get(slug)
    if questionnaire is None:
        raise QuestionnaireError(
            f"There is no questionnaire {slug!r}.",
            code="unknown_questionnaire",
            fields={"questionnaire": [f"Choose one of {', '.join(QUESTIONNAIRES)}."]},
        )
    cleaned = clean_answers(questionnaire, answers)
    return _SCORERS[slug](questionnaire, cleaned)


def _answered(cleaned: Mapping[str, int | None]) -> dict[str, int]:
    return {key: value for key, value in cleaned.items() if value is not None}


def _score_visa_a(questionnaire: Questionnaire, cleaned: Mapping[str, int | None]) -> Score:
    answered = _answered(cleaned)
    q1_to_q7 = sum(answered[f"q{number}"] for number in range(1, 8))
    q8 = VISA_A_Q8_POINTS[answered["q8_group"]][answered["q8_minutes_band"]]
    # Q8's two parts (group, training time) are one question: 8 answered, not 9 (F44).
    questions = {key.split("_")[0] for key in answered}
    return _summed(questionnaire, q1_to_q7 + q8, answered=len(questions))


def _score_lefs(questionnaire: Questionnaire, cleaned: Mapping[str, int | None]) -> Score:
    answered = _answered(cleaned)
    return _summed(questionnaire, sum(answered.values()), answered=len(answered))


def _summed(questionnaire: Questionnaire, total: int, *, answered: int) -> Score:
    return Score(
        total=float(total),
        percent=total * 100 / questionnaire.max_score,
        subscales={},
        answered=answered,
    )


def _score_faam(questionnaire: Questionnaire, cleaned: Mapping[str, int | None]) -> Score:
    answered = _answered(cleaned)
    subscales: dict[str, float | None] = {}
    for section, minimum in FAAM_MIN_ANSWERED.items():
        scored = [i for i in questionnaire.items if i.section == section and i.key in answered]
        subscales[section] = (
            sum(answered[item.key] for item in scored) * 100 / _best_total(scored)
            if len(scored) >= minimum
            else None
        )
    # No total: ADL and Sports are separate scores (F15).
    return Score(total=None, percent=None, subscales=subscales, answered=len(answered))


def _best_total(items: Iterable[Item]) -> int:
    return sum(max(choice.value for choice in item.choices) for item in items)


_SCORERS: dict[str, Callable[[Questionnaire, Mapping[str, int | None]], Score]] = {
    VISA_A.slug: _score_visa_a,
    LEFS.slug: _score_lefs,
    FAAM.slug: _score_faam,
}


# --- Saying a score in plain words --------------------------------------------------------


def short_name(questionnaire: Questionnaire) -> str:
    """ "FAAM" from "Foot and Ankle Ability Measure (FAAM)"."""
    name = questionnaire.name
    return name[name.rfind("(") + 1 : -1] if name.endswith(")") else name


@dataclass(frozen=True, slots=True)
class ScorePart:
    """One reported number of a response: the total, or one subscale. `value` is None when
    the subscale is not scorable."""

    key: str  # "total", or the subscale key
    label: str
    value: float | None
    text: str  # e.g. "47 out of 100", "76%", "not scorable"


def score_parts(
    questionnaire: Questionnaire, total: float | None, subscales: Mapping[str, float | None]
) -> list[ScorePart]:
    """The numbers to show for a stored response: the total out of the maximum, or each
    subscale as a percentage, or "not scorable" (never a subscale presented as the total)."""
    if not questionnaire.subscales:
        text = "no score" if total is None else f"{total:g} out of {questionnaire.max_score:g}"
        return [ScorePart("total", questionnaire.name, total, text)]
    parts = []
    for subscale in questionnaire.subscales:
        value = subscales.get(subscale.key)
        text = "not scorable" if value is None else f"{round(value):g}%"
        parts.append(ScorePart(subscale.key, subscale.name, value, text))
    return parts


def describe_score(
    questionnaire: Questionnaire, total: float | None, subscales: Mapping[str, float | None]
) -> str:
    """E.g. "47 out of 100 (100 = no symptoms)" or "Daily activities (ADL): not scorable;
    Sports: 50% (100% = no difficulty)"."""
    parts = score_parts(questionnaire, total, subscales)
    if not questionnaire.subscales:
        return f"{parts[0].text} ({questionnaire.max_score:g} = {questionnaire.best_means})"
    text = "; ".join(f"{part.label}: {part.text}" for part in parts)
    return f"{text} (100% = {questionnaire.best_means})"


def describe_change(
    questionnaire: Questionnaire,
    previous: tuple[float | None, Mapping[str, float | None]] | None,
    current: tuple[float | None, Mapping[str, float | None]],
) -> str:
    """The change since the previous response in plain words, each reported number apart;
    "" for a first response. Each argument is (total, subscales)."""
    if previous is None:
        return ""
    before = {p.key: p for p in score_parts(questionnaire, *previous)}
    sentences = []
    for part in score_parts(questionnaire, *current):
        old = before[part.key].value
        label = "" if part.key == "total" else f"{part.label} "
        if part.value is None or old is None:
            sentences.append(f"{label}cannot be compared with last time (not scorable)")
            continue
        difference = round(part.value - old)
        if difference == 0:
            sentences.append(f"{label}the same as last time".strip())
        else:
            direction = "higher" if difference > 0 else "lower"
            points = "point" if abs(difference) == 1 else "points"
            sentences.append(f"{label}{abs(difference)} {points} {direction} than last time")
    text = "; ".join(sentences)
    return text[0].upper() + text[1:] + "."
