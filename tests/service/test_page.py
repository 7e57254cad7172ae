"""The page over real HTTP: who may read what, the three views, and hostile text kept inert."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from policyengine.service.page import COOKIE, CSP
from tests.service.pagekit import (
    HOSTILE_NAME,
    HOSTILE_RELEASE,
    Running,
    fill_store,
    serve,
    serve_store,
)

READ = {"Authorization": "Bearer read-everything"}
TEAM_A = {"Authorization": "Bearer read-team-a"}


@pytest.fixture(scope="module")
def store_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("page")
    url = f"sqlite:///{folder / 'inventory.sqlite3'}"
    fill_store(url, folder / "cache")
    return url


@pytest.fixture(scope="module")
def page(store_url: str) -> Iterator[Running]:
    with serve(store_url) as running:
        yield running


@pytest.fixture
def client(page: Running) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=page.url, trust_env=False, timeout=60) as c:
        yield c


def _text(html: str) -> str:
    """The visible text, roughly: tags dropped, whitespace folded."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_no_token_gets_the_login_form_not_the_data(client: httpx.Client) -> None:
    for path in ("/", "/releases/acme-chat-gateway@1.82.8", "/affected?q=MAL-2026-2144"):
        answer = client.get(path)
        assert answer.status_code == 401
        assert '<form class="login" method="post" action="/ui/login">' in answer.text
        # Only the form: no table, no outcome (the asked path is kept to return to).
        assert "<table" not in answer.text and 'class="badge' not in answer.text
        assert answer.headers["content-security-policy"] == CSP


def test_a_wrong_token_is_401_and_a_token_without_read_is_403(client: httpx.Client) -> None:
    answer = client.get("/", headers={"Authorization": "Bearer nope"})
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith("Bearer")
    assert client.get("/", headers={"Authorization": "Basic eDp5"}).status_code == 401
    answer = client.get("/", headers={"Authorization": "Bearer check-only"})
    assert answer.status_code == 403 and "acme-chat-gateway" not in answer.text


def test_the_list_is_newest_first_with_the_latest_outcome(client: httpx.Client) -> None:
    answer = client.get("/", headers=READ)
    assert answer.status_code == 200
    assert answer.headers["content-security-policy"] == CSP
    assert answer.headers["cache-control"] == "no-store"
    text = _text(answer.text)
    assert "5 releases, newest first" in text
    rows = re.findall(r"<tr>\s*<td class=\"name\"><a href=\"/ui/releases/([^\"]+)\"", answer.text)
    # The story's releases were judged one after the other; the hand-made ones are older.
    assert rows[:3] == [f"acme-chat-gateway@{v}" for v in ("1.82.8", "1.82.7", "1.82.6")]
    outcomes = re.findall(
        r"<span class=\"badge (\w+)\">\w+</span></td>\s*<td class=\"time\">", answer.text
    )
    assert outcomes[:3] == ["fail", "fail", "pass"]


def test_the_name_prefix_filters_and_the_token_prefix_limits(client: httpx.Client) -> None:
    answer = client.get("/", params={"prefix": "acme-"}, headers=READ)
    assert "3 releases whose name starts with acme-" in _text(answer.text)
    assert "team-a-web" not in answer.text
    # A team token sees its own releases only, whatever the filter asks.
    answer = client.get("/", headers=TEAM_A)
    assert "1 release," in _text(answer.text) and "team-a-web" in answer.text
    assert "acme-chat-gateway" not in answer.text
    answer = client.get("/", params={"prefix": "acme-"}, headers=TEAM_A)
    assert "0 releases" in _text(answer.text) and "acme-chat-gateway" not in answer.text
    answer = client.get("/", params={"prefix": "team-"}, headers=TEAM_A)
    assert "team-a-web" in answer.text and "team-b" not in answer.text
    # ... and cannot open another team's release: it looks unknown.
    assert client.get("/releases/acme-chat-gateway@1.82.8", headers=TEAM_A).status_code == 404


def test_a_failing_release_shows_failures_first_with_remediation(client: httpx.Client) -> None:
    answer = client.get("/releases/acme-chat-gateway@1.82.8", headers=READ)
    assert answer.status_code == 200
    html = answer.text
    text = _text(html)
    assert "acme-chat-gateway 1.82.8 fail" in text
    failures = html.index('id="fail"')
    assert failures < html.index('id="passes"') < html.index('id="history"')
    section = html[failures : html.index("</section>", failures)]
    for advisory in ("PYSEC-2026-2", "GHSA-5mg7-485q-xm76"):
        assert advisory in section
    assert "malicious-packages" in section and "litellm 1.82.8" in section
    assert "Remove litellm 1.82.8 now: it is known malicious." in section
    # Passes are counted per rule, not listed.
    passes = html[html.index('id="passes"') :]
    assert re.search(
        r"<td>malicious-packages</td><td>advisories</td><td class=\"num\">52</td>", passes
    )
    # The history: judged passing on check, failing since the re-judging.
    history = _text(html[html.index('id="history"') :])
    assert re.search(r"2 \S+ rejudge fail 2 .* 1 \S+ check pass 0", history)


def test_an_earlier_verdict_can_be_shown(client: httpx.Client) -> None:
    answer = client.get("/releases/acme-chat-gateway@1.82.8?verdict=1", headers=READ)
    assert answer.status_code == 200
    text = _text(answer.text)
    assert re.search(r"#1 of 2 \( ?latest is #2: fail ?\)", text)
    assert "Nothing needs attention in this verdict." in text
    assert (
        client.get("/releases/acme-chat-gateway@1.82.8?verdict=9", headers=READ).status_code == 404
    )


def test_an_unknown_release_is_404(client: httpx.Client) -> None:
    for path in ("/releases/acme-chat-gateway@9.9.9", "/releases/nobody@1", "/releases/no-version"):
        answer = client.get(path, headers=READ)
        assert answer.status_code == 404, path
        assert "No such release" in answer.text


def test_hostile_text_from_a_verdict_is_escaped(client: httpx.Client) -> None:
    listing = client.get("/", headers=READ).text
    assert "<b>bold</b>" not in listing and "team-b-&lt;b&gt;bold&lt;/b&gt;" in listing
    answer = client.get(f"/releases/{HOSTILE_RELEASE}@6.6.6", headers=READ)
    assert answer.status_code == 200
    html = answer.text
    assert "<script" not in html and "<img" not in html and "<i>" not in html
    assert "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt; is &#34;malicious&#34; &amp; worse" in html
    assert "&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;&lt;script&gt;" in html
    # A URL in a verdict is shown as text, never made a link.
    assert "javascript:alert(3)" in html and 'href="javascript' not in html
    # Its link in the list is percent-encoded (a name is not markup in a URL either).
    link = "/ui/releases/team-b-%3Cb%3Ebold%3C%2Fb%3E@6.6.6"
    assert f'href="{link}"' in listing
    assert client.get(link.removeprefix("/ui"), headers=READ).status_code == 200
    assert HOSTILE_NAME not in client.get("/affected?q=left-pad", headers=READ).text


def test_affected_by_an_advisory(client: httpx.Client) -> None:
    answer = client.get("/affected", params={"q": "MAL-2026-2144"}, headers=READ)
    assert answer.status_code == 200
    text = _text(answer.text)
    assert "advisory MAL-2026-2144: held by 2 releases you may see." in text
    assert "litellm@1.82.7" in text and "litellm@1.82.8" in text
    assert "litellm@1.82.6" not in text
    # When it first appeared, and what the gate said then and says now.
    assert re.search(r"acme-chat-gateway 1\.82\.7 \S+ litellm@1\.82\.7 pass \S+ fail", text)
    assert re.search(r"First in a stored release litellm@1\.82\.7 \d{4}-", text)


def test_affected_by_a_purl_a_name_at_version_or_a_name(client: httpx.Client) -> None:
    def held(q: str, headers: dict[str, str] = READ) -> list[str]:
        html = client.get("/affected", params={"q": q}, headers=headers).text
        return re.findall(r"<td>([^<]+@[^<]+)</td>\s*<td><span class=\"badge", html)

    assert held("pkg:pypi/litellm@1.82.6") == ["litellm@1.82.6"]
    assert held("litellm@1.82.8") == ["litellm@1.82.8"]
    assert sorted(held("litellm")) == ["litellm@1.82.6", "litellm@1.82.7", "litellm@1.82.8"]
    assert held("left-pad", TEAM_A) == ["left-pad@1.0.0"]  # team B's is not theirs
    assert held("@acme/ui@2.0.0") == ["@acme/ui@2.0.0"]  # an npm scope's own "@"
    assert held("litellm", TEAM_A) == []


def test_affected_refuses_what_it_cannot_read(client: httpx.Client) -> None:
    answer = client.get("/affected", params={"q": "pkg:"}, headers=READ)
    assert answer.status_code == 400 and "is not a package URL" in answer.text
    answer = client.get("/affected", params={"q": "GHSA-0000-0000-0000"}, headers=READ)
    assert answer.status_code == 400
    assert "looks like an advisory id, but the store&#39;s advisory database has no" in answer.text
    answer = client.get("/affected", params={"q": "x" * 400}, headers=READ)
    assert answer.status_code == 400 and "at most 300 characters" in answer.text


def test_login_sets_a_strict_httponly_cookie_and_logout_clears_it(page: Running) -> None:
    with httpx.Client(base_url=page.url, trust_env=False, timeout=60) as browser:
        answer = browser.post(
            "/login", data={"token": "read-everything", "next": "/affected?q=litellm"}
        )
        assert answer.status_code == 303
        assert answer.headers["location"] == "/ui/affected?q=litellm"
        cookie = answer.headers["set-cookie"]
        assert cookie.startswith(f"{COOKIE}=read-everything;")
        for attribute in ("HttpOnly", "SameSite=strict", "Path=/ui/", "Max-Age="):
            assert attribute.lower() in cookie.lower()
        assert "secure" not in cookie.lower()  # plain HTTP on loopback
        assert browser.get("/").status_code == 200
        answer = browser.post("/logout", headers={"Origin": page.url.removesuffix("/ui")})
        assert answer.status_code == 303
        assert browser.get("/").status_code == 401


def test_login_refuses_bad_tokens_foreign_sites_and_open_redirects(page: Running) -> None:
    with httpx.Client(base_url=page.url, trust_env=False, timeout=60) as browser:
        answer = browser.post("/login", data={"token": "nope"})
        assert answer.status_code == 401 and "set-cookie" not in answer.headers
        answer = browser.post("/login", data={"token": "check-only"})
        assert answer.status_code == 403 and "set-cookie" not in answer.headers
        answer = browser.post(
            "/login", data={"token": "read-everything"}, headers={"Origin": "https://evil.test"}
        )
        assert answer.status_code == 403 and "set-cookie" not in answer.headers
        answer = browser.post("/login", data={"token": "read-everything", "next": "//evil.test/x"})
        assert answer.headers["location"] == "/ui/"
        answer = browser.post("/login", data={"token": "x" * 10_000})
        assert answer.status_code == 401


def test_a_revoked_cookie_token_asks_to_log_in_again(page: Running) -> None:
    with httpx.Client(base_url=page.url, trust_env=False, timeout=60) as browser:
        browser.cookies.set(COOKIE, "revoked-long-ago", path="/ui/")
        answer = browser.get("/")
        assert answer.status_code == 401 and "no longer accepted" in answer.text
        assert answer.headers["set-cookie"].startswith(f'{COOKIE}="";')


def test_the_stylesheet_is_served_and_the_page_works_at_the_root(
    store_url: str, tmp_path: Path
) -> None:
    with (
        serve(store_url, mount="") as running,
        httpx.Client(base_url=running.url, trust_env=False, timeout=60) as c,
    ):
        css = c.get("/page.css")
        assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
        assert "--fail" in css.text
        answer = c.get("/", headers=READ)
        assert (
            answer.status_code == 200 and 'href="/releases/acme-chat-gateway@1.82.8"' in answer.text
        )
        assert '<link rel="stylesheet" href="/page.css">' in answer.text


def test_a_store_that_cannot_be_read_is_a_503_not_a_traceback(store_url: str) -> None:
    from policyengine.model import UsageError
    from policyengine.store import Store, open_store

    class Broken(Store):
        def recent_releases(self, *args: object, **kwargs: object) -> object:
            raise UsageError("cannot use the store sqlite:///gone: disk I/O error")

    with open_store(store_url) as real:
        broken = Broken(real.engine, real.url)
        with serve_store(broken) as url, httpx.Client(base_url=url, trust_env=False) as c:
            answer = c.get("/", headers=READ)
    assert answer.status_code == 503
    assert (
        answer.text
        == "the inventory cannot be read: cannot use the store sqlite:///gone: disk I/O error"
    )
