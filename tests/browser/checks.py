"""Accessibility and best-practice checks for the browser tests: axe-core run inside the page,
and Lighthouse run against the live server with Debian's Chromium.

Both come from the npm registry, pinned in tests/browser/package.json and installed by
`make test` (`npm ci`). Without them the checks skip on a laptop and fail in CI (CI=true),
like the browser itself (tests/browser/conftest.py)."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import pytest

NODE_MODULES = Path(__file__).parent / "node_modules"
AXE = NODE_MODULES / "axe-core" / "axe.min.js"
LIGHTHOUSE = NODE_MODULES / ".bin" / "lighthouse"
CHROMIUM = "/usr/bin/chromium"

# The rules axe runs: WCAG 2.0, 2.1 and 2.2 at levels A and AA, and axe's own best practices
# (landmarks, one main heading, region…): what a public-sector accessibility audit asks for.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def _missing(what: Path) -> None:
    message = f"{what} is missing: run `make install-browser-checks` (npm ci in tests/browser)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@cache
def _axe_source() -> str:
    return AXE.read_text()


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """The violations axe-core finds in the page as it is now. The script is evaluated through
    the DevTools protocol, so the Content-Security-Policy needs no exception for it."""
    if not AXE.exists():
        _missing(AXE)
    page.evaluate(_axe_source())
    result = page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
            return r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary})),
            }));
        }""",
        AXE_TAGS,
    )
    return list(result)


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:5]:
            summary = " ".join(str(node["summary"]).split())
            lines.append(f"    {node['target']}: {summary}")
    return "\n".join(lines)


def assert_no_axe_violations(page: Any, where: str = "") -> None:
    violations = axe_violations(page)
    assert not violations, f"axe-core on {where or page.url}:\n{describe(violations)}"


def lighthouse_scores(
    url: str, *, cookie: str = "", form_factor: str = "mobile"
) -> tuple[dict[str, float], dict[str, Any]]:
    """Lighthouse's accessibility and best-practices scores (0–1) for `url`, signed in by the
    session `cookie` ("sessionid=…"), and the audits that fell short of a full score."""
    if not LIGHTHOUSE.exists():
        _missing(LIGHTHOUSE)
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "report.json"
        command = [
            str(LIGHTHOUSE),
            url,
            "--quiet",
            "--output=json",
            f"--output-path={report}",
            "--only-categories=accessibility,best-practices",
            f"--form-factor={form_factor}",
            f"--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-quic "
            f"--no-first-run --disable-background-networking --disable-component-update "
            f"--disable-sync --user-data-dir={scratch}/profile",
        ]
        if form_factor == "desktop":
            command.append("--preset=desktop")
        if cookie:
            command.append("--extra-headers=" + json.dumps({"Cookie": cookie}))
        environment = {**os.environ, "CHROME_PATH": CHROMIUM}
        completed = subprocess.run(
            command, env=environment, capture_output=True, text=True, timeout=180, check=False
        )
        assert report.exists(), f"Lighthouse failed ({completed.returncode}):\n{completed.stderr}"
        data = json.loads(report.read_text())
    scores = {name: category["score"] for name, category in data["categories"].items()}
    short: dict[str, Any] = {}
    for category in data["categories"].values():
        for reference in category["auditRefs"]:
            audit = data["audits"][reference["id"]]
            if reference["weight"] and audit["score"] is not None and audit["score"] < 1:
                short[audit["id"]] = {
                    "title": audit["title"],
                    "items": [
                        {k: v for k, v in item.items() if k in ("url", "description", "source")}
                        for item in (audit.get("details") or {}).get("items", [])[:5]
                    ],
                }
    return scores, short
