"""The controlled vocabularies of the catalogue (see programmes/catalogue/README.md)."""

from __future__ import annotations

from django.db import models


class Category(models.TextChoices):
    STRETCH = "stretch"
    ISOMETRIC = "isometric"
    ECCENTRIC = "eccentric"
    STRENGTH = "strength"
    BALANCE = "balance"
    MOBILITY = "mobility"
    ICE_HEAT = "ice_heat", "Ice / heat"


class MovementTag(models.TextChoices):
    WEIGHT_BEARING = "weight_bearing"
    END_RANGE_PLANTARFLEXION = "end_range_plantarflexion"
    BELOW_FLOOR_DORSIFLEXION = "below_floor_dorsiflexion"
    LOADED_DORSIFLEXION = "loaded_dorsiflexion"
    DORSIFLEXION_STRETCH = "dorsiflexion_stretch"
    IMPACT = "impact"
    EXTERNAL_LOAD = "external_load"
    UNSTABLE_SURFACE = "unstable_surface"
    EYES_CLOSED = "eyes_closed"
    RESISTED_INVERSION = "resisted_inversion"
    RESISTED_EVERSION = "resisted_eversion"
    COLD = "cold"
    HEAT = "heat"
    CLINIC_ONLY = "clinic_only"


class HomeStatus(models.TextChoices):
    HOME = "home", "Home programme"
    AFTER_CLEARANCE = "after_clearance", "Only after clinician clearance"
    REFER = "refer", "Refer"
    REFER_URGENT = "refer_urgent", "Refer urgently"


class Urgency(models.TextChoices):
    """Ordered from least to most urgent; `rank` compares them."""

    ROUTINE = "routine", "Book an appointment"
    SOON = "soon", "Within days"
    URGENT = "urgent", "Same day"
    EMERGENCY = "emergency", "Emergency"

    @property
    def rank(self) -> int:
        return list(Urgency).index(self)


class Modality(models.TextChoices):
    ICE = "ice"
    HEAT = "heat"


class AppliesWhen(models.TextChoices):
    ANY = "any"
    ACUTE = "acute"
    LOADING = "loading"


class Side(models.TextChoices):
    LEFT = "left"
    RIGHT = "right"
    BOTH = "both"


class Onset(models.TextChoices):
    ACUTE = "acute"
    CHRONIC = "chronic"


class Irritability(models.TextChoices):
    LOW = "low"
    MODERATE = "moderate"
    HIGH = "high"


class Answer(models.TextChoices):
    """A required intake answer. "unknown" is a real answer: the planner takes the safer path."""

    YES = "yes", "Yes"
    NO = "no", "No"
    UNKNOWN = "unknown", "Not known"


class Screening(models.TextChoices):
    """Structured intake screens a condition may require (conditions.yaml `screening`)."""

    OTTAWA = "ottawa", "Ottawa ankle and foot rules"
    THOMPSON = "thompson", "Thompson (calf-squeeze) test"
    CAUDA_EQUINA = "cauda_equina", "Cauda equina questions"


class OttawaResult(models.TextChoices):
    NEGATIVE = "negative", "Negative"
    POSITIVE = "positive", "Positive"
    NOT_ASSESSED = "not_assessed", "Not assessed"


class ThompsonResult(models.TextChoices):
    NEGATIVE = "negative", "Negative (the foot moves)"
    POSITIVE = "positive", "Positive (the foot does not move)"
    NOT_DONE = "not_done", "Not done"


class Comorbidity(models.TextChoices):
    """Facts the planner acts on: the first four block ice and heat (SEED-002), the others
    give the clinician a warning."""

    DIABETES = "diabetes", "Diabetes"
    PERIPHERAL_NEUROPATHY = "peripheral_neuropathy", "Peripheral neuropathy"
    PERIPHERAL_ARTERIAL_DISEASE = "peripheral_arterial_disease", "Peripheral arterial disease"
    RAYNAUDS = "raynauds", "Raynaud's"
    FLUOROQUINOLONE = "fluoroquinolone", "Fluoroquinolone antibiotic (recent or current)"
    STEROID_INJECTION = "steroid_injection", "Recent steroid injection"
    INFLAMMATORY_DISEASE = "inflammatory_disease", "Inflammatory disease (e.g. spondyloarthritis)"
    FAMILIAL_HYPERCHOLESTEROLAEMIA = (
        "familial_hypercholesterolaemia",
        "Familial hypercholesterolaemia",
    )


class DvtRisk(models.TextChoices):
    IMMOBILISATION = "immobilisation", "Boot, cast or other immobilisation"
    SURGERY = "surgery", "Recent surgery"
    LONG_TRAVEL = "long_travel", "Recent long journey"


class Questionnaire(models.TextChoices):
    VISA_A = "visa_a", "VISA-A"
    FAAM = "faam", "FAAM"
    LEFS = "lefs", "LEFS"


SOURCE_CODE_RE = r"^(SEED-00[0-4]|R\d{1,2}[a-c]?|INFERENCE)$"
