"""The web UI over HTTP against a live server: cookie sessions, CSRF, the repo pages, inert
model cards, and who sees which repo. The browser tests (``test_web_browser.py``) drive the
same pages in Chromium.

The module has a server of its own, so the sign-in and sign-up rate limits it ends by
reaching count only its own attempts.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import re
import struct
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.acceptance.api import make_repo, unique, upload
from tests.acceptance.authz_matrix import PRINCIPALS
from tests.acceptance.live import LiveServer
from tests.acceptance.test_jobs import FINAL, job_env
from tests.job_apps import ALL

pytestmark = pytest.mark.acceptance

PASSWORD = "correct horse battery"
SIGNIN_LIMIT = 30
SIGNUP_LIMIT = 12
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
CARD = """---
license: apache-2.0
tags:
- vision
- <b>bold-tag</b>
---
# The card title

<script>window.pwned = 1</script>
<img src=x onerror="window.pwned = 2">
[click me](javascript:window.pwned=3) [js upper](JAVASCRIPT:alert(1)) [data](data:text/html,hi)
[weights](weights/model.bin) [docs](https://example.org/docs)
![remote](https://example.org/x.png) ![local](images/logo.png)
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, server_workers: int) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp("web") / "data"
    live = LiveServer(
        data_dir=data_dir,
        workers=server_workers,
        extra_env={
            **job_env(),
            # The apps a push queues, whose findings the repo page shows.
            "WEIGHTHOUSE_JOBS__APPS": json.dumps([*ALL, "inspect", "scan"]),
            "WEIGHTHOUSE_AUTH__SIGNIN_PER_CLIENT": str(SIGNIN_LIMIT),
            "WEIGHTHOUSE_AUTH__SIGNUP_PER_CLIENT": str(SIGNUP_LIMIT),
            "WEIGHTHOUSE_AUTH__ARGON2_MEMORY_KIB": "8192",
            "WEIGHTHOUSE_AUTH__ARGON2_TIME_COST": "1",
        },
    ).start()
    yield live
    live.stop()


_OPEN: list[httpx.Client] = []


def browser(server: LiveServer) -> httpx.Client:
    """A client that keeps cookies, like a browser, and does not follow redirects; closed
    after the test."""
    client = httpx.Client(base_url=server.url, timeout=30, follow_redirects=False)
    _OPEN.append(client)
    return client


@pytest.fixture(autouse=True)
def _close_browsers() -> Iterator[None]:
    yield
    while _OPEN:
        _OPEN.pop().close()


def csrf_of(page: httpx.Response) -> str:
    found = CSRF.search(page.text)
    assert found, "the page has no form token"
    return found.group(1)


def web_sign_up(server: LiveServer, name: str) -> httpx.Client:
    client = browser(server)
    form = client.get("/ui/signup")
    assert form.status_code == 200
    done = client.post(
        "/ui/signup",
        data={"csrf": csrf_of(form), "name": name, "password": PASSWORD, "confirm": PASSWORD},
    )
    assert done.status_code == 303, done.text
    return client


def api_user(server: LiveServer, name: str) -> None:
    with server.client(server.admin_token) as admin:
        made = admin.post("/api/users", json={"name": name, "password": PASSWORD})
        assert made.status_code == 201, made.text


def session_client(server: LiveServer, name: str) -> httpx.Client:
    """A browser holding the session an API sign-in hands out: the same session token a web
    sign-in puts in the cookie."""
    signed = httpx.post(
        f"{server.url}/api/signin", json={"name": name, "password": PASSWORD}, timeout=30
    )
    assert signed.status_code == 200, signed.text
    client = browser(server)
    client.cookies.set("weighthouse_session", signed.json()["token"])
    return client


def test_root_redirects_to_the_pages_and_no_page_shadows_an_api(server: LiveServer) -> None:
    home = httpx.get(server.url + "/", timeout=30)
    assert home.status_code == 307 and home.headers["location"] == "/ui/"
    assert (
        httpx.get(server.url + "/api/repos", timeout=30)
        .headers["content-type"]
        .startswith("application/json")
    )
    assert httpx.get(server.url + "/docs", timeout=30).status_code == 200
    hub = httpx.get(server.url + "/hf/api/models/nobody/nothing", timeout=30)
    assert hub.status_code in (401, 404) and "X-Error-Code" in hub.headers
    spec = httpx.get(server.url + "/openapi.json", timeout=30).json()
    assert not any(path.startswith("/ui") or path == "/" for path in spec["paths"])


def test_every_page_forbids_inline_script(server: LiveServer) -> None:
    for path in ("/ui/", "/ui/signin", "/ui/signup", "/ui/static/web.css", "/ui/nope/a/b"):
        response = httpx.get(server.url + path, timeout=30)
        policy = response.headers["content-security-policy"]
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
        assert directives["script-src"] == "'self'", path
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        assert directives["default-src"] == "'none'"
        assert directives["frame-ancestors"] == "'none'"
        assert response.headers["x-content-type-options"] == "nosniff"
    page = httpx.get(server.url + "/ui/", timeout=30).text
    assert re.findall(r"<script[^>]*>", page) == ['<script src="/ui/static/web.js" defer>']
    assert "style=" not in page


def test_sign_up_sign_in_and_sign_out_with_a_cookie_session(server: LiveServer) -> None:
    name = unique("web")
    client = web_sign_up(server, name)
    cookie = next(
        h for h in client.get("/ui/").request.headers.get_list("cookie") if "session" in h
    )
    assert "weighthouse_session=whs." in cookie
    # The sign-in answer's cookie attributes.
    form = client.get("/ui/signin")
    signin = client.post(
        "/ui/signin", data={"csrf": csrf_of(form), "name": name, "password": PASSWORD}
    )
    assert signin.status_code == 303 and signin.headers["location"] == "/ui/"
    set_cookie = signin.headers["set-cookie"]
    attributes = {part.strip().split("=")[0].lower() for part in set_cookie.split(";")}
    assert {"httponly", "path", "max-age"} <= attributes
    assert "samesite=lax" in set_cookie.lower()
    assert "secure" not in attributes, "plain HTTP: a Secure cookie would never come back"
    token = client.cookies["weighthouse_session"]
    page = client.get("/ui/")
    assert f'data-user="{name}"' in page.text
    assert page.headers["cache-control"] == "no-store"
    # Sign out: the session ends for every holder of the token, not just this browser.
    out = client.post("/ui/signout", data={"csrf": csrf_of(page)})
    assert out.status_code == 303
    assert "weighthouse_session" not in client.cookies
    assert 'data-user="' not in client.get("/ui/").text
    whoami = httpx.get(
        f"{server.url}/api/whoami", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    assert whoami.status_code == 401
    stale = browser(server)
    stale.cookies.set("weighthouse_session", token)
    assert 'data-user="' not in stale.get("/ui/").text


def test_a_wrong_password_reads_the_same_for_any_name(server: LiveServer) -> None:
    client = browser(server)
    answers = []
    for name in ("nobody-" + unique(), "admin"):
        form = client.get("/ui/signin")
        answer = client.post(
            "/ui/signin", data={"csrf": csrf_of(form), "name": name, "password": "wrong"}
        )
        answers.append((answer.status_code, CSRF.sub("", answer.text).replace(name, "NAME")))
        assert "weighthouse_session" not in client.cookies
    assert answers[0] == answers[1] and answers[0][0] == 401


def test_a_cross_site_post_without_the_csrf_token_is_refused(server: LiveServer) -> None:
    name = unique("web")
    client = web_sign_up(server, name)
    repo = unique("x")
    fields = {"kind": "models", "name": repo, "namespace": name}
    # What another site's form can send: the cookie goes along, the token cannot.
    for token in (None, "", "0" * 64, csrf_of(browser(server).get("/ui/signin"))):
        data = dict(fields) if token is None else {**fields, "csrf": token}
        refused = client.post("/ui/new", data=data, headers={"Origin": "https://evil.example"})
        assert refused.status_code == 403, token
        assert "form" in refused.text.lower() or "csrf" in refused.text.lower()
    assert client.get(f"/ui/models/{name}/{repo}").status_code == 404
    # Signed out, the sign-in and sign-up forms need their own token and its cookie.
    stranger = browser(server)
    login = stranger.post("/ui/signin", data={"name": name, "password": PASSWORD})
    assert login.status_code == 403 and "weighthouse_session" not in stranger.cookies
    forged = browser(server)
    forged.cookies.set("weighthouse_form", "a" * 43)
    assert forged.post("/ui/signin", data={"csrf": "b" * 43, "name": name}).status_code == 403
    # The same form with the page's token goes through.
    created = client.post("/ui/new", data={**fields, "csrf": csrf_of(client.get("/ui/new"))})
    assert created.status_code == 303
    assert created.headers["location"] == f"/ui/models/{name}/{repo}"


def test_bad_form_bodies_get_clear_errors(server: LiveServer) -> None:
    client = web_sign_up(server, unique("web"))
    token = csrf_of(client.get("/ui/new"))
    as_json = client.post("/ui/new", json={"csrf": token})
    assert as_json.status_code == 400
    huge = client.post("/ui/new", data={"csrf": token, "description": "x" * 70_000})
    assert huge.status_code == 413
    broken = client.post(
        "/ui/new",
        content=b"csrf=" + token.encode() + b"&name=%ff%fe",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert broken.status_code == 400
    for response in (as_json, huge, broken):
        assert response.headers["content-type"].startswith("text/html")
        assert "Traceback" not in response.text


@pytest.fixture(scope="module")
def history_repo(server: LiveServer) -> dict[str, str]:
    """A public model with a card, folders, a binary, a tag on its first commit and two more
    commits after it."""
    with server.client(server.admin_token) as admin:
        repo = make_repo(admin, "admin")
        upload(admin, repo, "README.md", CARD.encode())
        upload(admin, repo, "config/params.json", b'{"layers": 2, "note": "<i>x</i>"}')
        upload(admin, repo, "weights/model.bin", bytes(range(256)) * 64)
        first = admin.get(f"/api/models/{repo}/refs").json()["branches"][0]["commit"]
        tag = admin.post(f"/api/models/{repo}/tags", json={"name": "v1", "revision": first})
        assert tag.status_code == 201, tag.text
        upload(admin, repo, "config/params.json", b'{"layers": 3}')
        upload(admin, repo, "notes.txt", b"late file\n")
        gone = admin.post(
            f"/api/models/{repo}/commit/main",
            json={
                "message": "drop the weights",
                "operations": [{"op": "delete", "path": "weights/model.bin"}],
            },
        )
        assert gone.status_code == 201, gone.text
    return {"repo": repo, "v1": first, "last": gone.json()["id"]}


def test_the_model_card_renders_inert(server: LiveServer, history_repo: dict[str, str]) -> None:
    page = httpx.get(f"{server.url}/ui/models/{history_repo['repo']}", timeout=30)
    assert page.status_code == 200
    html = page.text
    assert "<h1>The card title</h1>" in html
    # The front matter is metadata, not text of the card, and its values are escaped.
    assert "<dt>license</dt><dd>apache-2.0</dd>" in html
    assert "&lt;b&gt;bold-tag&lt;/b&gt;" in html and "<b>bold-tag</b>" not in html
    # Raw HTML shows as text; no script, handler or dangerous link survives.
    assert "&lt;script&gt;window.pwned = 1&lt;/script&gt;" in html
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/ui/static/web.js" defer>']
    assert "<img src=x" not in html and 'onerror="' not in html
    hrefs = re.findall(r'href="([^"]*)"', html) + re.findall(r'src="([^"]*)"', html)
    assert not [h for h in hrefs if h.lower().startswith(("javascript:", "data:text"))]
    # Relative links open the repo's own pages; remote images become plain links.
    assert f"/ui/models/{history_repo['repo']}/blob?rev=main&amp;path=weights%2Fmodel.bin" in html
    assert f"/ui/models/{history_repo['repo']}/raw?rev=main&amp;path=images%2Flogo.png" in html
    assert (
        '<a href="https://example.org/x.png" rel="nofollow noopener noreferrer">remote</a>' in html
    )
    assert 'src="https://' not in html


def test_tree_file_and_download_at_a_tag(server: LiveServer, history_repo: dict[str, str]) -> None:
    repo, base = history_repo["repo"], f"{server.url}/ui/models/{history_repo['repo']}"
    at_tag = httpx.get(f"{base}/tree", params={"rev": "v1", "path": "weights"}, timeout=30)
    assert at_tag.status_code == 200 and "model.bin" in at_tag.text
    assert "16.4 KB" in at_tag.text
    now = httpx.get(f"{base}/tree", params={"rev": "main"}, timeout=30).text
    assert "notes.txt" in now and "weights/" not in now
    text = httpx.get(f"{base}/blob", params={"rev": "v1", "path": "config/params.json"}, timeout=30)
    assert "&lt;i&gt;x&lt;/i&gt;" in text.text and '"layers": 2' not in text.text
    assert '<span class="hl-nt">"layers"</span>' in text.text  # highlighted, as JSON
    binary = httpx.get(
        f"{base}/blob", params={"rev": "v1", "path": "weights/model.bin"}, timeout=30
    )
    assert "binary" in binary.text and "<pre" not in binary.text
    raw = httpx.get(f"{base}/raw", params={"rev": "v1", "path": "weights/model.bin"}, timeout=30)
    assert raw.status_code == 200 and raw.content == bytes(range(256)) * 64
    assert raw.headers["x-content-sha256"] == hashlib.sha256(raw.content).hexdigest()
    assert raw.headers["content-disposition"].startswith("attachment")
    assert raw.headers["content-security-policy"] == "default-src 'none'; sandbox"
    missing = httpx.get(f"{base}/blob", params={"rev": "v1", "path": "notes.txt"}, timeout=30)
    assert missing.status_code == 404 and "File not found" in missing.text
    bad_rev = httpx.get(f"{base}/tree", params={"rev": "../x"}, timeout=30)
    assert bad_rev.status_code in (400, 404) and "Traceback" not in bad_rev.text
    refs = httpx.get(f"{base}/refs", timeout=30).text
    assert "v1" in refs and history_repo["v1"][:10] in refs
    assert repo


def test_history_shows_each_commits_changed_files(
    server: LiveServer, history_repo: dict[str, str]
) -> None:
    base = f"{server.url}/ui/models/{history_repo['repo']}"
    log = httpx.get(f"{base}/commits", params={"rev": "main"}, timeout=30).text
    assert log.count('class="commit"') == 7  # the empty first commit and six more
    assert "drop the weights" in log
    last = httpx.get(f"{base}/commit/{history_repo['last']}", timeout=30).text
    assert re.search(r'class="change deleted"><td>deleted</td>\s*<td>weights/model.bin', last)
    assert 'class="change added"' not in last
    tagged = httpx.get(f"{base}/commit/{history_repo['v1']}", timeout=30).text
    assert "weights/model.bin" in tagged and 'class="change added"' in tagged
    modified = httpx.get(f"{base}/commits", params={"rev": "main"}, timeout=30)
    ids = re.findall(r"/commit/([0-9a-f]{40})", modified.text)
    changes = [httpx.get(f"{base}/commit/{i}", timeout=30).text for i in ids]
    assert any(
        re.search(r'class="change modified"><td>modified</td>\s*<td><a [^>]*>config/params.json', c)
        for c in changes
    )


def test_private_repos_never_appear_to_those_who_may_not_see_them(server: LiveServer) -> None:
    """The authorisation matrix's principals that can hold a browser session."""
    web_principals = ("anonymous", "outsider", "org_reader", "collaborator", "site_admin")
    assert set(web_principals) <= set(PRINCIPALS)
    org, names = unique("org"), {p: unique(p.replace("_", "")) for p in web_principals[1:4]}
    for name in names.values():
        api_user(server, name)
    with server.client(server.admin_token) as admin:
        assert admin.post("/api/orgs", json={"name": org}).status_code == 201
        member = admin.put(f"/api/orgs/{org}/members/{names['org_reader']}", json={"role": "read"})
        assert member.status_code == 200, member.text
        private = make_repo(admin, org, private=True)
        upload(admin, private, "secret.txt", b"hidden")
        collab = admin.put(
            f"/api/models/{private}/collaborators/{names['collaborator']}", json={"role": "read"}
        )
        assert collab.status_code == 200, collab.text
    admin_name = unique("root")
    with server.client(server.admin_token) as admin:
        made = admin.post(
            "/api/users", json={"name": admin_name, "password": PASSWORD, "is_admin": True}
        )
        assert made.status_code == 201
    clients = {
        "anonymous": browser(server),
        **{p: session_client(server, names[p]) for p in names},
        "site_admin": session_client(server, admin_name),
    }
    sees = {
        "anonymous": False,
        "outsider": False,
        "org_reader": True,
        "collaborator": True,
        "site_admin": True,
    }
    short = private.split("/")[1]
    missing = f"/ui/models/{org}/{unique('none')}"
    for principal, client in clients.items():
        page = client.get("/ui/", params={"q": short}).text
        listed = page.split('role="search"', 1)[1].split("</form>", 1)[1]
        assert (short in listed) is sees[principal], principal
        for view in ("", "/tree", "/commits", "/refs"):
            page = client.get(f"/ui/models/{private}{view}")
            assert page.status_code == (200 if sees[principal] else 404), (principal, view)
        raw = client.get(f"/ui/models/{private}/raw", params={"path": "secret.txt"})
        assert raw.status_code == (200 if sees[principal] else 404)
        if not sees[principal]:
            hidden = client.get(f"/ui/models/{private}")
            absent = client.get(missing)
            assert hidden.text.replace(private, "X") == absent.text.replace(missing[11:], "X")


def test_explore_searches_and_pages(server: LiveServer) -> None:
    marker = unique("pg")
    with server.client(server.admin_token) as admin:
        for index in range(35):
            made = admin.post(
                "/api/repos",
                json={
                    "type": "dataset",
                    "namespace": "admin",
                    "name": f"{marker}-{index:02d}",
                    "private": False,
                },
            )
            assert made.status_code == 201
    first = httpx.get(f"{server.url}/ui/", params={"q": marker, "kind": "datasets"}, timeout=30)
    rows = re.findall(rf"admin/{marker}-(\d+)", first.text)
    assert len(set(rows)) == 30
    following = re.search(r'href="([^"]+)" rel="next"', first.text)
    assert following
    second = httpx.get(server.url + following.group(1).replace("&amp;", "&"), timeout=30).text
    assert len(set(re.findall(rf"admin/{marker}-(\d+)", second))) == 5
    assert set(rows).isdisjoint(re.findall(rf"admin/{marker}-(\d+)", second))
    models_only = httpx.get(f"{server.url}/ui/", params={"q": marker, "kind": "models"}, timeout=30)
    assert marker not in models_only.text.split('role="search"', 1)[1].split("</form>", 1)[1]


def test_a_large_folder_is_listed_a_page_at_a_time(server: LiveServer) -> None:
    data = b"same bytes"
    sha = hashlib.sha256(data).hexdigest()
    with server.client(server.admin_token) as admin:
        repo = make_repo(admin, "admin")
        blob = admin.post(
            f"/api/models/{repo}/blobs", content=data, headers={"X-Content-SHA256": sha}
        )
        assert blob.status_code == 201, blob.text
        names = [f"f-{i:04d}.bin" for i in range(250)]
        operations = [{"op": "add", "path": f"many/{n}", "sha256": sha, "size": 10} for n in names]
        done = admin.post(
            f"/api/models/{repo}/commit/main", json={"message": "many", "operations": operations}
        )
        assert done.status_code == 201, done.text
    seen: list[str] = []
    url: str | None = f"/ui/models/{repo}/tree?rev=main&path=many"
    pages = 0
    while url is not None:
        page = httpx.get(server.url + url.replace("&amp;", "&"), timeout=30)
        assert page.status_code == 200
        seen += re.findall(r">(f-\d{4}\.bin)</a>", page.text)
        following = re.search(r'href="([^"]+)" rel="next"', page.text)
        url = following.group(1) if following else None
        pages += 1
    assert pages == 3 and seen == names


def test_the_api_takes_the_session_cookie_only_with_its_csrf_header(server: LiveServer) -> None:
    name = unique("web")
    client = web_sign_up(server, name)
    token = csrf_of(client.get("/ui/"))
    assert client.get("/api/whoami").json()["user"]["name"] == name
    repo = {"type": "model", "name": unique("api"), "namespace": name}
    assert client.post("/api/repos", json=repo).status_code == 403
    wrong = client.post("/api/repos", json=repo, headers={"X-CSRF-Token": "0" * 64})
    assert wrong.status_code == 403
    made = client.post("/api/repos", json=repo, headers={"X-CSRF-Token": token})
    assert made.status_code == 201, made.text
    # An Authorization header is judged alone: a bad one is not rescued by the cookie.
    bad = client.get("/api/whoami", headers={"Authorization": "Bearer wh_nope"})
    assert bad.status_code == 401


def test_tokens_and_access_keys_show_their_secret_once(server: LiveServer) -> None:
    client = web_sign_up(server, unique("web"))
    settings = client.get("/ui/settings")
    assert settings.status_code == 200 and "No tokens." in settings.text
    made = client.post(
        "/ui/settings/tokens", data={"csrf": csrf_of(settings), "name": "laptop", "scope": "write"}
    )
    assert made.status_code == 200
    secret = re.search(r'id="new-secret" readonly value="(wh_[^"]+)"', made.text)
    assert secret, "the new token's secret is not on the page"
    token = secret.group(1)
    whoami = httpx.get(
        f"{server.url}/api/whoami", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    assert whoami.status_code == 200
    again = client.get("/ui/settings")
    assert token not in again.text and "laptop" in again.text
    token_id = re.search(r"/ui/settings/tokens/([^/]+)/revoke", again.text)
    assert token_id
    revoked = client.post(
        f"/ui/settings/tokens/{token_id.group(1)}/revoke", data={"csrf": csrf_of(again)}
    )
    assert revoked.status_code == 303
    gone = httpx.get(
        f"{server.url}/api/whoami", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    assert gone.status_code == 401
    # An S3 access key: id and secret once, then only the id.
    page = client.get("/ui/settings")
    key = client.post(
        "/ui/settings/access-keys", data={"csrf": csrf_of(page), "name": "s3", "scope": "read"}
    )
    key_id = re.search(r'id="new-id">(WH[A-Z0-9]+)<', key.text)
    key_secret = re.search(r'id="new-secret" readonly value="([^"]+)"', key.text)
    assert key_id and key_secret
    listed = client.get("/ui/settings").text
    assert key_id.group(1) in listed and key_secret.group(1) not in listed
    # Another user's token id cannot be revoked from here.
    other = web_sign_up(server, unique("web"))
    stranger = other.post(
        f"/ui/settings/access-keys/{key_id.group(1)}/revoke",
        data={"csrf": csrf_of(other.get("/ui/settings"))},
    )
    assert stranger.status_code == 404
    assert "revoked" not in client.get("/ui/settings").text.split("S3 access keys")[1]


def test_repo_settings_collaborators_and_delete(server: LiveServer) -> None:
    owner_name, friend_name = unique("own"), unique("fri")
    owner = web_sign_up(server, owner_name)
    friend = web_sign_up(server, friend_name)
    page = owner.get("/ui/new")
    repo = unique("set")
    made = owner.post(
        "/ui/new",
        data={"csrf": csrf_of(page), "kind": "models", "name": repo, "private": "on"},
    )
    assert made.status_code == 303
    base = f"/ui/models/{owner_name}/{repo}"
    assert friend.get(base).status_code == 404
    assert friend.get(f"{base}/settings").status_code == 404
    settings = owner.get(f"{base}/settings")
    token = csrf_of(settings)
    added = owner.post(
        f"{base}/collaborators", data={"csrf": token, "user": friend_name, "role": "read"}
    )
    assert added.status_code == 303
    # The repo appears for the collaborator, and they still may not change it.
    assert friend.get(base).status_code == 200
    assert repo in friend.get("/ui/", params={"q": repo}).text.split('role="search"')[1]
    refused = friend.post(
        f"{base}/settings", data={"csrf": csrf_of(friend.get(base)), "description": "mine"}
    )
    assert refused.status_code == 403
    saved = owner.post(f"{base}/settings", data={"csrf": token, "description": "<b>new</b>"})
    assert saved.status_code == 303
    shown = owner.get(base).text
    assert "&lt;b&gt;new&lt;/b&gt;" in shown and 'class="badge">private' not in shown
    assert friend.get(base).status_code == 200
    removed = owner.post(f"{base}/collaborators/{friend_name}/remove", data={"csrf": token})
    assert removed.status_code == 303
    # Public now, so the friend still sees it; deleting needs the name typed back.
    wrong = owner.post(f"{base}/delete", data={"csrf": token, "confirm": repo})
    assert wrong.status_code == 400 and owner.get(base).status_code == 200
    deleted = owner.post(f"{base}/delete", data={"csrf": token, "confirm": f"{owner_name}/{repo}"})
    assert deleted.status_code == 303 and owner.get(base).status_code == 404


def test_jobs_pages_are_their_owners_alone(server: LiveServer) -> None:
    alice, bob = unique("jal"), unique("jbo")
    for name in (alice, bob):
        api_user(server, name)
    with server.client(server.admin_token) as admin:
        repo = make_repo(admin, alice)
        private = make_repo(admin, bob, private=True)
    owner, other, anonymous = (
        session_client(server, alice),
        session_client(server, bob),
        browser(server),
    )
    page = owner.get(f"/ui/models/{repo}")
    assert 'id="run-title"' in page.text and '<option value="echo">' in page.text
    token = csrf_of(page)

    def run(client: httpx.Client, target: str, **form: str) -> httpx.Response:
        return client.post(f"/ui/models/{target}/run", data={"csrf": token, "rev": "main", **form})

    started = run(owner, repo, app="echo", params='{"text": "<b>hi</b>"}', results="on")
    assert started.status_code == 303, started.text
    job_url = started.headers["location"]
    job_id = job_url.rsplit("/", 1)[1]
    deadline = time.monotonic() + 30
    while (state := owner.get(f"{job_url}/status").json())["status"] != "succeeded":
        assert not state["final"] and time.monotonic() < deadline, state
        time.sleep(0.05)
    assert state["result_url"].startswith(f"/ui/models/{repo}/commit/")
    shown = owner.get(job_url)
    assert shown.status_code == 200 and "echoed &#39;&lt;b&gt;hi&lt;/b&gt;&#39;" in shown.text
    assert state["result_url"] in shown.text and "Cancel job" not in shown.text
    listed = owner.get("/ui/jobs", params={"status": "succeeded", "app": "echo"})
    assert job_id[:12] in listed.text
    assert job_id[:12] not in owner.get("/ui/jobs", params={"status": "failed"}).text

    # Another user, even one who could read the repo, finds no such job; a visitor signs in.
    for path in (job_url, f"{job_url}/status"):
        assert other.get(path).status_code == 404, path
    refused = other.post(f"{job_url}/cancel", data={"csrf": csrf_of(other.get("/ui/settings"))})
    assert refused.status_code == 404
    assert job_id[:12] not in other.get("/ui/jobs").text
    assert anonymous.get(job_url).headers["location"].startswith("/ui/signin")
    assert anonymous.get(f"{job_url}/status").status_code == 401
    assert 'id="run-title"' not in anonymous.get(f"/ui/models/{repo}").text

    # A post without the session's token is refused; bad forms get clear errors, not a job.
    assert owner.post(f"{job_url}/cancel", data={"csrf": "forged"}).status_code == 403
    assert owner.post(f"/ui/models/{repo}/run", data={"app": "echo"}).status_code == 403
    assert run(owner, repo, app="echo", params="[1]").status_code == 400
    assert run(owner, repo, app="echo", params="{not json").status_code == 400
    assert run(owner, repo, app="echo", params='{"text": 1}').status_code == 400
    assert run(owner, repo, app="nope", params="{}").status_code == 404
    assert run(owner, private, app="echo", params='{"text": "x"}').status_code == 404
    assert owner.get("/ui/jobs/..%2F..%2Fetc").status_code == 404
    assert len(owner.get("/ui/jobs").text.split('class="job-row"')) == 2


def test_a_small_text_file_is_highlighted_and_stays_inert(server: LiveServer) -> None:
    with server.client(server.admin_token) as admin:
        repo = make_repo(admin, "admin")
        upload(admin, repo, "tool.py", b'x = "</code><script>alert(1)</script>"  # note\n')
        upload(admin, repo, "notes.zzz", b"<b>plain</b>")
        upload(admin, repo, "big.py", b"# a comment\n" * 12_000)
    client = browser(server)
    code = client.get(f"/ui/models/{repo}/blob", params={"path": "tool.py"}).text
    shown = code.split('<pre class="file-text highlighted"><code>', 1)[1].split("</code></pre>")[0]
    assert '<span class="hl-c1"># note</span>' in shown and 'class="hl-s' in shown
    assert "<script" not in shown and "&lt;/code&gt;&lt;script&gt;" in shown
    plain = client.get(f"/ui/models/{repo}/blob", params={"path": "notes.zzz"}).text
    assert "<code>&lt;b&gt;plain&lt;/b&gt;</code>" in plain
    big = client.get(f"/ui/models/{repo}/blob", params={"path": "big.py"}).text
    assert "highlighted" not in big and "# a comment" in big


def _luminance(colour: str) -> float:
    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(colour[i : i + 2]) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(one: str, other: str) -> float:
    """WCAG 2 contrast ratio of two ``#rrggbb`` colours."""
    high, low = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_served_colours_meet_wcag_aa(server: LiveServer) -> None:
    """Text, links, buttons, labels and highlighted code keep 4.5:1 on their backgrounds, and
    the focus outline 3:1 (a non-text contrast), as the served style sheet declares them."""
    css = httpx.get(server.url + "/ui/static/web.css", timeout=30).text
    variables = dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})\b", css))
    rules: dict[str, str] = {}
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        for selector in selectors.split(","):
            rules[selector.strip()] = rules.get(selector.strip(), "") + ";" + body

    def colour(selector: str, prop: str) -> str:
        found = re.findall(rf"(?:^|;)\s*{prop}\s*:\s*([^;]+)", rules[selector])
        assert found, f"{selector} sets no {prop}"
        value = found[-1].strip().split()[-1] if prop == "outline" else found[-1].strip()
        value = re.sub(r"var\(--([\w-]+)\)", lambda m: variables[m.group(1)], value)
        if re.fullmatch(r"#[0-9a-fA-F]{3}", value):
            value = "#" + "".join(2 * c for c in value[1:])
        assert re.fullmatch(r"#[0-9a-fA-F]{6}", value), (selector, prop, value)
        return value

    page, soft = colour("body", "background"), colour("header.top", "background")
    code = colour("pre.file-text", "background")
    pairs = {
        "text": (colour("body", "color"), page),
        "link": (colour("a", "color"), page),
        "link in the header": (colour("a", "color"), soft),
        "muted text": (colour(".muted", "color"), page),
        "muted text on grey": (colour(".muted", "color"), soft),
        "button": (colour("button", "color"), colour("button", "background")),
        "error": (colour(".error", "color"), page),
        "skip link": (colour(".skip", "color"), colour(".skip", "background")),
        "succeeded": (colour(".status-succeeded", "color"), page),
    }
    for selector in rules:
        if selector.startswith("pre.file-text ") and "color" in rules[selector]:
            pairs[selector] = (colour(selector, "color"), code)
    assert sum(1 for name in pairs if name.startswith("pre.file-text")) >= 5
    low = {name: round(contrast(*pair), 2) for name, pair in pairs.items() if contrast(*pair) < 4.5}
    assert low == {}, f"below 4.5:1: {low}"
    focus = colour("a:focus-visible", "outline")
    assert min(contrast(focus, page), contrast(focus, soft)) >= 3


def test_organisation_pages_and_their_members(server: LiveServer) -> None:
    boss, reader, outsider = unique("oboss"), unique("oread"), unique("oout")
    for name in (boss, reader, outsider):
        api_user(server, name)
    owner = session_client(server, boss)
    token = csrf_of(owner.get("/ui/orgs"))
    org = unique("org")
    made = owner.post("/ui/orgs", data={"csrf": token, "name": org, "description": "a <b>team</b>"})
    assert made.status_code == 303 and made.headers["location"] == f"/ui/orgs/{org}"
    with server.client(server.admin_token) as admin:
        hidden = make_repo(admin, org, private=True)
        shown = make_repo(admin, org)
    seen = owner.get(f"/ui/orgs/{org}").text
    assert hidden in seen and shown in seen and "a &lt;b&gt;team&lt;/b&gt;" in seen
    assert "Add or change member" in seen and f"<td>{boss}</td><td>admin</td>" in seen

    def post(client: httpx.Client, view: str, **form: str) -> httpx.Response:
        return client.post(f"/ui/orgs/{org}/{view}", data={"csrf": token, **form})

    # Outsiders see the public repos only, and no members; a reader sees members, no forms.
    stranger, member = session_client(server, outsider), session_client(server, reader)
    for client in (stranger, browser(server)):
        page = client.get(f"/ui/orgs/{org}").text
        assert shown in page and hidden not in page and "Members" not in page
    assert post(owner, "members", user=reader, role="read").status_code == 303
    page = member.get(f"/ui/orgs/{org}").text
    assert hidden in page and f"<td>{reader}</td><td>read</td>" in page
    assert "Add or change member" not in page
    theirs = csrf_of(member.get("/ui/settings"))
    refused = member.post(
        f"/ui/orgs/{org}/members", data={"csrf": theirs, "user": outsider, "role": "admin"}
    )
    assert refused.status_code == 403
    mine = csrf_of(stranger.get("/ui/settings"))
    gone = stranger.post(f"/ui/orgs/{org}/members/{reader}/remove", data={"csrf": mine})
    assert gone.status_code == 404

    # The forms' mistakes are clear errors; the last admin stays; the token is required.
    assert post(owner, "members", user=outsider, role="owner").status_code == 400
    assert post(owner, "members", user=unique("ghost"), role="read").status_code == 404
    assert post(owner, f"members/{boss}/remove").status_code == 409
    forged = owner.post(f"/ui/orgs/{org}/members", data={"csrf": "x", "user": outsider})
    assert forged.status_code == 403
    assert owner.post("/ui/orgs", data={"csrf": token, "name": "../x"}).status_code == 400
    assert owner.post("/ui/orgs", data={"csrf": token, "name": org}).status_code == 409
    assert owner.get(f"/ui/orgs/{unique('none')}").status_code == 404
    assert post(owner, f"members/{reader}/remove").status_code == 303
    assert hidden not in member.get(f"/ui/orgs/{org}").text


def safetensors_bytes() -> bytes:
    """A real safetensors file: six float32 and four bfloat16 parameters."""
    header = json.dumps(
        {
            "w": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]},
            "b": {"dtype": "BF16", "shape": [4], "data_offsets": [24, 32]},
        }
    ).encode()
    return struct.pack("<Q", len(header)) + header + bytes(32)


class Payload:
    """Unpickling this would run ``os.system``; it is only ever scanned."""

    def __reduce__(self) -> tuple[object, ...]:
        return (os.system, ("true",))


def test_the_repo_page_shows_what_inspect_and_scan_found(server: LiveServer) -> None:
    name = unique("insp")
    api_user(server, name)
    with server.client(server.admin_token) as admin:
        made = admin.post("/api/tokens", json={"name": "w", "scope": "write", "user": name})
        assert made.status_code == 201, made.text
        token = made.json()["token"]
    with server.client(token) as client:
        weights = make_repo(client, name)
        upload(client, weights, "model.safetensors", safetensors_bytes())
        evil = make_repo(client, name)
        # In a folder: the page counts every file of the revision, not only the root's.
        pickled = pickle.dumps({"hook": Payload()}, protocol=2)
        upload(client, evil, "checkpoints/pytorch_model.bin", pickled)
        # Each push queued inspect (both files) and scan (the pickle only), as the pusher.
        deadline = time.monotonic() + 60
        while True:
            queued = client.get("/api/jobs").json()
            if len(queued) == 3 and all(job["status"] in FINAL for job in queued):
                break
            assert time.monotonic() < deadline, queued
            time.sleep(0.1)
        assert {(job["app"], job["status"]) for job in queued} >= {
            ("inspect", "succeeded"),
            ("scan", "succeeded"),
        }
    owner = session_client(server, name)
    page = owner.get(f"/ui/models/{weights}").text
    found = page.split('id="findings-title"', 1)[1].split("</section>", 1)[0]
    assert '<dd class="parameters">10</dd>' in found
    assert '<dd class="dtypes">BF16: 4, F32: 6</dd>' in found and "unsafe" not in found
    flagged = owner.get(f"/ui/models/{evil}").text
    assert '<span class="badge unsafe">unsafe pickle</span>' in flagged
    assert '<dd class="verdict">dangerous</dd>' in flagged and "system" in flagged
    # The warning is for every reader of the repo, not only for whoever pushed the file.
    anonymous = browser(server).get(f"/ui/models/{evil}").text
    assert '<span class="badge unsafe">unsafe pickle</span>' in anonymous


def test_admin_pages_are_for_site_admins(server: LiveServer) -> None:
    user = web_sign_up(server, unique("web"))
    assert user.get("/ui/admin/users").status_code == 403
    assert user.get("/ui/admin/audit").status_code == 403
    admin_name = unique("root")
    with server.client(server.admin_token) as admin:
        made = admin.post(
            "/api/users", json={"name": admin_name, "password": PASSWORD, "is_admin": True}
        )
        assert made.status_code == 201
    root = session_client(server, admin_name)
    victim = unique("vic")
    api_user(server, victim)
    listing = root.get("/ui/admin/users")
    assert listing.status_code == 200 and victim in listing.text
    disabled = root.post(
        f"/ui/admin/users/{victim}", data={"csrf": csrf_of(listing), "disabled": "true"}
    )
    assert disabled.status_code == 303
    signin = httpx.post(
        f"{server.url}/api/signin", json={"name": victim, "password": PASSWORD}, timeout=30
    )
    assert signin.status_code == 401
    audit = root.get("/ui/admin/audit", params={"actor": admin_name}).text
    assert "user.disable" in audit or "user.update" in audit or victim in audit


def test_discussion_pages_refuse_bad_input_and_hide_private_repos(server: LiveServer) -> None:
    owner_name, outsider_name = unique("dsc"), unique("out")
    # Accounts made through the API: the module's sign-up limit is nearly spent.
    api_user(server, owner_name)
    api_user(server, outsider_name)
    owner, outsider = session_client(server, owner_name), session_client(server, outsider_name)
    with server.client(server.admin_token) as admin:
        made = admin.post(
            "/api/repos",
            json={"type": "model", "namespace": owner_name, "name": "talk", "private": True},
        )
        assert made.status_code == 201, made.text
    base = f"/ui/models/{owner_name}/talk/discussions"
    form = owner.get(base + "/new")
    assert form.status_code == 200
    opened = owner.post(
        base, data={"csrf": csrf_of(form), "title": "First", "description": "<i>hi</i>"}
    )
    assert opened.status_code == 303 and opened.headers["location"].endswith("/discussions/1")
    thread = owner.get(base + "/1")
    assert "&lt;i&gt;hi&lt;/i&gt;" in thread.text and "<i>hi</i>" not in thread.text
    token = csrf_of(thread)
    for bad in ("/0", "/abc", "/99999999999999999999", "/2"):
        assert owner.get(base + bad).status_code == 404, bad
    for query in ({"status": "sideways"}, {"type": "all"}, {"offset": "-1"}, {"offset": "x"}):
        assert owner.get(base, params=query).status_code == 400, query
    assert owner.post(base + "/1/comment", data={"comment": "no token"}).status_code == 403
    assert owner.post(base + "/1/comment", data={"csrf": token, "comment": " "}).status_code == 400
    assert owner.post(base, data={"csrf": token, "title": " "}).status_code == 400
    merge = owner.post(base + "/1/merge", data={"csrf": token})
    assert merge.status_code == 400  # a discussion, not a pull request
    status = owner.post(base + "/1/status", data={"csrf": token, "status": "merged"})
    assert status.status_code == 400
    assert "Traceback" not in merge.text + status.text
    # The private repo's discussions are missing for an outsider and for anonymous visitors.
    other = outsider.get(base + "/1")
    assert other.status_code == 404
    for path in (base, base + "/1", base + "/new"):
        assert outsider.get(path).status_code == 404, path
    anonymous = browser(server)
    assert [anonymous.get(path).status_code for path in (base, base + "/1")] == [404, 404]
    refused = outsider.post(
        base + "/1/comment", data={"csrf": csrf_of(outsider.get("/ui/")), "comment": "hi"}
    )
    assert refused.status_code == 404
    closed = owner.post(base + "/1/status", data={"csrf": token, "status": "closed"})
    assert closed.status_code == 303
    listed = owner.get(base, params={"status": "closed"}).text
    assert re.findall(r'<tr class="discussion-row">', listed) and "First" in listed


def test_explore_and_the_api_sort_by_size_and_last_update(server: LiveServer) -> None:
    """Sizes and update times follow commits to main (not other branches) and object writes
    and deletes; both orders page with their own cursors; a foreign cursor is a 400."""
    marker = unique("sz")
    with server.client(server.admin_token) as admin:
        model = make_repo(admin, "admin")
        names = {"small": 5, "large": 500, "middle": 50}
        for name, size in names.items():  # made in this order: middle is the latest
            made = admin.post(
                "/api/repos",
                json={
                    "type": "bucket",
                    "namespace": "admin",
                    "name": f"{marker}-{name}",
                    "private": False,
                },
            )
            assert made.status_code == 201, made.text
            for key in ("a", "b"):
                put = admin.put(
                    f"/api/buckets/admin/{marker}-{name}/objects/{key}", content=b"x" * size
                )
                assert put.status_code == 201, put.text
        # A deleted object leaves the size; the delete is the large bucket's last update.
        gone = admin.delete(f"/api/buckets/admin/{marker}-large/objects/b")
        assert gone.status_code == 204
        upload(admin, model, "weights.bin", b"w" * 7000, branch="main")
        created = admin.post(f"/api/models/{model}/branches", json={"name": "dev"})
        assert created.status_code == 201, created.text
        upload(admin, model, "other.bin", b"o" * 9000, branch="dev")

        info = admin.get(f"/api/models/{model}").json()
        assert info["size"] == 7000 and info["updated_at"] > info["created_at"]

        def listed(sort: str, **extra: str | int) -> tuple[list[str], str | None]:
            page = admin.get("/api/repos", params={"search": marker, "sort": sort, **extra})
            assert page.status_code == 200, page.text
            body = page.json()
            return [r["name"].rsplit("-", 1)[1] for r in body["items"]], body["next_cursor"]

        assert listed("size")[0] == ["large", "middle", "small"]
        assert listed("updated")[0] == ["large", "middle", "small"]
        assert listed("name")[0] == ["large", "middle", "small"]
        sizes = {
            r["name"]: r["size"]
            for r in admin.get("/api/repos", params={"search": marker}).json()["items"]
        }
        assert sizes == {f"{marker}-{n}": s * (1 if n == "large" else 2) for n, s in names.items()}
        # Page by page, each order with its cursor.
        for sort, expected in (("size", ["large", "middle", "small"]),):
            seen: list[str] = []
            cursor: str | None = None
            while True:
                extra: dict[str, str | int] = {"limit": 1}
                if cursor:
                    extra["cursor"] = cursor
                page, cursor = listed(sort, **extra)
                seen += page
                if cursor is None:
                    break
            assert seen == expected
        _, by_name = listed("name", limit=1)
        assert by_name is not None
        wrong = admin.get(
            "/api/repos", params={"search": marker, "sort": "size", "cursor": by_name}
        )
        assert wrong.status_code == 400 and wrong.json()["error"]["code"] == "invalid_input"
        bad = admin.get("/api/repos", params={"sort": "colour"})
        assert 400 <= bad.status_code < 500

    page = httpx.get(f"{server.url}/ui/", params={"q": marker, "sort": "size"}, timeout=30)
    assert page.status_code == 200
    rows = re.findall(rf"admin/{marker}-(\w+)</a>", page.text)
    assert rows == ["large", "middle", "small"]
    assert re.findall(r'class="repo-size" data-bytes="(\d+)"', page.text) == ["500", "100", "10"]
    assert '<option value="size" selected>' in page.text
    by_time = httpx.get(f"{server.url}/ui/", params={"q": marker, "sort": "updated"}, timeout=30)
    assert re.findall(rf"admin/{marker}-(\w+)</a>", by_time.text) == ["large", "middle", "small"]
    refused = httpx.get(f"{server.url}/ui/", params={"sort": "stars"}, timeout=30)
    assert refused.status_code == 400 and "Traceback" not in refused.text


# Last: it uses up the module server's sign-in allowance.
def test_sign_in_and_sign_up_have_the_api_rate_limits(server: LiveServer, tmp_path: Path) -> None:
    client = browser(server)
    statuses = []
    for _ in range(SIGNIN_LIMIT + 1):
        form = client.get("/ui/signin")
        answer = client.post(
            "/ui/signin", data={"csrf": csrf_of(form), "name": "admin", "password": "wrong"}
        )
        statuses.append(answer.status_code)
        if answer.status_code == 429:
            assert int(answer.headers["retry-after"]) >= 1
            break
    assert statuses[-1] == 429 and set(statuses[:-1]) == {401}
    # The API shares the count: it is the same limit, not a second one.
    api = httpx.post(
        f"{server.url}/api/signin", json={"name": "admin", "password": "wrong"}, timeout=30
    )
    assert api.status_code == 429
