"""Browser tests: Playwright driving the Debian `chromium` package against a live server.

Playwright's own browser download is not available on the CI machines, so the system
Chromium is launched by path. Without it the tests skip locally and fail in CI (CI=true),
where `.ci/run` installs it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# between page actions are safe here because nothing else uses the connection.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).parent / "screenshots"


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, Any]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: apt-get install chromium"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return {
        "executable_path": str(CHROMIUM),
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture
def screenshot() -> Any:
    """`screenshot(page, "name")` saves a full-page PNG for reviewers to look at."""
    SCREENSHOTS.mkdir(exist_ok=True)

    def take(page: Any, name: str) -> None:
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    return take


@pytest.fixture(autouse=True)
def _close_contexts(browser: Any) -> Any:
    """Every browser context a test opened is closed after it. An open context keeps its
    keep-alive connections to the live server, and each of the server's threads holds a
    database connection until its socket closes: left open, they used up PostgreSQL's
    connections by the end of the suite (100), and the integration tests after it failed."""
    yield
    for context in browser.contexts:
        context.close()
