"""Playwright harness: real headless Chromium (Debian's binary) against pytest-django's live server.

Fixtures
- ``browser``  (session): Chromium; skipped with a reason when it is missing, FAILS under CI=true.
- ``context`` / ``page``: a fresh Japanese-locale, phone-sized browser context per test, with
  ``base_url`` set to the live server, so ``page.goto("/")`` works. Console errors and CSP
  violations are collected in ``page.problems`` (``assert_no_problems(page)``).
- ``e2e_shop`` / ``e2e_staff``: the ``shop`` / ``staff`` data of tests/conftest.py, committed so
  the live server thread sees it.
- ``new_page(viewport=DESKTOP, user=...)``: one more browser with its own cookies (staff + customer).
- ``login_as(user)`` (fixture): logs a user in by giving the browser a real session cookie;
  ``login_with_form(page, email, password)``: the same through the login page.
- ``screenshot(page, name)``: saves test-artifacts/e2e/<name>.png and returns the path.
- ``SHARED_DB``: on SQLite the live server's threads and the test share one in-memory connection;
  the server answers one database request at a time under this lock, and a test that reads the
  database while the page may still be talking to the server takes it too (``with SHARED_DB:``).
"""

import os
import re
import shutil
import threading
from pathlib import Path

import pytest
from django.core.servers.basehttp import ThreadedWSGIServer
from django.test.testcases import LiveServerThread

# Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run in a
# thread with a running loop unless told it is fine (the ORM work here is ordinary sync code).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}

# pytest-django's live server hands an in-memory SQLite database's one connection to every request
# thread. Two requests at once on it (a page's price list beside its service worker's fetch) break
# each other: "sqlite3.InterfaceError: bad parameter or other API misuse", a transaction of one
# request swallowing the other's statements. Django says not to query it from two threads at once,
# so under SQLite the server runs one request's application code at a time (static files, which
# touch no database, stay parallel); PostgreSQL gives each thread its own connection and is left
# fully concurrent.
SHARED_DB = threading.RLock()


def _one_at_a_time(application):
    from django.conf import settings
    from django.db import connections

    static = settings.STATIC_URL

    def serve(environ, start_response):
        shared = any(c.vendor == "sqlite" and c.is_in_memory_db() for c in connections.all(initialized_only=True))
        if not shared or environ.get("PATH_INFO", "").startswith(static):
            return application(environ, start_response)
        with SHARED_DB:
            response = application(environ, start_response)
            try:
                return list(response)  # the body is made (templates, lazy querysets) under the lock
            finally:
                if hasattr(response, "close"):
                    response.close()  # request_finished, inside the lock too

    return serve


class _SharedConnectionServer(ThreadedWSGIServer):
    def set_app(self, application):
        super().set_app(_one_at_a_time(application))


LiveServerThread.server_class = _SharedConnectionServer
DESKTOP = {"width": 1280, "height": 900}


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        message = "Chromium is not installed (apt-get install -y chromium); e2e tests need Debian's chromium"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " and CI=true, so this is a failure.", pytrace=False)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def playwright_instance():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance, chromium_path):
    browser = playwright_instance.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def viewport() -> dict:
    """Override in a module or test (``@pytest.mark.parametrize("viewport", [DESKTOP])``)."""
    return PHONE


@pytest.fixture
def context(browser, live_server, viewport):
    context = _new_context(browser, live_server, viewport)
    yield context
    context.close()


def watch_problems(page):
    """Collect console errors (CSP violations among them), page errors and failed requests."""
    page.problems = []

    def on_console(message):
        # Chromium asks for /favicon.ico by itself; a 404 there is not the page's doing
        if message.type == "error" and "favicon.ico" not in (message.location or {}).get("url", ""):
            page.problems.append(f"console: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: page.problems.append(f"pageerror: {error}"))
    def on_request_failed(request):
        # The browser fetches the favicon by itself and drops that fetch when the page navigates on
        # (net::ERR_ABORTED): the page did nothing wrong. Any other failed request is a problem.
        if "favicon" in request.url and "ERR_ABORTED" in (request.failure or ""):
            return
        page.problems.append(f"requestfailed: {request.url} {request.failure}")

    page.on("requestfailed", on_request_failed)
    return page


def _new_context(browser, live_server, viewport):
    context = browser.new_context(
        base_url=live_server.url,
        viewport=viewport,
        locale="ja-JP",
        timezone_id="Asia/Tokyo",
        extra_http_headers={"Accept-Language": "ja,en;q=0.5"},
    )
    context.set_default_timeout(10_000)
    return context


def _add_session_cookie(context, live_server, user) -> None:
    from django.conf import settings
    from django.test import Client

    client = Client()
    with SHARED_DB:
        client.force_login(user)
    context.add_cookies([{
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": live_server.url,
        "httpOnly": True,
        "secure": settings.SESSION_COOKIE_SECURE,
        "sameSite": "Lax",
    }])


@pytest.fixture
def new_page(browser, live_server):
    """``new_page(viewport=DESKTOP, user=staff)``: another browser (own cookies), e.g. staff beside a customer."""
    contexts = []

    def make(viewport: dict = PHONE, user=None):
        context = _new_context(browser, live_server, viewport)
        contexts.append(context)
        if user is not None:
            _add_session_cookie(context, live_server, user)
        return watch_problems(context.new_page())

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(context, request):
    page = watch_problems(context.new_page())
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        screenshot(page, f"FAILED-{request.node.name}")
    page.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.rep_call = report
    return report


def screenshot(page, name: str, full_page: bool = True) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / (re.sub(r"[^\w.-]+", "-", name) + ".png")
    page.screenshot(path=str(path), full_page=full_page)
    return path


def assert_no_problems(page) -> None:
    """No console errors (CSP violations show up there), page errors or failed requests."""
    assert page.problems == [], "\n".join(page.problems)


@pytest.fixture
def login_as(context, live_server):
    """``login_as(user)``: a real session (Django's test client) handed to the browser as its cookie."""
    return lambda user: _add_session_cookie(context, live_server, user)


def login_with_form(page, email: str, password: str, url: str | None = None) -> None:
    """Log in through a login page (Django's AuthenticationForm: fields username and password).

    ``url`` defaults to the storefront's sign-in page; staff use ``reverse("console:login")``.
    """
    from django.urls import reverse

    page.goto(url or reverse("storefront:login"))
    page.locator("input[name=username]").fill(email)
    page.locator("input[name=password]").fill(password)
    page.locator("form:has(input[name=password]) [type=submit]").first.click()
    page.wait_for_load_state()


@pytest.fixture
def e2e_shop(shop, transactional_db):
    """The ``shop`` of tests/conftest.py, committed (live server tests run without a wrapping transaction)."""
    return shop


@pytest.fixture
def e2e_staff(staff, transactional_db):
    return staff
