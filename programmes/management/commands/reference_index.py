from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from programmes.reference_index import INDEX_PATH, build_index, index_json


class Command(BaseCommand):
    help = (
        "Extract what the catalogue's tests check against from the shared clinical reference "
        "(condition slugs, source ids, fingerprints of the seed articles) into "
        "programmes/catalogue/reference_index.json. Re-run it when the reference changes."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("reference", type=Path, help="path to clinical-reference.md")
        parser.add_argument(
            "--seeds",
            type=Path,
            help="folder of the seed articles (*.txt); default: seeds/ beside it",
        )
        parser.add_argument("--output", type=Path, default=INDEX_PATH)
        parser.add_argument(
            "--check",
            action="store_true",
            help="write nothing; fail if the file differs from what the reference gives",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        reference: Path = options["reference"]
        seeds: Path = options["seeds"] or reference.parent / "seeds"
        output: Path = options["output"]
        if not reference.is_file():
            raise CommandError(f"{reference} is not a file")
        seed_files = sorted(seeds.glob("*.txt"))
        if not seed_files:
            raise CommandError(f"no seed articles (*.txt) in {seeds}")
        content = index_json(
            build_index(reference.read_text(), [(p.name, p.read_text()) for p in seed_files])
        )
        if options["check"]:
            if not output.is_file() or output.read_text() != content:
                raise CommandError(f"{output} is out of date: re-run without --check")
            self.stdout.write(f"{output} is up to date")
            return
        output.write_text(content)
        self.stdout.write(f"wrote {output}")
