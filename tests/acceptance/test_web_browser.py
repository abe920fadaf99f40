"""The web UI in a real Chromium (Debian's, through Playwright): a person signs up, creates a
repo, reads its card, browses the tree at a tag, reads the history and signs out.

One browser and one server for the module. Every page is watched: a console error, an
uncaught exception, a policy violation or a request to anywhere but the server fails the
test. Screenshots of the main pages go to the test's temporary folder, or to
``$WEIGHTHOUSE_TEST_ARTIFACTS/web`` when that is set.
"""

from __future__ import annotations

import base64
import hashlib
import http.server
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Route, expect, sync_playwright

from tests.acceptance.api import unique
from tests.acceptance.browser import OFFLINE_ARGS, chromium_path
from tests.acceptance.live import LiveServer, free_port
from tests.acceptance.test_jobs import job_env

pytestmark = pytest.mark.acceptance

PASSWORD = "correct horse battery"
TIMEOUT_MS = 30_000
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
CARD = """---
license: mit
pipeline_tag: text-classification
---
# Tiny classifier

Reads **text**, says which kind it is.

<script>window.pwned = 1</script>
<img src=x onerror="window.pwned = 2">
[click me](javascript:window.pwned=3)
[the weights](weights/model.bin)
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, server_workers: int) -> Iterator[LiveServer]:
    live = LiveServer(
        data_dir=tmp_path_factory.mktemp("webui") / "data",
        workers=server_workers,
        extra_env={
            **job_env(),
            "WEIGHTHOUSE_AUTH__ARGON2_MEMORY_KIB": "8192",
            "WEIGHTHOUSE_AUTH__ARGON2_TIME_COST": "1",
        },
    ).start()
    yield live
    live.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = chromium_path()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(executable), args=OFFLINE_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    root = os.environ.get("WEIGHTHOUSE_TEST_ARTIFACTS")
    folder = Path(root) / "web" if root else tmp_path / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class Watched:
    """A browser tab whose problems are recorded: console errors (policy violations are
    reported there too), uncaught exceptions, and requests outside the allowed origins."""

    def __init__(self, browser: Browser, origins: tuple[str, ...], width: int = 1280) -> None:
        self.origins = origins
        self.problems: list[str] = []
        self.context = browser.new_context(viewport={"width": width, "height": 900})
        self.page: Page = self.context.new_page()
        self.page.set_default_timeout(TIMEOUT_MS)
        self.page.route("**/*", self._route)
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            self.problems.append(f"console {message.type}: {message.text}")

    def _route(self, route: Route) -> None:
        if route.request.url.startswith(tuple(o + "/" for o in self.origins)):
            route.continue_()
        else:
            self.problems.append(f"request outside the server: {route.request.url}")
            route.abort()

    def shot(self, folder: Path, name: str) -> Path:
        path = folder / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        assert path.read_bytes().startswith(PNG_MAGIC)
        return path

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def tab(browser: Browser, server: LiveServer) -> Iterator[Watched]:
    watched = Watched(browser, (server.url,))
    yield watched
    watched.close()
    assert watched.problems == []


def sign_up(tab: Watched, server: LiveServer, name: str) -> None:
    page = tab.page
    page.goto(server.url + "/")
    page.get_by_role("link", name="Sign up").click()
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(server.url + "/ui/")
    assert page.locator(f'[data-user="{name}"]').is_visible()


def assert_labelled(page: Page) -> None:
    """Every visible form control of the page has a label."""
    unlabelled = page.evaluate(
        """[...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
           .filter(e => !e.labels || e.labels.length === 0).map(e => e.name)"""
    )
    assert unlabelled == [], page.url


def tab_through(page: Page, stop: str, limit: int = 60) -> list[str]:
    """Press Tab from the top of the page until the control named ``stop`` has the focus;
    the names of the controls passed, each of which must show a focus outline."""
    page.locator("body").focus()
    names: list[str] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            """() => { const e = document.activeElement, style = getComputedStyle(e);
            const label = e.getAttribute('aria-label') || e.labels?.[0]?.textContent;
            return { name: (label || e.textContent || '').trim(),
                     outline: style.outlineStyle !== 'none'
                              && parseFloat(style.outlineWidth) >= 2 }; }"""
        )
        assert focused["outline"], f"{focused['name']!r} shows no focus"
        names.append(focused["name"])
        if focused["name"] == stop:
            return names
    raise AssertionError(f"Tab never reached {stop!r}: {names}")


def fill_repo(server: LiveServer, repo: str) -> str:
    """Two commits through the API, a tag ``v1`` on the first; the first commit's id."""
    with server.client(server.admin_token) as admin:

        def put(path: str, data: bytes) -> str:
            done = admin.put(
                f"/api/models/{repo}/upload/main/{path}",
                content=data,
                headers={"X-Content-SHA256": hashlib.sha256(data).hexdigest()},
                params={"message": f"add {path}"},
            )
            assert done.status_code == 201, done.text
            return str(done.json()["commit"]["id"])

        put("README.md", CARD.encode())
        first = put("weights/model.bin", os.urandom(4096))
        made = admin.post(f"/api/models/{repo}/tags", json={"name": "v1", "revision": first})
        assert made.status_code == 201, made.text
        put("weights/extra.bin", b"later")
    return first


def test_a_person_signs_up_creates_a_repo_browses_it_and_signs_out(
    tab: Watched, server: LiveServer, shots: Path
) -> None:
    page = tab.page
    name = unique("ann")
    sign_up(tab, server, name)
    tab.shot(shots, "explore")

    # Create a repo with the form.
    repo_name = unique("clf")
    page.get_by_role("link", name="New").click()
    page.get_by_label("Name", exact=True).fill(repo_name)
    page.get_by_label("Description").fill("A tiny classifier")
    page.get_by_role("button", name="Create").click()
    page.wait_for_url(f"{server.url}/ui/models/{name}/{repo_name}")
    assert "no README.md" in page.content()
    first = fill_repo(server, f"{name}/{repo_name}")

    # The card: rendered, its metadata shown, its script inert.
    page.reload()
    card = page.get_by_role("region", name="Model card")
    assert card.get_by_role("heading", name="Tiny classifier").is_visible()
    assert card.locator("dt", has_text="pipeline_tag").is_visible()
    assert card.locator("strong", has_text="text").is_visible()
    assert "<script>window.pwned = 1</script>" in card.inner_text()
    assert page.evaluate("typeof window.pwned") == "undefined"
    assert card.get_by_role("link", name="click me").count() == 0
    tab.shot(shots, "repo")

    # The tree at the tag has the first commit's files only.
    page.get_by_role("link", name="Files").click()
    page.wait_for_url("**/tree?rev=main")
    page.wait_for_load_state()  # the picker submits itself once the page's script is in
    page.get_by_label("Revision").select_option("v1")
    page.wait_for_url("**/tree?rev=v1")
    # A click that navigates returns before the next page is in: the checks below wait for it.
    page.get_by_role("link", name="weights/").click()
    page.wait_for_url("**/tree?rev=v1&path=weights")
    expect(page.get_by_role("link", name="model.bin", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="extra.bin")).to_have_count(0)
    tab.shot(shots, "tree-at-tag")
    page.get_by_role("link", name="model.bin", exact=True).click()
    expect(page.get_by_role("main")).to_contain_text("binary")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download it").click()
    assert Path(download.value.path()).stat().st_size == 4096

    # History at the tag: the empty first commit and the two the tag holds.
    page.get_by_role("link", name="History").click()
    page.wait_for_url("**/commits?rev=v1")
    commits = page.locator("li.commit")
    expect(commits).to_have_count(3)
    expect(commits.first).to_contain_text("add weights/model.bin")
    tab.shot(shots, "history")
    page.locator(f'a[href$="/commit/{first}"]').click()
    expect(page.locator("tr.change.added")).to_contain_text("weights/model.bin")
    tab.shot(shots, "commit")

    # Sign out: the session cookie goes, and the page shows a visitor again.
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(server.url + "/ui/")
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    assert not [c for c in tab.context.cookies() if c["name"] == "weighthouse_session"]


def run_app(tab: Watched, repo_url: str, params: str) -> None:
    """Run ``echo`` from the repo page's form, its results committed to main; the job page
    is in when this returns."""
    page = tab.page
    page.goto(repo_url)
    page.get_by_label("App", exact=True).select_option("echo")
    page.get_by_label("Parameters (JSON)").fill(params)
    page.get_by_label("Commit its results to main").check()
    page.get_by_role("button", name="Run", exact=True).click()
    page.wait_for_url("**/ui/jobs/*")


def test_a_job_is_watched_to_the_end_and_another_cancelled(
    tab: Watched, server: LiveServer, shots: Path
) -> None:
    page = tab.page
    name = unique("eve")
    sign_up(tab, server, name)
    repo = unique("jobs")
    page.goto(f"{server.url}/ui/new")
    page.get_by_label("Name", exact=True).fill(repo)
    page.get_by_role("button", name="Create").click()
    repo_url = f"{server.url}/ui/models/{name}/{repo}"
    page.wait_for_url(repo_url)

    # The keyboard reaches the page's main actions in order, each showing where the focus is.
    page.wait_for_load_state()
    passed = tab_through(page, "Run")
    assert passed[0] == "Skip to content"
    for action in ("Files", "History", "Upload", "Settings", "Revision", "App", "Run"):
        assert action in passed, (action, passed)
    assert passed.index("Upload") < passed.index("Revision") < passed.index("App")
    assert_labelled(page)

    # Watch a job finish: the page follows its progress without a reload.
    run_app(tab, repo_url, '{"text": "done", "seconds": 3}')
    job_id = page.url.rsplit("/", 1)[1]
    page.evaluate(
        """() => { window.seen = [];
        const shown = document.getElementById('job-progress');
        new MutationObserver(() => { for (const bar of shown.querySelectorAll('progress'))
          window.seen.push(Number(bar.value) / Number(bar.max)); })
          .observe(shown, { childList: true, subtree: true }); }"""
    )
    expect(page.locator("#job-status")).to_have_text("succeeded", timeout=60_000)
    assert any(0 < fraction < 1 for fraction in page.evaluate("window.seen")), "no progress"
    expect(page.locator("#job-log")).to_contain_text("echoed 'done'")
    expect(page.get_by_role("button", name="Cancel job")).to_have_count(0)
    assert_labelled(page)
    tab.shot(shots, "job")
    page.get_by_role("link", name="The result commit").click()
    page.wait_for_url(f"{repo_url}/commit/*")
    expect(page.locator("tr.change.added")).to_contain_text(f"{job_id}/0.txt")

    # Cancel a slow one from its page once it runs.
    run_app(tab, repo_url, '{"text": "never", "seconds": 60}')
    slow = page.url
    expect(page.locator("#job-status")).to_have_text("running")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Cancel job").click()
    page.wait_for_url(slow)
    expect(page.locator("#job-status")).to_have_text("cancelled")
    page.goto(f"{server.url}/ui/jobs?status=cancelled")
    expect(page.locator("tr.job-row")).to_have_count(1)
    expect(page.locator("tr.job-row")).to_contain_text("echo")
    assert_labelled(page)
    tab.shot(shots, "jobs")


def sign_in(tab: Watched, server: LiveServer, name: str) -> None:
    page = tab.page
    page.goto(server.url + "/ui/signin")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(server.url + "/ui/")


def test_a_member_added_to_an_organisation_sees_its_private_repo(
    tab: Watched, browser: Browser, server: LiveServer, shots: Path
) -> None:
    page = tab.page
    boss, friend = unique("fay"), unique("gus")
    sign_up(tab, server, boss)
    with server.client(server.admin_token) as admin:
        made = admin.post("/api/users", json={"name": friend, "password": PASSWORD})
        assert made.status_code == 201, made.text
    org, repo = unique("team"), unique("secret")
    page.get_by_role("link", name="Organisations").click()
    page.get_by_label("Organisation name").fill(org)
    page.get_by_role("button", name="Create organisation").click()
    page.wait_for_url(f"{server.url}/ui/orgs/{org}")
    page.goto(f"{server.url}/ui/new")
    page.get_by_label("Owner (you or one of your organisations)").fill(org)
    page.get_by_label("Name", exact=True).fill(repo)
    page.get_by_label("Private").check()
    page.get_by_role("button", name="Create").click()
    page.wait_for_url(f"{server.url}/ui/models/{org}/{repo}")

    other = Watched(browser, (server.url,))
    try:
        sign_in(other, server, friend)
        other.page.goto(f"{server.url}/ui/?q={repo}")
        expect(other.page.get_by_role("link", name=f"{org}/{repo}")).to_have_count(0)

        page.goto(f"{server.url}/ui/orgs/{org}")
        page.get_by_label("User", exact=True).fill(friend)
        page.get_by_label("Role").select_option("read")
        page.get_by_role("button", name="Add or change member").click()
        expect(page.locator("tr.member", has_text=friend)).to_contain_text("read")
        assert_labelled(page)
        tab.shot(shots, "organisation")

        other.page.reload()
        other.page.get_by_role("link", name=f"{org}/{repo}").click()
        other.page.wait_for_url(f"{server.url}/ui/models/{org}/{repo}")
        expect(other.page.get_by_role("heading", level=1)).to_contain_text(f"{org}/{repo}")
        assert other.problems == []
    finally:
        other.close()


class _EvilPage(http.server.BaseHTTPRequestHandler):
    """Another origin's page with a form that posts to the server's create-repo page."""

    target = ""

    def do_GET(self) -> None:
        body = (
            "<!doctype html><title>win a prize</title>"
            f'<form method="post" action="{self.target}">'
            '<input name="kind" value="models"><input name="name" value="planted">'
            '<button type="submit">Claim</button></form>'
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_a_cross_site_form_post_is_refused(browser: Browser, server: LiveServer) -> None:
    port = free_port()
    handler = type("Evil", (_EvilPage,), {"target": f"{server.url}/ui/new"})
    evil = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=evil.serve_forever, daemon=True)
    thread.start()
    watched = Watched(browser, (server.url, f"http://127.0.0.1:{port}"))
    try:
        name = unique("bob")
        sign_up(watched, server, name)
        page = watched.page
        page.goto(f"http://127.0.0.1:{port}/")
        with page.expect_response(f"{server.url}/ui/new") as answer:
            page.get_by_role("button", name="Claim").click()
        assert answer.value.status == 403
        page.goto(f"{server.url}/ui/models/{name}/planted")
        assert "Repository not found" in page.content()
        # 403 and 404 pages log a failed load: those two are expected, nothing else.
        expected = [p for p in watched.problems if "status of 403" in p or "status of 404" in p]
        assert len(expected) == len(watched.problems) == 2
    finally:
        watched.close()
        evil.shutdown()
        evil.server_close()
        thread.join(timeout=10)


def test_keyboard_and_phone_width(browser: Browser, server: LiveServer, shots: Path) -> None:
    phone = Watched(browser, (server.url,), width=390)
    try:
        page = phone.page
        page.goto(server.url + "/ui/signin")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "Skip to content"
        page.keyboard.press("Enter")
        # Every form control has a label.
        unlabelled = page.evaluate(
            """[...document.querySelectorAll('input:not([type=hidden]), select')]
               .filter(e => !e.labels || e.labels.length === 0).map(e => e.name)"""
        )
        assert unlabelled == []
        for path in ("/ui/", "/ui/signin", "/ui/signup"):
            page.goto(server.url + path)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"{path} scrolls sideways at phone width ({width}px)"
        phone.shot(shots, "phone-explore")
        assert phone.problems == []
    finally:
        phone.close()


BIG = 200 * 1024 * 1024
# Against two server processes the upload's requests still cross processes with a smaller
# file; the 200 MB one, a test of streaming rather than of processes, runs with one-process servers.
BIG_ON_MANY_PROCESSES = 16 * 1024 * 1024


def write_random(path: Path, size: int) -> str:
    digest = hashlib.sha256()
    with path.open("wb") as out:
        left = size
        while left:
            piece = os.urandom(min(left, 4 * 1024 * 1024))
            digest.update(piece)
            out.write(piece)
            left -= len(piece)
    return digest.hexdigest()


def test_a_folder_with_a_200_mb_file_uploads_as_one_commit(
    tab: Watched, server: LiveServer, tmp_path: Path, shots: Path, server_workers: int
) -> None:
    page = tab.page
    name = unique("cat")
    sign_up(tab, server, name)
    repo = unique("big")
    page.goto(f"{server.url}/ui/new")
    page.get_by_label("Name", exact=True).fill(repo)
    page.get_by_role("button", name="Create").click()
    page.wait_for_url(f"{server.url}/ui/models/{name}/{repo}")

    folder = tmp_path / "checkpoint"
    (folder / "shards").mkdir(parents=True)
    big_sha = write_random(
        folder / "shards" / "big.bin", BIG if server_workers == 1 else BIG_ON_MANY_PROCESSES
    )
    (folder / "config.json").write_text('{"layers": 2}')
    page.get_by_role("link", name="Upload").click()
    # Files set before the page's script is in would fire a change no one hears.
    page.wait_for_url("**/upload?rev=main")
    page.wait_for_load_state()
    page.get_by_label("A folder").set_input_files(str(folder))
    # A file dropped on the page joins the folder's files.
    dropped = page.evaluate_handle(
        "() => { const d = new DataTransfer();"
        " d.items.add(new File(['dropped bytes'], 'dropped.txt')); return d; }"
    )
    page.dispatch_event("#drop", "drop", {"dataTransfer": dropped})
    expect(page.locator("#chosen")).to_contain_text("3 file(s)")
    page.get_by_label("Commit message").fill("a checkpoint from the browser")
    page.get_by_label("Tag the commit (optional)").fill("v1")
    page.evaluate(
        """() => { window.seen = [];
        const bar = document.getElementById('progress');
        new MutationObserver(() => window.seen.push(Number(bar.value) / Number(bar.max)))
          .observe(bar, { attributes: true }); }"""
    )
    page.get_by_role("button", name="Upload and commit").click()
    page.locator("#done").wait_for(timeout=300_000)
    tab.shot(shots, "upload")
    seen = page.evaluate("window.seen")
    assert any(0 < fraction < 1 for fraction in seen), "no progress was shown"
    assert "tagged it v1" in page.locator("#status").inner_text()

    with server.client(server.admin_token) as admin:
        refs = admin.get(f"/api/models/{name}/{repo}/refs").json()
        assert [t["name"] for t in refs["tags"]] == ["v1"]
        assert refs["tags"][0]["commit"] == refs["branches"][0]["commit"]
        log = admin.get(f"/api/models/{name}/{repo}/commits/main").json()["items"]
        assert log[0]["message"] == "a checkpoint from the browser"
        assert len(log) == 2, "all the files went in as one commit"
        digest = hashlib.sha256()
        with admin.stream(
            "GET", f"/api/models/{name}/{repo}/resolve/v1/checkpoint/shards/big.bin"
        ) as got:
            assert got.status_code == 200
            for piece in got.iter_bytes(4 * 1024 * 1024):
                digest.update(piece)
        assert digest.hexdigest() == big_sha
        small = admin.get(f"/api/models/{name}/{repo}/resolve/v1/dropped.txt")
        assert small.content == b"dropped bytes"
        assert admin.get(f"/api/models/{name}/{repo}/resolve/v1/checkpoint/config.json").json() == {
            "layers": 2
        }


def test_a_bucket_is_browsed_by_prefix_uploaded_to_and_cleaned(
    tab: Watched, server: LiveServer, tmp_path: Path, shots: Path
) -> None:
    page = tab.page
    name = unique("dan")
    sign_up(tab, server, name)
    bucket = unique("bkt")
    page.goto(f"{server.url}/ui/new")
    page.get_by_label("Kind").select_option("buckets")
    page.get_by_label("Name", exact=True).fill(bucket)
    page.get_by_role("button", name="Create").click()
    page.wait_for_url(f"{server.url}/ui/buckets/{name}/{bucket}")
    folder = tmp_path / "logs"
    (folder / "day1").mkdir(parents=True)
    (folder / "day1" / "a b+c.txt").write_text("first")
    (folder / "top.txt").write_text("top")
    page.get_by_label("A folder").set_input_files(str(folder))
    page.get_by_role("button", name="Upload", exact=True).click()
    page.locator("#done").click()
    page.get_by_role("link", name="logs/").click()
    page.get_by_role("link", name="day1/").click()
    tab.shot(shots, "bucket")
    with page.expect_download() as download:
        page.get_by_role("link", name="a b+c.txt").click()
    assert Path(download.value.path()).read_text() == "first"
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete logs/day1/a b+c.txt").click()
    expect(page.get_by_role("link", name="a b+c.txt")).to_have_count(0)
    with server.client(server.admin_token) as admin:
        listed = admin.get(f"/api/buckets/{name}/{bucket}/objects").json()
        keys = [o["key"] for o in listed.get("objects", listed.get("items", []))]
        assert keys == ["logs/top.txt"], listed


def open_pull_request(server: LiveServer, repo: str, token: str, path: str, data: bytes) -> int:
    """A pull request opened and committed to through the Hub API, as ``huggingface_hub``'s
    ``upload_file(create_pr=True)`` does in two steps; its number."""
    auth = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=f"{server.url}/hf", headers=auth, timeout=30) as hub:
        opened = hub.post(
            f"/api/models/{repo}/discussions",
            json={"title": f"Add {path}", "description": "Please merge", "pullRequest": True},
        )
        assert opened.status_code == 200, opened.text
        num = int(opened.json()["num"])
        lines = [
            {"key": "header", "value": {"summary": f"add {path}", "description": ""}},
            {
                "key": "file",
                "value": {
                    "path": path,
                    "content": base64.b64encode(data).decode(),
                    "encoding": "base64",
                },
            },
        ]
        done = hub.post(
            f"/api/models/{repo}/commit/refs%2Fpr%2F{num}",
            content="\n".join(json.dumps(line) for line in lines).encode(),
            headers={"Content-Type": "application/x-ndjson"},
        )
        assert done.status_code == 200, done.text
    return num


def test_discussions_are_opened_commented_on_and_a_pull_request_merged(
    tab: Watched, browser: Browser, server: LiveServer, shots: Path
) -> None:
    """The owner opens a discussion and merges a pull request from its page; a reader
    comments but is offered no merge; anonymous visitors find a private repo's discussions
    missing."""
    page = tab.page
    owner, reader = unique("hal"), unique("ivy")
    sign_up(tab, server, owner)
    repo = f"{owner}/{unique('talk')}"
    with server.client(server.admin_token) as admin:
        made = admin.post(
            "/api/repos",
            json={"type": "model", "namespace": owner, "name": repo.split("/")[1], "private": True},
        )
        assert made.status_code == 201, made.text
        assert (
            admin.post("/api/users", json={"name": reader, "password": PASSWORD}).status_code == 201
        )
        token = admin.post(
            "/api/tokens", json={"name": "pr", "scope": "write", "user": owner}
        ).json()["token"]
        granted = admin.put(f"/api/models/{repo}/collaborators/{reader}", json={"role": "read"})
        assert granted.status_code in (200, 201, 204), granted.text
    num = open_pull_request(server, repo, token, "notes.txt", b"from the reader")

    # Open a discussion from the list page.
    page.goto(f"{server.url}/ui/models/{repo}")
    page.get_by_role("link", name="Discussions").click()
    page.wait_for_url("**/discussions")
    expect(page.locator("tr.discussion-row")).to_have_count(1)
    page.get_by_role("link", name="New discussion").click()
    page.get_by_label("Title").fill("Which licence?")
    page.get_by_label("Description").fill("Is it <b>MIT</b>?")
    page.get_by_role("button", name="Open discussion").click()
    expect(page.locator("h2.discussion-title")).to_contain_text("Which licence?")
    # A comment is text: the markup it holds shows as typed.
    expect(page.locator(".comment-body").first).to_have_text("Is it <b>MIT</b>?")
    assert_labelled(page)
    tab.shot(shots, "discussion")

    # The reader comments on the pull request but is offered no merge.
    other = Watched(browser, (server.url,))
    try:
        sign_in(other, server, reader)
        other.page.goto(f"{server.url}/ui/models/{repo}/discussions/{num}")
        expect(other.page.locator("h2.discussion-title")).to_contain_text("Add notes.txt")
        other.page.get_by_label("Comment").fill("Ready when you are")
        other.page.get_by_role("button", name="Comment").click()
        expect(other.page.locator(".comment-body")).to_contain_text(
            ["Please merge", "Ready when you are"]
        )
        expect(other.page.get_by_role("button", name="Merge into main")).to_have_count(0)
        assert other.problems == []
    finally:
        other.close()

    # The owner merges it: main gets the file, the thread says merged.
    page.goto(f"{server.url}/ui/models/{repo}/discussions?type=pulls")
    page.get_by_role("link", name="Add notes.txt").click()
    expect(page.locator("li.event-commit")).to_contain_text("add notes.txt")
    page.get_by_role("button", name="Merge into main").click()
    expect(page.locator("h2.discussion-title .badge")).to_have_text("merged")
    tab.shot(shots, "pull-request-merged")
    page.goto(f"{server.url}/ui/models/{repo}/tree?rev=main")
    expect(page.get_by_role("link", name="notes.txt", exact=True)).to_be_visible()

    # Someone else sees nothing of the private repo's discussions.
    with httpx.Client(base_url=server.url, timeout=30) as anonymous:
        for url in (f"/ui/models/{repo}/discussions", f"/ui/models/{repo}/discussions/{num}"):
            assert anonymous.get(url).status_code == 404
