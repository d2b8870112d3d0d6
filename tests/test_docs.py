"""The README stays a short front door, and the docs it points to stay true to the code.

- README.md is at most 8,000 characters and still shows the two set-up commands.
- Every environment variable the code reads is documented in docs/configuration.md. The code
  reads them through the helpers in rehab/env.py (`env_bool("DEBUG", False)`, `env_str`,
  `env_int`, `env_list`) and, in gunicorn.conf.py and rehab/settings_production.py, through
  `os.environ.get(...)`; the scan below finds the first string argument of each such call.
- Every relative link in README.md and docs/*.md points to a file that exists.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"
CONFIGURATION = DOCS / "configuration.md"

# Where the code reads its configuration (tests/ and bench/ read their own knobs and are
# documented with them in docs/testing.md and bench/README.md).
SOURCE_ROOTS = [ROOT / "rehab", ROOT / "patients", ROOT / "programmes", ROOT / "gunicorn.conf.py"]

# env_bool("NAME", …), env.str("NAME"), os.environ.get("NAME"), os.environ["NAME"],
# os.environ.setdefault("NAME", …), os.getenv("NAME"); the name may follow a line break.
ENV_READ = re.compile(
    r"""(?:
        \benv_(?:bool|int|list|str)
      | \benv\.(?:bool|int|float|str|list|json|url|db_url|db|cache_url|cache|email_url|email|path)
      | \bos\.environ\.(?:get|setdefault)
      | \bos\.getenv
    )\(\s*["']([A-Z][A-Z0-9_]*)["']
    | \bos\.environ\[\s*["']([A-Z][A-Z0-9_]*)["']\s*\]
    """,
    re.VERBOSE,
)

# A row of the variables table: | `NAME` | default | meaning |
TABLE_ROW = re.compile(r"^\| `([A-Z][A-Z0-9_]*)` \|", re.MULTILINE)

MARKDOWN_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)


def python_sources() -> list[Path]:
    files: list[Path] = []
    for root in SOURCE_ROOTS:
        if root.is_file():
            files.append(root)
        else:
            files.extend(p for p in root.rglob("*.py") if "migrations" not in p.parts)
    return sorted(files)


def environment_variables_read() -> dict[str, list[str]]:
    """Each variable name → the files that read it."""
    found: dict[str, list[str]] = {}
    for path in python_sources():
        for match in ENV_READ.finditer(path.read_text(encoding="utf-8")):
            name = match.group(1) or match.group(2)
            found.setdefault(name, []).append(str(path.relative_to(ROOT)))
    return found


def markdown_files() -> list[Path]:
    return [README, *sorted(DOCS.glob("*.md"))]


def test_readme_is_a_short_front_door() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(text) <= 8000, f"README.md has {len(text)} characters; move detail into docs/"
    assert "make run" in text
    assert "make test" in text


def test_the_scan_finds_the_variables_read_by_each_kind_of_call() -> None:
    found = environment_variables_read()
    # One of each way of reading: env_bool, env_str, env_int, env_list (rehab/settings.py),
    # a multi-line env_str call, and os.environ.get (gunicorn.conf.py).
    for name in (
        "DEBUG",
        "DATABASE_URL",
        "REHAB_TOKEN_TTL_DAYS",
        "ALLOWED_HOSTS",
        "REHAB_STATICFILES_STORAGE",
        "WEB_CONCURRENCY",
    ):
        assert name in found, f"the scan missed {name}; is the regex still right?"


def test_every_environment_variable_read_is_documented() -> None:
    documented = set(TABLE_ROW.findall(CONFIGURATION.read_text(encoding="utf-8")))
    missing = {
        name: files
        for name, files in sorted(environment_variables_read().items())
        if name not in documented
    }
    assert not missing, f"not documented in docs/configuration.md: {missing}"


@pytest.mark.parametrize("path", markdown_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_point_to_existing_files(path: Path) -> None:
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    broken = []
    for target in MARKDOWN_LINK.findall(text):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            continue  # http:, https:, mailto: …; an anchor in the same page
        file_part = target.split("#", 1)[0]
        if not (path.parent / file_part).exists():
            broken.append(target)
    assert not broken, f"{path.relative_to(ROOT)} links to missing files: {broken}"
