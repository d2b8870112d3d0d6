"""`manage.py reference_index`: the shared reference's facts, kept in the repository."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from programmes.reference_index import read_index, word_runs

REFERENCE = """# Clinical reference

## 1. Conditions table

| slug | name |
|---|---|
| `achilles_midportion` | Mid-portion Achilles tendinopathy |
| `os_trigonum` | Os trigonum syndrome |

## 2. Exercises

| `not_a_condition` | a slug outside the conditions table |

## 6. Sources

| R1 | Alfredson 1998 |
| R4b | a second part |
| SEED-000 | the first seed article |
"""
SEED = (
    "Heel drops are done slowly on the edge of a step with the knee straight and then bent, "
    "twice a day."
)


def write_reference(folder: Path, reference: str = REFERENCE) -> Path:
    (folder / "seeds").mkdir()
    (folder / "seeds" / "000_seed.txt").write_text(SEED)
    path = folder / "clinical-reference.md"
    path.write_text(reference)
    return path


def test_it_keeps_the_condition_slugs_source_ids_and_seed_fingerprints(tmp_path: Path) -> None:
    output = tmp_path / "index.json"
    call_command("reference_index", write_reference(tmp_path), output=output, stdout=StringIO())
    index = read_index(output)
    assert index.conditions == {"achilles_midportion", "os_trigonum"}
    assert index.source_ids == {"R1", "R4b", "SEED-000"}
    assert index.seed_files == ("000_seed.txt",)
    # Ten words copied from a seed, in other case and punctuation, are recognised; our own
    # words are not, and the seed's text itself is not stored.
    copied = "Then: HEEL DROPS are done slowly on the edge of a step, as shown."
    assert word_runs(copied) & index.seed_runs
    assert not word_runs("Lower the heel slowly below the step, then rise on both feet.") & (
        index.seed_runs
    )
    assert "slowly" not in output.read_text()


def test_check_fails_once_the_reference_has_changed(tmp_path: Path) -> None:
    output = tmp_path / "index.json"
    reference = write_reference(tmp_path)
    call_command("reference_index", reference, output=output, stdout=StringIO())
    call_command("reference_index", reference, output=output, check=True, stdout=StringIO())
    reference.write_text(REFERENCE.replace("| R4b |", "| R5 |"))
    with pytest.raises(CommandError, match="out of date"):
        call_command("reference_index", reference, output=output, check=True, stdout=StringIO())
    assert read_index(output).source_ids == {"R1", "R4b", "SEED-000"}  # --check wrote nothing
