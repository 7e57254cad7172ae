"""Every endpoint over real HTTP, each answer held to the OpenAPI document (conftest.py)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import jsonschema
import pytest

from policyengine.report.json import verdict_schema
from tests.service.conftest import DOCUMENT, MakeService, Service

SBOM = Path("examples/litellm-2026/sbom-litellm-1.82.8.cdx.json")
OLDER = Path("examples/litellm-2026/sbom-litellm-1.82.6.cdx.json")
STORY = Path("examples/inventory-litellm")
NOW = "2026-11-28T12:00:00Z"


def _check(service: Service, body: bytes, *, token: str = "check", **params: str):  # type: ignore[no-untyped-def]
    query = {"policy": "sbom-quality", "now": NOW, "name": "sbom.cdx.json", **params}
    return service.call("POST", "/v1/check", token=token, params=query, content=body)


def test_health_readiness_metrics_and_the_document(service: Service) -> None:
    assert service.call("GET", "/healthz", token=None).json() == {"status": "ok"}
    assert service.call("GET", "/readyz", token=None).json() == {"status": "ready"}
    served = service.call("GET", "/v1/openapi.json", token=None).json()
    assert served == DOCUMENT and served["openapi"].startswith("3.1")
    _check(service, SBOM.read_bytes())
    metrics = service.call("GET", "/metrics", token=None).text
    assert 'policyengine_verdicts_total{outcome="fail"} 1.0' in metrics
    assert 'route="/v1/check",status="200"' in metrics
    assert "policyengine_checks_in_flight 0.0" in metrics
    assert "policyengine_checks_waiting 0.0" in metrics
    assert "policyengine_cache_hit_ratio" in metrics
    assert "policyengine_http_request_seconds_bucket" in metrics


def test_the_document_describes_exactly_the_routes(service: Service) -> None:
    from starlette.routing import Route

    for schema in DOCUMENT["components"]["schemas"].values():
        jsonschema.Draft202012Validator.check_schema(schema)
    api = service_api(service)
    served = {
        (route.path, method.lower())
        for route in api.routes()
        if isinstance(route, Route)
        for method in route.methods or ()
        if method != "HEAD"
    }
    documented = {
        (path, method) for path, operations in DOCUMENT["paths"].items() for method in operations
    }
    assert served == documented


def service_api(service: Service) -> Any:
    from policyengine.service.app import Api
    from policyengine.service.config import ServiceConfig
    from tests.service.conftest import offline_settings

    config = ServiceConfig(store_url=service.store.url, settings=offline_settings(Path("cache")))
    return Api(config, service.store)


def test_a_check_answers_the_verdict_and_keeps_the_release(service: Service) -> None:
    response = _check(service, SBOM.read_bytes(), release="chat@1.0")
    verdict = response.json()
    jsonschema.validate(verdict, verdict_schema())
    assert verdict["outcome"] == response.headers["policyengine-outcome"] == "fail"
    assert verdict["subject"]["inputs"] == ["sbom.cdx.json"]
    assert verdict["evaluated_at"] == NOW
    assert response.headers["policyengine-kept"] == "1 fail"
    kept = service.call("GET", "/v1/releases/chat/1.0/verdict", token="read")
    assert kept.content == response.content


def test_gzip_bodies_and_other_formats(service: Service) -> None:
    plain = _check(service, SBOM.read_bytes())
    packed = gzip.compress(SBOM.read_bytes())
    assert _check(service, packed).content == plain.content
    encoded = service.call(
        "POST",
        "/v1/check",
        token="check",
        params={"policy": "sbom-quality", "now": NOW, "name": "sbom.cdx.json"},
        content=packed,
        headers={"Content-Encoding": "gzip"},
    )
    assert encoded.content == plain.content
    sarif = _check(service, SBOM.read_bytes(), format="sarif")
    assert sarif.headers["content-type"] == "application/sarif+json"
    assert json.loads(sarif.content)["version"] == "2.1.0"
    table = _check(service, SBOM.read_bytes(), format="table")
    assert table.headers["content-type"].startswith("text/plain")


def test_incomplete_evidence_is_a_verdict_not_an_error(service: Service) -> None:
    # Offline with an empty cache, a fail-closed policy cannot see its facts.
    response = _check(service, SBOM.read_bytes(), policy="closed")
    assert response.status_code == 200
    assert response.json()["outcome"] == "incomplete"
    assert "lack evidence" in unquote(response.headers["policyengine-incomplete"])


@pytest.mark.parametrize(
    ("params", "status", "detail"),
    [
        ({"policy": "no-such-policy"}, 404, "no policy 'no-such-policy' on this server"),
        ({"policy": "../policies/baseline"}, 404, "no policy"),
        ({"now": "yesterday"}, 400, "now='yesterday' is not an RFC 3339 time"),
        ({"release": "no-version"}, 400, "release= 'no-version' is not NAME@VERSION"),
        ({"format": "pdf"}, 400, "format='pdf'"),
    ],
)
def test_bad_parameters(service: Service, params: dict[str, str], status: int, detail: str) -> None:
    response = _check(service, SBOM.read_bytes(), **params)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert detail in response.json()["detail"]


def test_bad_input_is_422_with_the_cli_line(service: Service) -> None:
    response = _check(service, b'{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": 7}')
    assert response.status_code == 422
    assert response.json()["detail"].startswith("sbom.cdx.json")
    unknown = _check(service, b"hello", name="notes.txt")
    assert unknown.status_code == 422
    assert "not a recognised SBOM or lockfile" in unknown.json()["detail"]


def test_a_sent_requirements_file_opens_no_file_of_the_server(
    service: Service, tmp_path: Path
) -> None:
    (tmp_path / "secret.txt").write_text("token-of-the-server==1.0\n")
    body = f"-r {tmp_path / 'secret.txt'}\nrequests==2.32.3\n".encode()
    response = _check(service, body, name=str(tmp_path / "requirements.txt"))
    assert response.status_code == 422
    assert "nested requirement files are not read from a sent input" in response.json()["detail"]
    assert "token-of-the-server" not in response.text


def test_an_empty_body_and_a_wrong_encoding(service: Service) -> None:
    assert _check(service, b"").status_code == 400
    response = service.call(
        "POST",
        "/v1/check",
        token="check",
        params={"policy": "baseline"},
        content=b"{}",
        headers={"Content-Encoding": "br"},
    )
    assert response.status_code == 415
    not_gzip = service.call(
        "POST",
        "/v1/check",
        token="check",
        params={"policy": "baseline"},
        content=b"{}",
        headers={"Content-Encoding": "gzip"},
    )
    assert not_gzip.status_code == 400


def test_bodies_over_the_cap_are_413(make_service: MakeService) -> None:
    service = make_service(max_body=4096)
    assert _check(service, b" " * 5000 + b"{}").status_code == 413
    # A gzip body within the cap that expands past it (a bomb) is refused too.
    bomb = gzip.compress(b"{" + b" " * 100_000 + b"}")
    assert len(bomb) < 4096
    response = _check(service, bomb)
    assert response.status_code == 413
    assert "expands past the 4096-byte input cap" in response.json()["detail"]


def test_tokens_401_and_403(service: Service) -> None:
    body = SBOM.read_bytes()
    none = _check(service, body, token=None)  # type: ignore[arg-type]
    assert none.status_code == 401 and none.headers["www-authenticate"].startswith("Bearer")
    wrong = _check(service, body, token="pe_not-a-token")
    assert wrong.status_code == 401
    reader = _check(service, body, token="read")
    assert reader.status_code == 403 and "'check' scope" in reader.json()["detail"]
    assert service.call("GET", "/v1/releases", token="check").status_code == 403
    assert (
        service.call("POST", "/v1/advisories/import", token="read", content=b"{}").status_code
        == 403
    )
    from policyengine.service.tokens import create
    from policyengine.store.tokens import StoredTokens

    made = create(service.store, ["check"], name="ci")
    assert _check(service, body, token=made.secret).status_code == 200
    StoredTokens(service.store).revoke(made.row.id)
    revoked = _check(service, body, token=made.secret)
    assert revoked.status_code == 401 and "revoked" in revoked.json()["detail"]


def test_a_team_token_sees_and_judges_only_its_releases(service: Service) -> None:
    body = SBOM.read_bytes()
    assert _check(service, body, release="team-a-chat@1.0").status_code == 200
    assert _check(service, body, release="team-b-chat@1.0").status_code == 200
    team = service.token("check", "read", prefix="team-a-")
    listed = service.call("GET", "/v1/releases", token=team).json()
    assert [r["release"] for r in listed["releases"]] == ["team-a-chat"]
    assert service.call("GET", "/v1/releases/team-b-chat/1.0", token=team).status_code == 403
    outside = _check(service, body, token=team, release="team-b-chat@2.0")
    assert outside.status_code == 403 and "outside this token's releases" in outside.text
    assert _check(service, body, token=team, release="team-a-chat@2.0").status_code == 200


def _keep_story(service: Service) -> None:
    """Two releases of the LiteLLM story, judged on the story's advisory policy."""
    for version, sbom in (("2.4.0", OLDER), ("2.4.1", SBOM)):
        response = _check(service, sbom.read_bytes(), release=f"acme-chat-gateway@{version}")
        assert response.status_code == 200


def test_releases_show_and_history(make_service: MakeService, store_url: str) -> None:
    service = make_service(store_url=store_url)
    _keep_story(service)
    _check(service, SBOM.read_bytes(), release="acme-chat-gateway@2.4.1", policy="baseline")
    listed = service.call("GET", "/v1/releases", token="read").json()["releases"]
    assert [(r["release"], r["version"]) for r in listed] == [
        ("acme-chat-gateway", "2.4.0"),
        ("acme-chat-gateway", "2.4.1"),
    ]
    shown = service.call("GET", "/v1/releases/acme-chat-gateway/2.4.1", token="read").json()
    assert shown["inputs"] == ["sbom.cdx.json"] and shown["verdicts"] == 2
    history = service.call(
        "GET", "/v1/releases/acme-chat-gateway/2.4.1/history", token="read"
    ).json()
    assert [v["policy"]["name"] for v in history["verdicts"]] == ["sbom-quality", "baseline"]
    missing = service.call("GET", "/v1/releases/acme-chat-gateway/9.9", token="read")
    assert missing.status_code == 404
    assert missing.json()["detail"] == "no release acme-chat-gateway@9.9 in the store"
    assert service.call("GET", "/v1/releases/nope/1/history", token="read").status_code == 404


def test_affected_by_purl_and_by_advisory(make_service: MakeService, store_url: str) -> None:
    service = make_service(store_url=store_url)
    _keep_story(service)
    by_purl = service.call(
        "GET", "/v1/affected", token="read", params={"purl": "pkg:pypi/litellm@1.82.8"}
    ).json()
    assert [r["version"] for r in by_purl["releases"]] == ["2.4.1"]
    ranged = service.call(
        "GET",
        "/v1/affected",
        token="read",
        params={"purl": "pkg:pypi/litellm", "versions": ">=1.82.6,<1.83"},
    ).json()
    assert [r["version"] for r in ranged["releases"]] == ["2.4.0", "2.4.1"]
    bad = service.call("GET", "/v1/affected", token="read", params={"purl": "litellm"})
    assert bad.status_code == 400 and "is not a package URL" in bad.json()["detail"]
    assert service.call("GET", "/v1/affected", token="read").status_code == 400
    unknown = service.call("GET", "/v1/advisories/MAL-2026-2144/affected", token="read")
    assert unknown.status_code == 404
    record = (STORY / "advisories-2026-03-24" / "MAL-2026-2144.json").read_bytes()
    imported = service.call("POST", "/v1/advisories/import", content=record).json()
    assert imported["records"] == 1 and imported["generation"] == 1
    hit = service.call("GET", "/v1/advisories/MAL-2026-2144/affected", token="read").json()
    assert hit["query"]["advisory"] == "MAL-2026-2144"
    assert [r["version"] for r in hit["releases"]] == ["2.4.1"]
    junk = service.call("POST", "/v1/advisories/import", content=b"not json at all").json()
    assert junk["records"] == 0 and len(junk["skipped"]) == 1, junk


def test_policies_are_the_servers(make_service: MakeService, tmp_path: Path) -> None:
    own = tmp_path / "policies"
    own.mkdir()
    (own / "acme.yaml").write_text((STORY / "policy.yaml").read_text())
    service = make_service(policy_dir=own)
    names = service.call("GET", "/v1/policies", token="check").json()["policies"]
    assert "acme" in names and "baseline" in names
    verdict = _check(service, SBOM.read_bytes(), policy="acme").json()
    assert verdict["policy"]["name"] == "acme-advisory-gate"


def test_sent_policies_only_when_the_server_allows_them(make_service: MakeService) -> None:
    policy = (STORY / "policy.yaml").read_bytes()
    files = {"input": ("sbom.cdx.json", SBOM.read_bytes()), "policy": ("acme.yaml", policy)}
    closed = make_service()
    refused = closed.call("POST", "/v1/check", token="check", params={"now": NOW}, files=files)
    assert refused.status_code == 403 and "does not accept policies" in refused.text


def test_a_sent_policy_is_laid_over_the_named_ones(
    make_service: MakeService, tmp_path: Path
) -> None:
    service = make_service(allow_policy_upload=True)
    policy = (STORY / "policy.yaml").read_bytes()
    files = {"input": ("sbom.cdx.json", SBOM.read_bytes()), "policy": ("acme.yaml", policy)}
    alone = service.call("POST", "/v1/check", token="check", params={"now": NOW}, files=files)
    assert alone.status_code == 200, alone.text
    verdict = alone.json()
    assert verdict["policy"]["name"] == "acme-advisory-gate"
    assert verdict["subject"]["inputs"] == ["sbom.cdx.json"]
    over = service.call(
        "POST", "/v1/check", token="check", params={"now": NOW, "policy": "baseline"}, files=files
    )
    assert over.json()["policy"]["name"] == "baseline+acme-advisory-gate"
    sneaky = (
        b"apiVersion: policyengine/v1\nkind: Policy\nmetadata: {name: x}\nextends: [/etc/x.yaml]\n"
    )
    files["policy"] = ("x.yaml", sneaky)
    refused = service.call("POST", "/v1/check", token="check", params={"now": NOW}, files=files)
    assert refused.status_code == 422 and "by name only" in refused.json()["detail"]
    files["policy"] = ("broken.yaml", b"apiVersion: policyengine/v1\nkind: Policy\nrules: 7\n")
    broken = service.call("POST", "/v1/check", token="check", params={"now": NOW}, files=files)
    assert broken.status_code == 422
    detail = broken.json()["detail"]
    assert detail.startswith("broken.yaml") and str(tmp_path) not in detail


def test_the_page_routes_are_mounted_with_the_token_check(
    make_service: MakeService, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.machinery
    import sys
    import types

    from starlette.requests import Request
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    seen: dict[str, object] = {}

    def page_routes(store: object, authenticate: Any) -> list[Route]:
        async def home(request: Request) -> PlainTextResponse:
            token = request.query_params.get("token", "")
            principal = authenticate(token)
            return PlainTextResponse("anonymous" if principal is None else principal.name)

        seen["store"] = store
        return [Route("/", home)]

    fake = types.ModuleType("policyengine.service.page")
    fake.__spec__ = importlib.machinery.ModuleSpec("policyengine.service.page", None)
    fake.page_routes = page_routes  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "policyengine.service.page", fake)
    service = make_service()
    assert seen["store"] is service.store
    reader = service.tokens["read"]
    import httpx

    assert httpx.get(service.root + "/ui/", params={"token": reader}).text != "anonymous"
    assert httpx.get(service.root + "/ui/", params={"token": "pe_x"}).text == "anonymous"
    assert httpx.get(service.root + "/", follow_redirects=True).url.path == "/ui/"


def test_the_page_is_served_under_ui(service: Service) -> None:
    import httpx

    login = httpx.get(service.root + "/ui/login")
    assert login.status_code == 200 and login.headers["content-type"].startswith("text/html")
    listed = httpx.get(service.root + "/ui/", cookies={}, follow_redirects=False)
    assert listed.status_code in (401, 303)  # no token: the form, or a redirect to it
    assert httpx.get(service.root + "/", follow_redirects=False).headers["location"] == "/ui/"
