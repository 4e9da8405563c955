"""Browser tests: Playwright (Python, sync API) driving Debian's chromium, headless, against pytest-django's
live server. Where chromium (or the playwright package) is missing they skip and say why; `make test`
installs chromium with apt where it can."""

import shutil
from pathlib import Path

import pytest
from django.db import connections

BASE_DIR = Path(__file__).resolve().parents[2]
SCREENSHOTS = BASE_DIR / "test-artifacts" / "screenshots"

# Chromium as it runs here: no sandbox (root in a container), WebGL on the CPU through SwiftShader, and
# none of Google's background services (the network is closed; their retries only slow the browser down).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives the dashboard in a real (headless chromium) browser")


@pytest.fixture(scope="session")
def chromium_path():
    path = shutil.which("chromium")
    if path is None:
        pytest.skip("chromium is not installed (make test installs it with apt where it can: apt-get install "
                    "chromium); the browser tests need it")
    return path


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keeps each phase's report on the test, so fixtures can tell whether the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def browser_args():
    """Chromium arguments a test module adds to CHROMIUM_ARGS (override this fixture, e.g. for a fake camera)."""
    return []


@pytest.fixture
def browser(chromium_path, browser_args, monkeypatch, request):
    """A headless chromium. Playwright's sync API keeps an asyncio loop in this thread, which makes Django
    refuse database calls from it unless told that this is deliberate. When the test fails, every page
    still open is saved as test-artifacts/screenshots/failed-<test>-<n>.png."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=[*CHROMIUM_ARGS, *browser_args],
                                             headless=True)
        try:
            yield browser
            report = getattr(request.node, "report_call", None)
            if report is not None and report.failed:
                _save_open_pages(browser, request.node.name)
        finally:
            browser.close()
            # With Playwright's loop running, Django keeps this thread's database connections apart from the
            # usual ones (asgiref's Local acts as a context variable then): the test's own queries opened
            # connections pytest-django never sees. Closed here, while they are still reachable; left
            # open, they keep PostgreSQL from dropping the test database.
            connections.close_all()


def _save_open_pages(browser, test_name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    pages = [page for context in browser.contexts for page in context.pages]
    for number, page in enumerate(pages, start=1):
        try:
            page.screenshot(path=str(SCREENSHOTS / f"failed-{test_name}-{number}.png"), full_page=True)
        except Exception as exc:  # a page that is closing: the failure itself matters more
            print(f"could not save a screenshot of {page.url}: {exc}")


@pytest.fixture
def screenshot():
    """screenshot(page, name) saves the whole page as test-artifacts/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name):
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
