"""Playwright (sync API) against pytest-django's live server, driving the system Chromium.

Chromium comes from the Debian package (/usr/bin/chromium); a browser is never downloaded. Without it the
browser tests skip with a visible reason, except in CI (``CI=true``) where that is a failure (DESIGN §9.4).
"""

import os
from pathlib import Path

import pytest

from tests.factories import PASSWORD  # every test user's password

# Playwright's sync API runs an event loop in this thread; Django must still allow ORM calls from it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CRM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = Path(os.environ.get("CRM_SHOTS_DIR", "/tmp/shots"))
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}


@pytest.fixture(scope="session")
def browser(playwright):
    """Headless system Chromium (overrides pytest-playwright's ``browser``)."""
    if not Path(CHROMIUM).exists():
        reason = f"Chromium not installed at {CHROMIUM}: browser tests need the Debian package 'chromium'"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason} (required in CI)", pytrace=False)
        pytest.skip(reason)
    instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield instance
    instance.close()


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": DESKTOP, "locale": "zh-CN", "timezone_id": "Asia/Shanghai"}


@pytest.fixture
def shots():
    """Where screenshots go; ``shots("name")`` gives the path of ``/tmp/shots/name.png``."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    return lambda name: str(SHOTS / f"{name}.png")


@pytest.fixture
def page_as(browser, live_server, transactional_db):
    """``page_as(user, viewport=PHONE)`` → a new page logged in through the login form as ``user``."""
    contexts = []

    def login(user, viewport=None):
        context = browser.new_context(viewport=viewport or DESKTOP, locale="zh-CN", timezone_id="Asia/Shanghai")
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", PASSWORD)
        page.click("#login-submit")
        page.wait_for_url(f"{live_server.url}/")
        return page

    yield login
    for context in contexts:
        context.close()
