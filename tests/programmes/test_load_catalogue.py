"""load_catalogue: idempotent, updates what changed, and refuses broken files whole."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from programmes.catalogue_files import CATALOGUE_DIR
from programmes.models import (
    Condition,
    Exercise,
    Protocol,
    ProtocolItem,
    ProtocolPhase,
    RedFlag,
    Source,
)
from programmes.selectors import catalogue_snapshot
from programmes.services import load_catalogue

pytestmark = pytest.mark.django_db


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "catalogue"
    shutil.copytree(CATALOGUE_DIR, target)
    return target


def _edit(path: Path, edit: object) -> None:
    data = yaml.safe_load(path.read_text())
    edit(data)  # type: ignore[operator]
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


def test_the_full_catalogue_is_loaded() -> None:
    assert Condition.objects.count() == 24
    assert Exercise.objects.count() >= 35
    assert Protocol.objects.count() == 15
    assert Source.objects.filter(code="SEED-002").exists()
    assert RedFlag.objects.filter(check_in=True).count() == 5


def test_a_second_load_changes_nothing() -> None:
    before = {
        model: list(model.objects.order_by("pk").values())
        for model in (Condition, Exercise, Protocol, ProtocolPhase, ProtocolItem, RedFlag)
    }
    report = load_catalogue()
    assert report.changed == 0
    assert report.total("exercises") == Exercise.objects.count()
    for model, rows in before.items():
        assert list(model.objects.order_by("pk").values()) == rows


def test_an_edited_dose_updates_only_that_row(tmp_path: Path) -> None:
    directory = _copy(tmp_path)

    def halve_alfredson(protocols: list[dict[str, object]]) -> None:
        alfredson = next(p for p in protocols if p["slug"] == "achilles_midportion_alfredson")
        alfredson["phases"][0]["items"][0]["sets"] = 2  # type: ignore[index]

    _edit(directory / "protocols.yaml", halve_alfredson)
    report = load_catalogue(directory=directory)
    assert report.changed == 1
    item = ProtocolItem.objects.get(
        phase__protocol__slug="achilles_midportion_alfredson",
        exercise__slug="ecc_heel_drop_straight_step",
    )
    assert item.sets == 2
    # The planner sees the change straight away.
    phase = catalogue_snapshot().protocols["achilles_midportion_alfredson"].phases[0]
    assert phase.items[0].dose.sets == 2


def test_an_item_removed_from_a_file_is_removed_on_reload(tmp_path: Path) -> None:
    directory = _copy(tmp_path)

    def drop_last_item(protocols: list[dict[str, object]]) -> None:
        oa = next(p for p in protocols if p["slug"] == "ankle_oa_gentle")
        oa["phases"][0]["items"].pop()  # type: ignore[index]

    before = ProtocolItem.objects.filter(phase__protocol__slug="ankle_oa_gentle").count()
    _edit(directory / "protocols.yaml", drop_last_item)
    load_catalogue(directory=directory)
    after = ProtocolItem.objects.filter(phase__protocol__slug="ankle_oa_gentle").count()
    assert after == before - 1


def test_a_protocol_naming_an_unknown_exercise_is_refused_and_nothing_is_written(
    tmp_path: Path,
) -> None:
    directory = _copy(tmp_path)

    def misspell(protocols: list[dict[str, object]]) -> None:
        protocols[0]["phases"][0]["items"][0]["exercise"] = "heel_raise_sideways"  # type: ignore[index]
        protocols[1]["name"] = "Renamed"

    _edit(directory / "protocols.yaml", misspell)
    with pytest.raises(CommandError, match="heel_raise_sideways") as error:
        call_command("load_catalogue", directory=directory)
    assert error.value.returncode == 2
    assert not Protocol.objects.filter(name="Renamed").exists()


def test_invalid_yaml_is_reported_with_the_file_name(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    (directory / "exercises.yaml").write_text("- slug: [unclosed\n")
    with pytest.raises(CommandError, match=r"exercises\.yaml"):
        call_command("load_catalogue", directory=directory)


def test_an_unknown_movement_tag_is_refused(tmp_path: Path) -> None:
    directory = _copy(tmp_path)

    def bad_tag(exercises: list[dict[str, object]]) -> None:
        exercises[0]["movement_tags"] = ["tiptoe"]

    _edit(directory / "exercises.yaml", bad_tag)
    with pytest.raises(CommandError, match="tiptoe"):
        call_command("load_catalogue", directory=directory)


def test_an_unknown_source_id_is_refused(tmp_path: Path) -> None:
    directory = _copy(tmp_path)

    def bad_source(conditions: list[dict[str, object]]) -> None:
        conditions[0]["sources"] = ["R99"]

    _edit(directory / "conditions.yaml", bad_source)
    with pytest.raises(CommandError, match="R99"):
        call_command("load_catalogue", directory=directory)


def test_what_is_worked_out_from_the_catalogue_is_forgotten_when_an_exercise_changes() -> None:
    """The sweep keeps each prescription's regression beside the catalogue snapshot
    (`catalogue_memo`, `exercises_with_regressions`): an edited exercise must not leave a
    process suggesting the easier version the catalogue no longer names."""
    from programmes.selectors import catalogue_memo, exercises_with_regressions

    exercise = Exercise.objects.exclude(regression=None).first()
    assert exercise is not None
    assert exercises_with_regressions()[exercise.pk].regression_id == exercise.regression_id
    catalogue_memo("sweep_prescriptions")["key"] = "worked out"
    exercise.regression = None
    exercise.save()
    assert catalogue_memo("sweep_prescriptions") == {}
    assert exercises_with_regressions()[exercise.pk].regression_id is None
