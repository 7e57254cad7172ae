"""Trust, for real on loopback: an HTTPS stand-in registry whose certificate comes from a
throwaway CA (trustme) is refused until that CA is trusted through ``--ca-bundle``,
``POLICYENGINE_CA_BUNDLE`` or ``SSL_CERT_FILE``, and the refusal says which setting fixes it.

The machine's own ``SSL_CERT_FILE``/``SSL_CERT_DIR`` are set or cleared explicitly, so
that the tests mean the same here and in CI.
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import trustme

from policyengine.enrich import enrich_run
from policyengine.enrich.settings import EnrichSettings
from policyengine.enrich.trust import TLS_HINT, tls_context
from policyengine.model import FactKind, Failed, Ok, UsageError
from tests.enrich.conftest import Replay, sbom_of, server_context, serving

LITELLM = ("pypi", "litellm", "1.82.8")


@pytest.fixture(autouse=True)
def _no_machine_trust_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)


def _on(replay: Replay, settings: EnrichSettings, **changes: Any) -> EnrichSettings:
    return replace(settings, pypi_url=replay.pypi_url, advisories="off", **changes)


def _releases(settings: EnrichSettings) -> tuple[Any, dict[str, int]]:
    run = enrich_run(sbom_of(LITELLM), settings, {FactKind.RELEASES})
    return run.evidence.for_key("pypi/litellm@1.82.8").get(FactKind.RELEASES), run.requests


def test_an_unknown_ca_is_refused_once_and_the_reason_names_the_fix(
    https_replay: Replay, settings: EnrichSettings
) -> None:
    fact, requests = _releases(_on(https_replay, settings))
    assert isinstance(fact, Failed)
    host = https_replay.root.removeprefix("https://")
    assert fact.error.startswith(f"{host}: TLS certificate not accepted (")
    assert "--ca-bundle FILE" in fact.error and "SSL_CERT_FILE" in fact.error
    assert fact.error.endswith(TLS_HINT)
    assert requests == {"pypi": 1}  # a certificate is not retried
    assert https_replay.total() == 0  # no request got through the handshake


def test_the_ca_bundle_makes_it_accepted(
    https_replay: Replay, settings: EnrichSettings, ca_file: Path
) -> None:
    fact, _ = _releases(_on(https_replay, settings, ca_bundle=ca_file))
    assert isinstance(fact, Ok), fact
    assert fact.source.url == https_replay.pypi_url + "/pypi/litellm/json"
    assert https_replay.total("/pypi/pypi/litellm") >= 1


def test_ssl_cert_file_makes_it_accepted(
    https_replay: Replay, settings: EnrichSettings, ca_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    fact, _ = _releases(_on(https_replay, settings))
    assert isinstance(fact, Ok), fact


def test_the_ca_bundle_adds_to_ssl_cert_file_rather_than_replacing_it(
    settings: EnrichSettings,
    ca: trustme.CA,
    ca_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Two registries, each certified by its own CA: one CA in SSL_CERT_FILE, the other in
    # --ca-bundle. Both answer in the same run; a third CA, in neither, is still refused.
    other = trustme.CA()
    other_file = tmp_path / "other-ca.pem"
    other.cert_pem.write_to_path(str(other_file))
    monkeypatch.setenv("SSL_CERT_FILE", str(other_file))
    with (
        serving(Replay(), server_context(ca)) as by_bundle,
        serving(Replay(), server_context(other)) as by_env,
        serving(Replay(), server_context(trustme.CA())) as by_neither,
    ):
        sbom = sbom_of(LITELLM, ("npm", "react", "18.3.1"))
        both = replace(
            settings,
            pypi_url=by_env.pypi_url,
            npm_url=by_bundle.npm_url,
            advisories="off",
            ca_bundle=ca_file,
        )
        evidence = enrich_run(sbom, both, {FactKind.RELEASES}).evidence
        assert by_env.total() > 0 and by_bundle.total() > 0
        for key in ("pypi/litellm@1.82.8", "npm/react@18.3.1"):
            fact = evidence.for_key(key).get(FactKind.RELEASES)
            assert not isinstance(fact, Failed), (key, fact)
        fact, _ = _releases(replace(both, pypi_url=by_neither.pypi_url))
        assert isinstance(fact, Failed) and "TLS certificate not accepted" in fact.error


def test_a_name_mismatch_is_not_blamed_on_a_missing_ca(
    settings: EnrichSettings, ca: trustme.CA, ca_file: Path
) -> None:
    import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("registry.example").configure_cert(context)
    with serving(Replay(), context) as wrong_name:
        fact, _ = _releases(_on(wrong_name, settings, ca_bundle=ca_file))
    assert isinstance(fact, Failed)
    assert "TLS certificate not accepted (" in fact.error
    assert "--ca-bundle" not in fact.error  # another CA would not help


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "cannot read it: No such file or directory"),
        ("", "not a PEM file of certificates"),
        ("just some text\n", "not a PEM file of certificates"),
        (
            "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n",
            "malformed PEM certificate",
        ),
    ],
)
def test_an_unusable_ca_file_is_a_usage_error_naming_the_setting(
    tmp_path: Path, content: str | None, problem: str
) -> None:
    path = tmp_path / "bundle.pem"
    if content is not None:
        path.write_text(content)
    with pytest.raises(UsageError) as caught:
        tls_context(path, {})
    assert caught.value.one_line().startswith(f"--ca-bundle {path}: {problem}")
    with pytest.raises(UsageError) as caught:
        tls_context(None, {"SSL_CERT_FILE": str(path)})
    assert caught.value.one_line().startswith(f"SSL_CERT_FILE={path}: {problem}")


def test_ssl_cert_dir_must_be_a_folder(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"SSL_CERT_DIR=.*is not a folder"):
        tls_context(None, {"SSL_CERT_DIR": str(tmp_path / "nowhere")})
    tls_context(None, {"SSL_CERT_DIR": str(tmp_path)})  # an empty folder is no error


# --- through the command line ----------------------------------------------------------------


def _check(run_cli: Any, replay: Replay, tmp_path: Path, *extra: str) -> tuple[int, Any, str]:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("litellm==1.82.8\n")
    code, out, err = run_cli(
        "check", str(requirements), "--policy", "baseline", "--format", "json",
        "--pypi-url", replay.pypi_url, "--npm-url", replay.npm_url, "--advisories", "off",
        "--cache-dir", str(tmp_path / "cache"), "--now", "2026-03-25T00:00:00Z", *extra,
    )  # fmt: skip
    return code, json.loads(out) if out else None, err


def test_check_without_the_ca_says_in_the_verdict_and_on_stderr_how_to_fix_it(
    run_cli: Any, https_replay: Replay, tmp_path: Path
) -> None:
    _, verdict, err = _check(run_cli, https_replay, tmp_path)
    unknown = [r for r in verdict["results"] if r["outcome"] == "unknown"]
    assert unknown
    assert any("--ca-bundle FILE" in json.dumps(r) for r in unknown), unknown[0]
    (warning,) = [line for line in err.splitlines() if "could not be obtained" in line]
    assert "TLS certificate not accepted" in warning and "--ca-bundle FILE" in warning


def test_check_with_the_ca_bundle_gets_the_registry_facts(
    run_cli: Any, https_replay: Replay, tmp_path: Path, ca_file: Path
) -> None:
    code, verdict, err = _check(run_cli, https_replay, tmp_path, "--ca-bundle", str(ca_file))
    assert "could not be obtained" not in err
    # litellm 1.82.8 was removed from PyPI: a registry fact, now seen.
    failed = {r["rule"] for r in verdict["results"] if r["outcome"] == "fail"}
    assert failed, verdict["results"]
    assert code == 1


def test_the_ca_bundle_from_the_environment(
    run_cli: Any,
    https_replay: Replay,
    tmp_path: Path,
    ca_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("POLICYENGINE_CA_BUNDLE", str(ca_file))
    code, _, err = _check(run_cli, https_replay, tmp_path)
    assert "could not be obtained" not in err and code == 1


@pytest.mark.parametrize("content", [None, "", "-----BEGIN CERTIFICATE-----\nAAAA\n"])
def test_a_bad_ca_bundle_stops_check_before_any_request(
    run_cli: Any, https_replay: Replay, tmp_path: Path, content: str | None
) -> None:
    bundle = tmp_path / "ca.pem"
    if content is not None:
        bundle.write_text(content)
    code, verdict, err = _check(run_cli, https_replay, tmp_path, "--ca-bundle", str(bundle))
    assert code == 2 and verdict is None
    assert err.startswith(f"policyengine: error: --ca-bundle {bundle}: ")
    assert len(err.splitlines()) == 1
    assert https_replay.total() == 0


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="OpenSSL's defaults: Linux, BSD")
def test_without_openssl_defaults_the_distributions_bundle_is_found(
    https_replay: Replay,
    settings: EnrichSettings,
    ca_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A Python whose OpenSSL looks in a folder that does not exist (pyenv, manylinux):
    # the first distribution bundle path that exists is the store.
    import ssl

    from policyengine.enrich import trust

    nowhere = str(tmp_path / "nowhere")
    empty = ssl.DefaultVerifyPaths(None, None, "SSL_CERT_FILE", nowhere, "SSL_CERT_DIR", nowhere)
    monkeypatch.setattr(ssl, "get_default_verify_paths", lambda: empty)
    monkeypatch.setenv("SSL_CERT_FILE", nowhere)  # what create_default_context loads: nothing
    monkeypatch.setenv("SSL_CERT_DIR", nowhere)
    monkeypatch.setattr(trust, "_CA_FILE_CANDIDATES", (str(tmp_path / "absent.pem"), str(ca_file)))
    context = trust.system_context()
    fact, _ = _releases(_on(https_replay, replace(settings, ssl_context=context)))
    assert isinstance(fact, Ok), fact
