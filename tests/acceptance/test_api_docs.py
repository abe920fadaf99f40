"""``/docs`` and ``/redoc`` render in a real browser with no network but the server's own.

Chromium (Debian's, through Playwright) resolves no host but the loopback server, and every
request the page makes is watched: one to anywhere else fails the test. Each page must render
every operation of ``/openapi.json``; the test keeps a screenshot of each.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, Route, sync_playwright

from tests.acceptance.browser import OFFLINE_ARGS, chromium_path
from tests.acceptance.live import LiveServer

pytestmark = pytest.mark.acceptance

RENDER_TIMEOUT_MS = 60_000
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = chromium_path()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(executable), args=OFFLINE_ARGS)
        yield launched
        launched.close()


class Watched:
    """A page whose requests outside ``origin`` are refused and recorded."""

    def __init__(self, browser: Browser, origin: str) -> None:
        self.origin = origin
        self.outside: list[str] = []
        self.errors: list[str] = []
        self.page: Page = browser.new_page()
        self.page.route("**/*", self._route)
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def _route(self, route: Route) -> None:
        if route.request.url.startswith(self.origin + "/"):
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()


def operation_count(server: LiveServer) -> int:
    spec = httpx.get(f"{server.url}/openapi.json", timeout=30).json()
    methods = {"get", "put", "post", "patch", "delete", "head", "options"}
    return sum(1 for item in spec["paths"].values() for method in item if method in methods)


@pytest.mark.parametrize(
    ("page_path", "operation_selector"),
    [("/docs", ".opblock"), ("/redoc", "[data-section-id^='operation/']")],
)
def test_the_api_pages_render_offline(
    page_path: str,
    operation_selector: str,
    browser: Browser,
    live_server: LiveServer,
    tmp_path: Path,
) -> None:
    watched = Watched(browser, live_server.url)
    try:
        response = watched.page.goto(live_server.url + page_path)
        assert response is not None and response.status == 200
        watched.page.wait_for_selector(operation_selector, timeout=RENDER_TIMEOUT_MS)
        rendered = watched.page.locator(operation_selector).count()
        shot = tmp_path / f"{page_path.strip('/')}.png"
        watched.page.screenshot(path=str(shot))
    finally:
        watched.page.close()
    assert watched.outside == [], "the page tried to load from outside the server"
    assert watched.errors == []
    assert rendered == operation_count(live_server)
    assert shot.read_bytes().startswith(PNG_MAGIC)
    assert shot.stat().st_size > 20_000, "the screenshot looks blank"


def test_the_pages_name_nothing_outside_the_server(live_server: LiveServer) -> None:
    for page_path in ("/docs", "/redoc", "/docs/oauth2-redirect"):
        page = httpx.get(live_server.url + page_path, timeout=30)
        assert page.status_code == 200
        assert "http://" not in page.text and "https://" not in page.text
        assert "default-src 'self'" in page.headers["content-security-policy"]
    asset = httpx.get(f"{live_server.url}/docs-assets/swagger-ui-bundle.js", timeout=30)
    assert asset.status_code == 200 and "SwaggerUIBundle" in asset.text
