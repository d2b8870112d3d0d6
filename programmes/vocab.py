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


class Questionnaire(models.TextChoices):
    VISA_A = "visa_a", "VISA-A"
    FAAM = "faam", "FAAM"
    LEFS = "lefs", "LEFS"


SOURCE_CODE_RE = r"^(SEED-00[0-4]|R\d{1,2}[a-c]?|INFERENCE)$"
